"""Starting, talking to and killing the worker process: the only module that starts processes.

Two backends:

``bwrap`` (Linux, when bubblewrap is installed)
    The worker runs in new namespaces (no network, own PID namespace, no IPC),
    ``--die-with-parent``, with a read-only view of the system, the Python
    installation, the grader package and the one submission, and a private
    writable directory. ``solutions/``, ``rubrics/`` and other submissions do
    not exist inside it.
``subprocess`` (everywhere else: macOS, Windows, Linux without bwrap)
    A plain child process with the same limits (rlimits where the OS has them,
    timeouts, scrubbed environment, capped output) but **no filesystem or network
    isolation**: the student's code can read any file the grader's user can.
    Fine for a student's own ``grade local``; not a security boundary for TAs.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from grader import protocol
from grader.limits import Limits

GRADER_PACKAGE = Path(__file__).resolve().parent
BACKENDS = ("auto", "bwrap", "subprocess")


class SandboxWarning(UserWarning):
    """The strong sandbox is not available; the weaker backend is used."""


class WorkerTimeout(Exception):
    """The worker did not answer within its wall-clock limit (it has been killed)."""


class WorkerDied(Exception):
    """The worker process ended or broke the protocol (it has been killed)."""


def bwrap_path() -> str | None:
    return shutil.which("bwrap") if sys.platform.startswith("linux") else None


def choose_backend(preference: str = "auto") -> str:
    """The backend to use: ``bwrap`` when asked for or available, else ``subprocess``.

    ``auto`` falls back to ``subprocess`` with a :class:`SandboxWarning`;
    asking for ``bwrap`` where it is missing raises :class:`RuntimeError`.
    """
    if preference not in BACKENDS:
        raise ValueError(f"unknown sandbox backend {preference!r}; choose from {', '.join(BACKENDS)}")
    if preference == "subprocess":
        return "subprocess"
    if bwrap_path():
        return "bwrap"
    if preference == "bwrap":
        raise RuntimeError("the bwrap sandbox was requested but bwrap is not installed "
                           "(Debian/Ubuntu: apt-get install bubblewrap)")
    warnings.warn("bubblewrap (bwrap) is not available: student code runs as a plain subprocess "
                  "with resource limits but without filesystem or network isolation",
                  SandboxWarning, stacklevel=2)
    return "subprocess"


def worker_environment() -> dict:
    """A scrubbed environment: nothing of the grader's (tokens, secrets, paths) leaks in."""
    env = {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # Why: one BLAS thread per worker; parallel workers must not oversubscribe the cores.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:backslashreplace",
    }
    # Why: some OpenBLAS builds crash or compute wrongly on this CPU without these.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    if os.name == "nt":  # Python cannot start on Windows without these
        for name in ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP"):
            if name in os.environ:
                env[name] = os.environ[name]
    return env


def _bootstrap(package_parent: str) -> str:
    return f"import sys; sys.path.insert(0, {package_parent!r}); from grader.worker import main; main()"


def _python_roots() -> list[str]:
    """Directories the interpreter and its packages live in (bound read-only in bwrap)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(os.path.realpath(sys.executable)).parent.parent)}
    roots.update(site.getsitepackages())
    import numpy
    roots.add(str(Path(numpy.__file__).resolve().parent.parent))
    existing = sorted(r for r in {os.path.realpath(r) for r in roots} if os.path.isdir(r))
    # keep only the outermost of nested roots
    return [r for r in existing if not any(r != o and r.startswith(o.rstrip(os.sep) + os.sep) for o in existing)]


class Sandbox:
    """Where and how workers for one submission are started."""

    def __init__(self, *, submission_dir: Path, limits: Limits, backend: str,
                 hidden_paths: tuple[Path, ...] = ()):
        self.submission_dir = Path(submission_dir).resolve()
        self.limits = limits
        self.backend = backend
        self.hidden_paths = tuple(Path(p).resolve() for p in hidden_paths)

    def command(self, workdir: str) -> tuple[list[str], str, str]:
        """(argv, submission dir as the worker sees it, workdir as the worker sees it)."""
        if self.backend == "subprocess":
            argv = [sys.executable, "-I", "-B", "-c", _bootstrap(str(GRADER_PACKAGE.parent))]
            return argv, str(self.submission_dir), workdir
        argv = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
        for system_dir in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
            argv += ["--ro-bind-try", system_dir, system_dir]
        # Mounted before the binds below: bwrap applies them in order, and a tmpfs on /tmp
        # after them would hide a Python or grader that lives under /tmp (a venv in a clone there).
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        roots = _python_roots()
        for root in roots:
            argv += ["--ro-bind", root, root]
        for hidden in self.hidden_paths:
            # Why: should the course sit inside a bound directory, its secrets are masked.
            if any(str(hidden).startswith(r.rstrip("/") + "/") for r in roots):
                argv += ["--tmpfs", str(hidden)]
        argv += ["--ro-bind", str(GRADER_PACKAGE), "/nngrade/grader",
                 "--ro-bind", str(self.submission_dir), "/submission",
                 "--bind", workdir, "/scratch",
                 "--chdir", "/scratch",
                 "--", sys.executable, "-I", "-B", "-c", _bootstrap("/nngrade")]
        return argv, "/submission", "/scratch"

    def start(self) -> "WorkerProcess":
        return WorkerProcess(self)


class WorkerProcess:
    """One running worker: send a request, wait (bounded) for its answer, kill it."""

    def __init__(self, sandbox: Sandbox):
        self.limits = sandbox.limits
        self.backend = sandbox.backend
        self._workdir = tempfile.mkdtemp(prefix="nngrade-worker-")
        argv, submission_dir, workdir = sandbox.command(self._workdir)
        kwargs: dict = {}
        if os.name == "posix":
            # Why: its own process group, so a kill reaches every process it started.
            kwargs["start_new_session"] = True
        else:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=worker_environment(), cwd=self._workdir, close_fds=True, **kwargs)
        self._replies: queue.Queue = queue.Queue()
        self._output = bytearray()
        self._output_total = 0
        self._output_lock = threading.Lock()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        self.dead = False
        self.request({"op": "init", "limits": self.limits.for_worker(),
                      "submission_dir": submission_dir, "workdir": workdir},
                     timeout=self.limits.start_timeout)

    # -- background readers ---------------------------------------------------
    # The reader threads own their pipes and close them at EOF. kill() must not close
    # them under a blocked reader: if a process that escaped the kill (setsid) still
    # holds the pipe, close() would wait for the reader forever.
    def _read_replies(self) -> None:
        try:
            while True:
                payload = protocol.read_frame(self.process.stdout, max_bytes=self.limits.message_bytes)
                self._replies.put(payload)
                if payload is None:
                    return
        except (protocol.ProtocolError, OSError, ValueError) as exc:
            self._replies.put(exc)
        finally:
            _close_quietly(self.process.stdout)

    def _read_output(self) -> None:
        # Why a cap: a print in an infinite loop must not fill the grader's memory;
        # the rest is read and dropped so the worker never blocks on a full pipe.
        stream = self.process.stderr
        try:
            while True:
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
                if not chunk:
                    return
                with self._output_lock:
                    self._output_total += len(chunk)
                    room = self.limits.output_bytes - len(self._output)
                    if room > 0:
                        self._output += chunk[:room]
        except (OSError, ValueError):
            return
        finally:
            _close_quietly(stream)

    def take_output(self) -> tuple[str, int]:
        """(captured output so far as text, total bytes printed); clears the capture."""
        with self._output_lock:
            text = self._output.decode("utf-8", errors="replace")
            total = self._output_total
            self._output = bytearray()
            self._output_total = 0
        return text, total

    # -- requests ---------------------------------------------------------------
    def request(self, message: dict, blobs: list | None = None, *, timeout: float) -> tuple[dict, list]:
        if self.dead:
            raise WorkerDied("the worker is no longer running")
        try:
            self.process.stdin.write(protocol.pack(message, blobs or []))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.kill()
            raise WorkerDied(self._death_reason()) from None
        deadline = time.monotonic() + timeout
        try:
            payload = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self.kill()
            raise WorkerTimeout(f"no answer within {timeout:g} s") from None
        if payload is None:
            self.kill()
            raise WorkerDied(self._death_reason())
        if isinstance(payload, Exception):
            self.kill()
            raise WorkerDied(f"the worker sent a malformed message ({payload})")
        try:
            return protocol.unpack(payload)
        except protocol.ProtocolError as exc:
            self.kill()
            raise WorkerDied(f"the worker sent a malformed message ({exc})") from None

    def _death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the worker stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (killed, possibly out of memory)",
                    "SIGSEGV": " (segmentation fault)", "SIGXFSZ": " (file size limit)"}.get(name, "")
            return f"the worker process was killed by {name}{hint}"
        return f"the worker process exited with code {code}"

    def kill(self) -> None:
        """Kill the worker and everything it started; safe to call twice."""
        if not self.dead:
            self.dead = True
            try:
                if os.name == "posix":
                    os.killpg(self.process.pid, signal.SIGKILL)
                else:
                    self.process.kill()
            except (ProcessLookupError, PermissionError, OSError):
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            _close_quietly(self.process.stdin)  # stdout and stderr are closed by their readers
        shutil.rmtree(self._workdir, ignore_errors=True)

    close = kill


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except (OSError, ValueError):
        pass
