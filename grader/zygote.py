"""The warm sandbox: one bwrap sandbox per grading process that forks a fresh worker per submission.

TRUSTED SIDE, part of the sandbox (with :mod:`grader.sandbox` and
:mod:`grader.workerprocess`). Starting a worker cold costs about 80 ms, most of it
the interpreter and numpy's import; a warm sandbox pays that once per process and
then forks each worker in a few milliseconds. The process inside it,
:mod:`grader.worker.spawn`, runs no student code: each child it forks confines itself
(:mod:`grader.worker.confine`: its own user, mount, PID, IPC, UTS and network namespaces, its
one submission at ``/submission``, fresh ``/tmp``, ``/scratch`` and ``/dev/shm``, every
inherited writable mount made read-only, no capabilities, no_new_privs, the seccomp
filter) before it becomes the worker. So a worker runs in a process no earlier
submission touched, with the cold worker's caps, limits and masks, in its own cgroup.

A process keeps a warm sandbox per sandbox configuration (binds, masks, limits), at most
:data:`MAX_WARM`, the least recently used closed first. Where it cannot start or cannot confine a child
(a kernel without nested user namespaces, say), :func:`fork` returns None and the
sandbox starts workers cold; :func:`unavailable` says why. ``NNGRADE_WARM=0`` turns it off.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from grader import cgroup, seccomp
from grader.worker import confine
from grader.workerprocess import WorkerDied, WorkerProcess, WorkerTimeout, worker_environment

if TYPE_CHECKING:
    from grader.sandbox import Sandbox

_lock = threading.Lock()
# Why a few: a process grades one sandbox configuration at a time (one class's masks and limits);
# threads of a Dask worker may grade two at once, and a running worker must not lose its warm
# sandbox to the other's. Each costs a Python with numpy (~40 MB).
MAX_WARM = 4
_zygotes: "collections.OrderedDict[tuple, Zygote]" = collections.OrderedDict()
_unavailable = ""
_exit_hook = False


class ZygoteFailed(Exception):
    """The warm sandbox cannot serve this worker (it died, or could not fork)."""


class ConfinementUnavailable(ZygoteFailed):
    """A child could not be confined: this machine cannot run warm workers at all."""


def unavailable() -> str:
    """Why this process starts its workers cold, or "" (never tried, or warm)."""
    return _unavailable


def fork(sandbox: "Sandbox") -> "WarmWorker | None":
    """A worker forked from this process's warm sandbox for ``sandbox``, or None (start one cold)."""
    global _unavailable
    if _unavailable:
        return None
    with _lock:
        try:
            key = Zygote.key_of(sandbox)
            zygote = _zygotes.pop(key, None)
            if zygote is not None and not zygote.alive():
                zygote.close()
                zygote = None
            if zygote is None:
                zygote = Zygote(sandbox, key)
            _zygotes[key] = zygote  # the most recently used last
            while len(_zygotes) > MAX_WARM:
                _zygotes.popitem(last=False)[1].close()
        except (OSError, ZygoteFailed, ValueError) as exc:
            _unavailable = f"the warm sandbox did not start: {exc}"
            return None
    try:
        return WarmWorker(zygote, sandbox)
    except ConfinementUnavailable as exc:
        _unavailable = str(exc)
        shutdown()
        return None
    except ZygoteFailed:  # this warm sandbox broke: the next worker gets a new one
        with _lock:
            if _zygotes.get(key) is zygote:
                del _zygotes[key]
            zygote.close()
        return None


def resident_pids() -> set[int]:
    """The processes this process's warm sandboxes keep running between workers (bwrap, its
    PID namespace's init, the fork server), not the workers they forked."""
    found: set[int] = set()
    for zygote in list(_zygotes.values()):
        found |= {zygote.process.pid, zygote.host_pid} | _ancestors(zygote.host_pid, zygote.process.pid)
    return found


def shutdown() -> None:
    """Stop this process's warm sandboxes (a new one starts when next needed)."""
    with _lock:
        while _zygotes:
            _zygotes.popitem()[1].close()


class Zygote:
    """The running warm sandbox: its bwrap process, socket and inbox folder."""

    @staticmethod
    def key_of(sandbox: "Sandbox") -> tuple:
        argv, _, _ = sandbox.command("/", inbox="/inbox")
        return tuple(argv), sandbox.limits.start_timeout

    def __init__(self, sandbox: "Sandbox", key: tuple):
        global _exit_hook
        if not _exit_hook:  # why: a grader that ends normally stops its warm sandbox (bwrap's
            atexit.register(shutdown)  # --die-with-parent covers one that is killed)
            _exit_hook = True
        self.key = key
        self.inbox = tempfile.mkdtemp(prefix="nngrade-inbox-")
        os.chmod(self.inbox, 0o755)
        self.log = tempfile.TemporaryFile(prefix="nngrade-zygote-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            argv, _, _ = sandbox.command(self.inbox, inbox=self.inbox)
            self.process = subprocess.Popen(argv, stdin=theirs.fileno(), stdout=subprocess.DEVNULL, stderr=self.log,
                                            env=worker_environment(), cwd=self.inbox, close_fds=True,
                                            start_new_session=True)
        except BaseException:
            ours.close()
            shutil.rmtree(self.inbox, ignore_errors=True)
            raise
        finally:
            theirs.close()
        self.channel = ours
        self.channel.settimeout(sandbox.limits.start_timeout)
        try:
            program = seccomp.program()
            reply = self.ask({"op": "hello", "seccomp": program.hex() if program else None})
            self.seccomp = program is not None
            self.host_pid = _descendant(self.process.pid, int(reply["ready"]))
            if self.host_pid is None:
                raise ZygoteFailed("its process was not found")
        except (OSError, KeyError, TypeError, ValueError, ZygoteFailed) as exc:
            self.close()
            raise ZygoteFailed(f"{exc} {self.log_tail()}".strip()) from None

    def ask(self, message: dict, fds: list[int] = ()) -> dict:
        socket.send_fds(self.channel, [json.dumps(message).encode()], list(fds))
        data = self.channel.recv(1 << 16)
        if not data:
            raise ZygoteFailed(f"the warm sandbox ended {self.log_tail()}".strip())
        reply = json.loads(data)
        if "error" in reply:
            raise ZygoteFailed(f"the warm sandbox refused: {reply['error']}")
        return reply

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        try:
            self.log.seek(0)
            text = self.log.read()[-2000:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return f"({text})" if text else ""

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.channel.close()
        self.log.close()
        shutil.rmtree(self.inbox, ignore_errors=True)


class _ForkedProcess:
    """What :class:`WorkerProcess` needs of a Popen, for a worker forked in the warm sandbox.
    Its exit status comes from the status pipe its parent (C) writes when it ends."""

    def __init__(self, stdin: int, stdout: int, stderr: int, status: int, host_pid: int):
        self.stdin = os.fdopen(stdin, "wb")
        self.stdout = os.fdopen(stdout, "rb")
        self.stderr = os.fdopen(stderr, "rb")
        self._status = status
        self.pid = host_pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _readable(self._status, timeout):
                raise subprocess.TimeoutExpired("worker", timeout)
            data = b""
            while chunk := os.read(self._status, 64):
                data += chunk
            os.close(self._status)
            try:
                self.returncode = int(data)
            except ValueError:  # C itself was killed before it could say
                self.returncode = -signal.SIGKILL
        return self.returncode


class WarmWorker(WorkerProcess):
    """A worker forked from the warm sandbox: the same requests, output capture and kill."""

    def __init__(self, zygote: Zygote, sandbox: "Sandbox"):
        self.limits = sandbox.limits
        self.backend = sandbox.backend
        token = secrets.token_hex(16)
        self._workdir = os.path.join(zygote.inbox, token)
        _link_tree(sandbox.submission_dir, Path(self._workdir))
        self.cgroup = cgroup.create(memory_bytes=self.limits.total_memory_bytes, processes=self.limits.processes)
        self.caps = sandbox.caps(self.cgroup)
        self.caps["seccomp"] = zygote.seccomp
        self.caps["enforced_by"] += ", forked from a warm sandbox"
        self._pidfds: list[int] = []
        pipes = [os.pipe() for _ in range(4)]  # protocol in, protocol out, output, status
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
        try:
            with _lock:
                reply = zygote.ask({"op": "fork", "token": token, "tmp_bytes": self.limits.tmp_bytes,
                                    "scratch_bytes": self.limits.scratch_bytes}, theirs)
            host_pid = _descendant(zygote.host_pid, int(reply["pid"]), depth=1)
            if host_pid is None:
                raise ZygoteFailed("the warm sandbox's child was not found")
            self._pidfds.append(os.pidfd_open(host_pid))
            if self.cgroup is not None:
                for procs in self.cgroup.procs_files:
                    Path(procs).write_text(str(host_pid))
            os.write(ours[0], b"\x01")  # go: C is in its cgroup
        except (OSError, ValueError, KeyError, TypeError, ZygoteFailed) as exc:
            for fd in theirs + ours + self._pidfds:
                os.close(fd)
            self._release()
            raise ZygoteFailed(f"the warm sandbox failed to fork a worker: {exc}") from None
        for fd in theirs:
            os.close(fd)
        self.process = _ForkedProcess(ours[0], ours[1], ours[2], ours[3], host_pid)
        try:
            self._begin(sandbox, "/submission", "/scratch")
        except (WorkerDied, WorkerTimeout) as exc:
            if self.process.wait(timeout=0) == confine.CONFINEMENT_FAILED:
                output, _ = self.take_output()
                raise ConfinementUnavailable(f"the warm sandbox could not confine a worker: "
                                             f"{output.strip()[-500:]}") from None
            raise WorkerDied(str(exc)) from None
        self._hold_first()

    def _hold_first(self) -> None:
        """Keep a pidfd of G, C's one child, once it exists (it may also have ended already)."""
        first = _descendant(self.process.pid, 1, depth=1, any_pid=True)
        if first is not None:
            try:
                self._pidfds.append(os.pidfd_open(first))
            except OSError:
                pass

    def _signal(self) -> None:
        """SIGKILL the PID namespace's first process (G): the kernel then kills every process
        in the namespace and C reports how G ended. C itself is killed only if it does not
        report (G never came)."""
        if len(self._pidfds) == 1:  # G not known yet: it may have started (or ended) since
            self._hold_first()
        if len(self._pidfds) > 1:
            _kill(self._pidfds[1])
        try:
            self.process.wait(timeout=5.0 if len(self._pidfds) > 1 else 0.5)
        except subprocess.TimeoutExpired:
            if self._pidfds:
                _kill(self._pidfds[0])
        if self._pidfds:
            # Why wait for C to end: the cgroup is then empty, and removing it needs no kill rounds.
            _readable(self._pidfds[0], 1.0)

    def kill(self) -> None:
        super().kill()
        self._release()

    def _release(self) -> None:
        for fd in self._pidfds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._pidfds = []
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self._workdir, ignore_errors=True)


def _readable(fd: int, timeout: float | None) -> bool:
    """Whether ``fd`` is readable within ``timeout`` seconds (poll: any descriptor number)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


def _kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass


def _link_tree(source: Path, target: Path) -> None:
    """``source``'s files at ``target``: hard links where possible (the inbox is read-only
    in the sandbox), copies across file systems; symbolic links stay links."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)
    shutil.copytree(source, target, symlinks=True, copy_function=link)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _ancestors(pid: int, stop: int) -> set[int]:
    """The processes between ``stop`` and ``pid`` (both excluded)."""
    found: set[int] = set()
    while True:
        try:
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return found
        if parent in (stop, 0, 1) or parent in found:
            return found
        found.add(parent)
        pid = parent


def _namespace_pid(pid: int) -> int | None:
    """``pid``'s number in its innermost PID namespace (the last field of NSpid)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _descendant(root: int, inner_pid: int, *, depth: int = 4, any_pid: bool = False) -> int | None:
    """The host pid of the descendant of ``root`` (at most ``depth`` levels down) whose
    innermost PID namespace number is ``inner_pid`` (or any child, with ``any_pid``)."""
    level = [root]
    for _ in range(depth):
        level = [child for parent in level for child in _children(parent)]
        for pid in level:
            if any_pid or _namespace_pid(pid) == inner_pid:
                return pid
    return None
