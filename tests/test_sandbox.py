"""What the worker's sandbox guarantees, on every backend available here.

Tests marked ``needs_bwrap`` check the isolation only bubblewrap gives; CI
installs bubblewrap, so they run there.
"""

import os
import socket
import time
import warnings

import numpy as np
import pytest
from conftest import BACKENDS, REPO, SHORT_LIMITS, needs_bwrap, worker_processes

from grader import sandbox, workerprocess
from grader.failure import StudentCodeError
from grader.protocol import Handle

PROBE = '''
import os, sys, resource, socket, subprocess
import numpy as np

def environment():
    return dict(os.environ)

def read_stdin():
    return sys.stdin.read()

def flags():
    return {"isolated": sys.flags.isolated, "cwd": os.getcwd(), "pid": os.getpid(),
            "address_space": resource.getrlimit(resource.RLIMIT_AS)[0],
            "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
            "files": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}

def exists(path):
    return os.path.exists(path)

def write_file(path):
    with open(path, "w") as f:
        f.write("x")
    return True

def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True

def shout(n):
    for _ in range(n):
        print("x" * 1000)
    return n

def spawn_child_and_hang(marker):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    while True:
        pass

def make_cache(x):
    return x * 2, (lambda: x)

def use_cache(cache):
    return cache()

def slow(seconds):
    import time
    time.sleep(seconds)
    return seconds
'''


@pytest.fixture(params=BACKENDS)
def probe(request, student_code):
    return student_code(PROBE, request.param)


def test_worker_environment_is_scrubbed_of_the_graders_secrets(probe, monkeypatch):
    monkeypatch.setenv("NNGRADE_COURSE_SECRET", "hunter2")
    env = probe.environment()
    assert "NNGRADE_COURSE_SECRET" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert set(env) <= set(sandbox.worker_environment()) | {"PWD", "LC_CTYPE"}


def test_worker_stdin_is_empty(probe):
    assert probe.read_stdin() == ""


def test_worker_runs_isolated_python_with_resource_limits_in_a_private_directory(probe):
    flags = probe.flags()
    assert flags["isolated"] == 1
    assert flags["address_space"] == SHORT_LIMITS.address_space_bytes
    assert flags["cpu"] == SHORT_LIMITS.cpu_seconds
    assert flags["files"] == SHORT_LIMITS.open_files
    assert not flags["cwd"].startswith(str(REPO))


def test_printed_output_is_captured_capped_and_kept_apart_from_results(probe):
    assert probe.shout(5000) == 5000  # ~5 MB printed; the result still arrives intact
    printed = probe.take_printed()
    assert printed.startswith("x" * 100)
    assert len(printed) < 1200 and "more bytes not kept" in printed


def test_objects_that_are_not_plain_data_stay_in_the_worker_as_handles(probe):
    doubled, cache = probe.make_cache(np.arange(3.0))
    np.testing.assert_array_equal(doubled, [0.0, 2.0, 4.0])
    assert isinstance(cache, Handle) and cache.type_name == "function"
    np.testing.assert_array_equal(probe.use_cache(cache), np.arange(3.0))


def test_a_hang_is_killed_at_the_timeout_and_a_fresh_worker_serves_the_next_call(probe):
    started = time.monotonic()
    with pytest.raises(StudentCodeError, match="did not return within"):
        probe.slow(30)
    assert time.monotonic() - started < SHORT_LIMITS.call_timeout + 5
    assert probe.read_stdin() == ""
    assert probe.restarts == 1


def test_a_handle_from_a_killed_worker_is_refused_with_a_clear_message(probe):
    _, cache = probe.make_cache(np.ones(2))
    with pytest.raises(StudentCodeError):
        probe.slow(30)
    with pytest.raises(StudentCodeError, match="was lost"):
        probe.use_cache(cache)


@pytest.mark.skipif(os.name != "posix" or not os.path.isdir("/proc"), reason="process groups, /proc")
def test_timeout_kills_every_process_the_submission_started(probe):
    marker = f"nngrade-test-child-{os.getpid()}-{time.monotonic_ns()}"
    with pytest.raises(StudentCodeError, match="did not return within"):
        probe.spawn_child_and_hang(marker)
    deadline = time.monotonic() + 5
    while worker_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker_processes(marker) == []


@needs_bwrap
def test_bwrap_worker_cannot_see_solutions_rubrics_or_the_repository(student_code):
    probe = student_code(PROBE, "bwrap")
    assert not probe.exists(str(REPO / "solutions" / "layers" / "layers.py"))
    assert not probe.exists(str(REPO / "rubrics"))
    assert not probe.exists(str(REPO / "tests"))
    assert probe.exists("/submission/layers.py")


@needs_bwrap
def test_bwrap_submission_is_read_only_and_scratch_is_writable(student_code):
    probe = student_code(PROBE, "bwrap")
    with pytest.raises(StudentCodeError, match="Read-only file system|Permission denied"):
        probe.write_file("/submission/evil.py")
    assert probe.write_file("scratch.txt") is True


@needs_bwrap
def test_bwrap_worker_has_no_network(student_code):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        probe = student_code(PROBE, "bwrap")
        with pytest.raises(StudentCodeError, match="connect|refused|unreachable|OSError"):
            probe.connect(listener.getsockname()[1])
    finally:
        listener.close()


@needs_bwrap
def test_bwrap_worker_has_its_own_pid_namespace(student_code):
    assert student_code(PROBE, "bwrap").flags()["pid"] < 10


def test_auto_backend_falls_back_to_subprocess_with_a_warning(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert sandbox.choose_backend("auto") == "subprocess"
    assert any(issubclass(w.category, sandbox.SandboxWarning) and "without filesystem" in str(w.message)
               for w in caught)


def test_asking_for_bwrap_where_it_is_missing_is_an_error_not_a_silent_downgrade(monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
        sandbox.choose_backend("bwrap")


def test_time_limit_gives_one_block_of_calls_a_longer_budget(student_code):
    probe = student_code(PROBE, "subprocess")
    with probe.time_limit(SHORT_LIMITS.call_timeout + 2):
        assert probe.slow(SHORT_LIMITS.call_timeout + 0.5) == SHORT_LIMITS.call_timeout + 0.5
    with pytest.raises(StudentCodeError, match=f"did not return within {SHORT_LIMITS.call_timeout:g} s"):
        probe.slow(SHORT_LIMITS.call_timeout + 0.5)


@pytest.mark.skipif(os.name != "posix", reason="setsid")
def test_a_child_that_escapes_the_process_group_cannot_hang_the_grader(student_code):
    source = PROBE + '''
def escape_and_hang():
    if os.fork() == 0:
        os.setsid()
        import time
        time.sleep(20)
        os._exit(0)
    while True:
        pass
'''
    probe = student_code(source, "subprocess")
    started = time.monotonic()
    with pytest.raises(StudentCodeError, match="did not return within"):
        probe.escape_and_hang()
    probe.close()
    assert time.monotonic() - started < SHORT_LIMITS.call_timeout + 10


@needs_bwrap
def test_bwrap_worker_starts_when_python_and_the_grader_live_under_tmp(tmp_path):
    """A fresh clone with its venv under /tmp (as CI may have) must still start workers."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "layers.py").write_text("def ok():\n    return 1\n")
    box = sandbox.Sandbox(submission_dir=folder, limits=SHORT_LIMITS, backend="bwrap")
    argv, _, _ = box.command(str(tmp_path))
    tmpfs = argv.index("/tmp", argv.index("--tmpfs"))
    binds = [i for i, arg in enumerate(argv) if arg in ("--ro-bind", "--bind")]
    assert all(i > tmpfs for i in binds), "every bind comes after the tmpfs on /tmp"


@pytest.mark.parametrize("backend", BACKENDS)
def test_where_pipes_cannot_be_polled_a_reader_thread_gives_the_same_answers_timeouts_and_kills(
        backend, student_code, monkeypatch):
    """Windows has no poll on pipes: replies are then read by a thread, one frame per request."""
    monkeypatch.setattr(workerprocess, "_CAN_POLL", False)
    probe = student_code(PROBE, backend)
    assert probe.shout(3) == 3  # (its output arrives on a thread of its own there, whenever it does)
    assert probe.slow(0) == 0
    with pytest.raises(StudentCodeError, match="did not return within"):
        probe.slow(30)
    assert probe.shout(1) == 1  # a fresh worker after the kill
    assert probe.restarts == 1


def test_what_a_call_prints_is_captured_by_the_time_its_answer_arrives(probe):
    """The worker flushes before it answers and the grader reads the output while it waits, so
    a check's feedback shows what that check's calls printed, never a later check."""
    for n in range(1, 40):
        assert probe.shout(n % 3 + 1) == n % 3 + 1
        assert "x" * 1000 in probe.take_printed()
        assert probe.take_printed() == ""  # nothing of it comes later, under another check
