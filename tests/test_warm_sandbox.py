"""The warm sandbox (grader.zygote) forks each bwrap worker from one process that has numpy
and the worker imported. These tests hold it to the cold worker's guarantees: a submission
runs in a process no earlier submission touched, sees only its own files, keeps no
capability, and cannot reach the next submission served by the same warm sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REFERENCE, REPO, SHORT_LIMITS, full_marks, needs_bwrap, scores, worker_processes

from grader import api, sandbox, zygote
from grader.sandbox import Sandbox
from grader.workerprocess import WorkerProcess

pytestmark = needs_bwrap

# A student's module that tries to leave something behind for the next submission and to
# reach the warm sandbox that forked it; ``look`` reports what a later submission can see.
TAMPERER = textwrap.dedent('''
    import ctypes, os, signal, subprocess, sys, time
    import numpy as np

    def leave_traces(tag):
        done = []
        for folder in ("/tmp", "/scratch", "/dev/shm", "/", "/dev", "/inbox", "/submission", "/nngrade"):
            try:
                with open(os.path.join(folder, "trace-" + tag), "w") as f:
                    f.write(tag)
                done.append(folder)
            except OSError:
                pass
        os.environ["NNGRADE_TRACE"] = tag
        np.allclose = lambda *a, **k: True      # patched in this process only
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # trace-" + tag],
                         start_new_session=True)
        try:
            ctypes.CDLL(None).shmget(0x7ace, 4096, 0o1666)  # a System V segment (IPC_CREAT)
        except Exception:
            pass
        return done

    def reach_the_zygote():
        """Try to read the memory of, or look into, every process outside this PID namespace
        (/proc shows the warm sandbox's namespace, where this one's processes have two numbers)."""
        reached = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/status") as f:
                    levels = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
            except (OSError, IndexError):
                continue
            if len(levels) > 1:
                continue
            for what, mode in (("mem", "rb"), ("environ", "rb"), ("root/inbox", None)):
                path = f"/proc/{entry}/{what}"
                try:
                    if mode is None:
                        if os.listdir(path):
                            reached.append(path)
                    else:
                        with open(path, mode) as f:
                            f.read(1)
                        reached.append(path)
                except (OSError, ValueError):
                    pass
        try:
            os.kill(-1, signal.SIGKILL) if os.getpid() != 1 else None
        except OSError:
            pass
        return reached

    def look():
        seen = []
        for folder in ("/tmp", "/scratch", "/dev/shm", "/", "/dev", "/inbox", "/submission"):
            try:
                seen += [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("trace-")]
            except OSError:
                pass
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"trace-" in f.read():
                        seen.append("process " + entry)
            except OSError:
                pass
        if os.environ.get("NNGRADE_TRACE"):
            seen.append("environment")
        if np.allclose(0, 1):
            seen.append("numpy patched")
        try:
            if ctypes.CDLL(None).shmget(0x7ace, 0, 0) >= 0:
                seen.append("shared memory segment")
        except Exception:
            pass
        return seen

    def identity():
        with open("/proc/self/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        return {key: status[key].strip() for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs",
                                                     "Seccomp")} | {"uid": os.getuid(), "pid": os.getpid(),
                                                                   "files": sorted(os.listdir("/submission"))}

    def try_to_unconfine():
        libc = ctypes.CDLL(None, use_errno=True)
        results = {"unshare": libc.unshare(0x10000000), "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
                   "umount": libc.umount2(b"/inbox", 2), "setuid0": libc.setuid(0) if os.getuid() else -1}
        return {name: result == 0 for name, result in results.items()}
''')


@pytest.fixture
def warm(student_code):
    """warm(source) -> a StudentProxy whose worker comes from this process's warm sandbox."""
    def make(source: str = TAMPERER):
        proxy = student_code(source, "bwrap")
        proxy.load()
        assert isinstance(proxy._worker, zygote.WarmWorker), zygote.unavailable()
        return proxy
    return make


def test_a_submission_cannot_see_or_influence_the_next_one_served_by_the_same_warm_sandbox(warm):
    first = warm()
    resident_before = zygote.resident_pids()
    assert "/tmp" in first.leave_traces("first") and "/scratch" in first.leave_traces("again")
    assert first.reach_the_zygote() == []
    assert sorted(first.look()) != []  # the traces are there for the submission that left them
    first.close()
    second = warm()
    assert zygote.resident_pids() == resident_before, "both must come from the same warm sandbox"
    assert second.look() == []
    assert second.identity()["files"] == ["layers.py"]


def test_a_warm_worker_holds_no_capability_and_has_the_seccomp_filter_and_no_new_privs(warm):
    probe = warm()
    identity = probe.identity()
    assert {identity[k] for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")} == {"0000000000000000"}
    assert identity["NoNewPrivs"] == "1" and identity["Seccomp"] == "2"
    assert identity["pid"] == 1  # the first process of a PID namespace of its own
    assert probe.try_to_unconfine() == {"unshare": False, "mount": False, "umount": False, "setuid0": False}
    assert probe.caps["seccomp"] is True and "warm" in probe.caps["enforced_by"]


def test_each_warm_worker_is_a_fresh_process(warm):
    pids = set()
    for _ in range(3):
        probe = warm()
        probe.leave_traces("x")
        pids.add(probe._worker.process.pid)
        probe.close()
    assert len(pids) == 3


def test_a_correct_submission_gets_the_same_grade_warm_and_cold(monkeypatch):
    warm_document = api.run(submission=REFERENCE, assignment="layers", seed=3, limits=SHORT_LIMITS, sandbox_backend="bwrap")
    monkeypatch.setenv(sandbox.WARM_ENV, "0")
    cold_document = api.run(submission=REFERENCE, assignment="layers", seed=3, limits=SHORT_LIMITS, sandbox_backend="bwrap")
    assert "warm" in warm_document["extra_data"]["caps"]["enforced_by"]
    assert "warm" not in cold_document["extra_data"]["caps"]["enforced_by"]
    assert scores(warm_document) == scores(cold_document) == full_marks(warm_document)
    assert [t["output"] for t in warm_document["tests"]] == [t["output"] for t in cold_document["tests"]]


def test_nngrade_warm_0_starts_every_worker_cold(monkeypatch, tmp_path):
    monkeypatch.setenv(sandbox.WARM_ENV, "0")
    (tmp_path / "layers.py").write_text("x = 1\n")
    worker = Sandbox(submission_dir=tmp_path, limits=SHORT_LIMITS, backend="bwrap").start()
    try:
        assert type(worker) is WorkerProcess
    finally:
        worker.kill()


def test_a_warm_sandbox_that_cannot_confine_a_child_falls_back_to_cold_workers_for_good(monkeypatch, tmp_path):
    """Without a /submission mount point in the warm sandbox, its children cannot be confined:
    no student code runs there, and the grade comes from cold workers."""
    zygote.shutdown()
    monkeypatch.setattr(zygote, "_unavailable", "")
    command = Sandbox.command

    def without_mount_point(self, workdir, **kwargs):
        argv, submission, scratch = command(self, workdir, **kwargs)
        if kwargs.get("inbox"):
            at = argv.index("/submission")
            del argv[at - 1:at + 1]
        return argv, submission, scratch
    monkeypatch.setattr(Sandbox, "command", without_mount_point)
    try:
        document = api.run(submission=REFERENCE, assignment="layers", seed=3, limits=SHORT_LIMITS, sandbox_backend="bwrap")
        assert "could not confine" in zygote.unavailable()
        assert "warm" not in document["extra_data"]["caps"]["enforced_by"]
        assert scores(document) == full_marks(document)
        assert document["extra_data"]["worker_restarts"] == 0
    finally:
        monkeypatch.undo()
        zygote.shutdown()
        zygote._unavailable = ""


def test_a_killed_grader_leaves_no_warm_sandbox_or_worker_behind(tmp_path):
    marker = f"nngrade-warm-test-{os.getpid()}-{time.monotonic_ns()}"
    (tmp_path / "layers.py").write_text(f"import time\ndef hang():\n    time.sleep(600)  # {marker}\n")
    script = textwrap.dedent(f'''
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from grader.sandbox import Sandbox
        from grader.limits import DEFAULT_LIMITS
        worker = Sandbox(submission_dir=Path({str(tmp_path)!r}), limits=DEFAULT_LIMITS, backend="bwrap").start()
        print(type(worker).__name__, flush=True)
        time.sleep(600)
    ''')
    grader_process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert grader_process.stdout.readline().strip() == "WarmWorker"
        spawned = [pid for pid in worker_processes("grader.worker.spawn") if _descends_from(pid, grader_process.pid)]
        assert spawned, "the warm sandbox and its worker run"
    finally:
        grader_process.send_signal(signal.SIGKILL)
        grader_process.wait()
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in spawned if Path(f"/proc/{pid}").exists()] == []


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == ancestor:
            return True
    return False


def test_a_worker_keeps_running_while_another_configuration_gets_its_own_warm_sandbox(tmp_path):
    """Two threads of a Dask worker may grade two classes at once (other masks, other limits)."""
    (tmp_path / "layers.py").write_text("def f(x):\n    return x + 1\n")
    first = Sandbox(submission_dir=tmp_path, limits=SHORT_LIMITS, backend="bwrap").start()
    other_limits = SHORT_LIMITS.replace(tmp_bytes=SHORT_LIMITS.tmp_bytes // 2)
    second = Sandbox(submission_dir=tmp_path, limits=other_limits, backend="bwrap").start()
    try:
        assert isinstance(first, zygote.WarmWorker) and isinstance(second, zygote.WarmWorker)
        for worker in (first, second):
            assert worker.request({"op": "import", "module": "layers"}, timeout=10)[0] == {"ok": ["f"]}
            reply, _ = worker.request({"op": "call", "name": "f", "args": {"list": [1]}, "kwargs": {"dict": []}},
                                      timeout=10)
            assert reply == {"ok": 2}
        assert len(zygote._zygotes) >= 2
    finally:
        first.kill()
        second.kill()


NETWORK_PROBE = textwrap.dedent('''
    import socket

    _server = None

    def listen():
        global _server
        _server = socket.socket()
        _server.bind(("127.0.0.1", 0))
        _server.listen()
        own = socket.create_connection(_server.getsockname(), timeout=2)  # its own loopback works
        own.close()
        return _server.getsockname()[1]

    def reach(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return True
        except OSError:
            return False
''')


def test_two_submissions_graded_at_once_by_one_warm_sandbox_cannot_talk_over_the_network(warm):
    listener, other = warm(NETWORK_PROBE), warm(NETWORK_PROBE)
    assert listener._worker.process.pid != other._worker.process.pid
    port = listener.listen()
    assert listener.reach(port) is True
    assert other.reach(port) is False
