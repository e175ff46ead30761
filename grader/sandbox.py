"""Starting, talking to and killing the worker process: the only module that starts processes.

Two backends:

``bwrap`` (Linux, when bubblewrap is installed)
    The worker runs in new namespaces (no network, own PID namespace, no IPC),
    ``--die-with-parent``, with a read-only view of the system (``/usr``, the
    libraries, a short list of ``/etc`` files), the Python installation, the
    grader package and the one submission, and RAM-backed ``/tmp`` and ``/scratch``
    of a fixed size. Every capability is dropped (``--cap-drop ALL``: a grader
    running as root does not hand root's powers to the student) and a seccomp
    filter (:mod:`grader.seccomp`) refuses mount, namespace, ptrace, keyring,
    bpf and perf calls. The course's secret folders and any other folder the
    caller names (the batch's input and output) are masked wherever they lie
    under a bound folder.
``subprocess`` (everywhere else: macOS, Windows, Linux without bwrap)
    A plain child process with the same limits (rlimits where the OS has them,
    timeouts, scrubbed environment, capped output) but **no filesystem or network
    isolation**: the student's code can read any file the grader's user can.
    Fine for a student's own ``grade local``; not a security boundary for TAs.
``unprivileged`` (Linux, the grader running as root: a Gradescope container, where
    bwrap usually cannot create namespaces)
    The subprocess backend, but the worker drops to a dedicated unprivileged user
    (``nobody``, 65534, or ``$NNGRADE_WORKER_UID``/``$NNGRADE_WORKER_GID``) with no
    supplementary groups and ``no_new_privs``, in a private copy of the submission and
    a scratch folder owned by that user. File permissions are the boundary: it cannot
    read a folder of mode 0700 owned by root (the course: ``/autograder/source``) nor
    write one it does not own (``/autograder/results``). Before the first worker
    starts, a probe run as that user checks that it can run Python, numpy and the
    worker and that it can read none of the hidden folders; otherwise
    :class:`grader.failure.GraderError` says why. Concurrent workers share the user.

On both, where a cgroup can be made (:mod:`grader.cgroup`), all of one worker's
processes share one memory cap and one process cap, and a kill reaches every
one of them. :meth:`Sandbox.caps` says which caps are in force; the result
records it. ``docs/security.md`` has the table of guarantees per platform.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import secrets
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

from grader import cgroup, protocol, seccomp
from grader.failure import GraderError
from grader.limits import Limits

GRADER_PACKAGE = Path(__file__).resolve().parent
BACKENDS = ("auto", "bwrap", "subprocess", "unprivileged")
# The unprivileged backend's user and group (default: nobody/nogroup on Debian and Ubuntu).
WORKER_UID_ENV, WORKER_GID_ENV = "NNGRADE_WORKER_UID", "NNGRADE_WORKER_GID"
DEFAULT_WORKER_ID = 65534
# System folders bound read-only into the bwrap sandbox. /etc is not among them:
# only ETC_FILES are (a grader running as root must not show /etc/shadow or a course kept under /etc).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
# Why each: the dynamic loader's cache and config (shared libraries), the alternatives
# symlinks (Debian's BLAS), users and groups (getpass, ~), time zone, name service config.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
             "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/os-release")
# Joins the worker's cgroup (each file named before "--"), then becomes the worker: the
# worker is in its cgroup before its first instruction, and so is every process it starts.
_CGROUP_SHIM = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
# Runs as root in the worker's process group (and cgroup), then becomes the worker user for
# good: no supplementary groups, real/effective/saved ids all changed (every capability is
# lost), no_new_privs (no set-uid program gives them back), then execs the worker.
_DROP_PRIVILEGES = (
    "import ctypes, os, sys\n"
    "uid, gid = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.setgroups([]); os.setresgid(gid, gid, gid); os.setresuid(uid, uid, uid)\n"
    "if os.getuid() != uid or os.geteuid() != uid or os.getgroups() not in ([], [gid]): sys.exit(126)\n"
    "try:\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS\n"
    "except Exception:\n"
    "    pass\n"
    "os.execv(sys.argv[4], sys.argv[4:])\n")
# Run as the worker user before its first worker: can it run the worker, and is it kept out?
_PROBE = (
    "import json, os, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "import numpy, grader.worker\n"
    "readable = []\n"
    "for path in sys.argv[2:]:\n"
    "    try:\n"
    "        os.listdir(path) if os.path.isdir(path) else open(path, 'rb').close()\n"
    "        readable.append(path)\n"
    "    except OSError:\n"
    "        pass\n"
    "print(json.dumps(readable))\n")


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
    ``unprivileged`` is used only when asked for, and raises :class:`GraderError`
    unless the grader is root and the worker user can run the worker.
    """
    if preference not in BACKENDS:
        raise ValueError(f"unknown sandbox backend {preference!r}; choose from {', '.join(BACKENDS)}")
    if preference == "subprocess":
        return "subprocess"
    if preference == "unprivileged":
        check_unprivileged()
        return "unprivileged"
    if bwrap_path():
        return "bwrap"
    if preference == "bwrap":
        raise RuntimeError("the bwrap sandbox was requested but bwrap is not installed "
                           "(Debian/Ubuntu: apt-get install bubblewrap)")
    warnings.warn("bubblewrap (bwrap) is not available: student code runs as a plain subprocess "
                  "with resource limits but without filesystem or network isolation",
                  SandboxWarning, stacklevel=2)
    return "subprocess"


def worker_ids() -> tuple[int, int]:
    """(uid, gid) the unprivileged backend runs workers as."""
    try:
        uid = int(os.environ.get(WORKER_UID_ENV, DEFAULT_WORKER_ID))
        gid = int(os.environ.get(WORKER_GID_ENV, DEFAULT_WORKER_ID))
    except ValueError:
        raise GraderError(f"${WORKER_UID_ENV} and ${WORKER_GID_ENV} must be numeric ids") from None
    if uid <= 0 or gid <= 0:
        raise GraderError("the unprivileged sandbox needs a worker user and group other than root (0)")
    return uid, gid


def check_unprivileged(hidden: tuple[str, ...] = ()) -> None:
    """Raise :class:`GraderError` unless the unprivileged backend can work here: Linux, the
    grader is root (only root can switch users), the worker user can start Python, import
    numpy and the worker, and can read none of ``hidden`` (the course's secret folders)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "geteuid"):
        raise GraderError("the unprivileged sandbox runs on Linux only")
    if os.geteuid() != 0:
        raise GraderError("the unprivileged sandbox must be started as root (it switches the worker to an "
                          "unprivileged user); use --sandbox bwrap or subprocess otherwise")
    uid, gid = worker_ids()
    readable = _probe(sys.executable, str(GRADER_PACKAGE.parent), uid, gid, tuple(sorted(hidden)))
    if readable:
        raise GraderError(f"the worker user {uid} can read {', '.join(readable)}: the hidden tests and "
                          "solutions must not be readable by it (chmod 700 the course folder, owned by root)")


@functools.lru_cache(maxsize=64)
def _probe(python: str, package_parent: str, uid: int, gid: int, hidden: tuple[str, ...]) -> tuple[str, ...]:
    try:
        done = subprocess.run([python, "-I", "-B", "-c", _PROBE, package_parent, *hidden],
                              user=uid, group=gid, extra_groups=[], cwd="/", env=worker_environment(),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GraderError(f"the unprivileged sandbox cannot start {python} as user {uid}: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise GraderError(f"the unprivileged sandbox cannot run the worker as user {uid} with {python} "
                          f"({last}). Python, its packages and the grader must be readable by that user: "
                          "install them outside a private home folder (a Python under /root, mode 0700, "
                          "cannot run as another user)")
    try:
        return tuple(json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1]))
    except (ValueError, IndexError):
        raise GraderError(f"the unprivileged sandbox's probe as user {uid} gave no answer") from None


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


def _mask(path: str) -> list[str]:
    """bwrap arguments that cover ``path`` with nothing: an empty tmpfs, or /dev/null for a file."""
    if os.path.isdir(path):
        return ["--tmpfs", path]
    return ["--ro-bind", "/dev/null", path]


@functools.lru_cache(maxsize=1)
def _python_roots() -> tuple[str, ...]:
    """Directories the interpreter and its packages live in (bound read-only in bwrap);
    cached, as they do not move while the grader runs."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(os.path.realpath(sys.executable)).parent.parent)}
    roots.update(site.getsitepackages())
    import numpy
    roots.add(str(Path(numpy.__file__).resolve().parent.parent))
    existing = sorted(r for r in {os.path.realpath(r) for r in roots} if os.path.isdir(r))
    # keep only the outermost of nested roots
    return tuple(r for r in existing if not any(r != o and r.startswith(o.rstrip(os.sep) + os.sep) for o in existing))


class Sandbox:
    """Where and how workers for one submission are started."""

    def __init__(self, *, submission_dir: Path, limits: Limits, backend: str,
                 hidden_paths: tuple[Path, ...] = ()):
        self.submission_dir = Path(submission_dir).resolve()
        self.limits = limits
        self.backend = backend
        self.hidden_paths = tuple(Path(p).resolve() for p in hidden_paths)

    def caps(self, group: "cgroup.Cgroup | None") -> dict:
        """The resource caps in force for a worker started with ``group`` (recorded in the result)."""
        limits = self.limits
        caps = {"address_space_bytes_per_process": limits.address_space_bytes,
                "cpu_seconds_per_process": limits.cpu_seconds,
                "file_size_bytes": limits.file_size_bytes,
                "total_memory_bytes": group.memory_bytes if group else None,
                "processes": group.processes if group else self._nproc_rlimit(),
                "tmp_bytes": limits.tmp_bytes if self.backend == "bwrap" else None,
                "scratch_bytes": limits.scratch_bytes if self.backend == "bwrap" else None,
                "enforced_by": (f"cgroup v{group.version}" if group else "rlimits")
                + {"bwrap": ", bwrap (capabilities dropped, seccomp)",
                   "unprivileged": f", subprocess as user {worker_ids()[0]}"}.get(self.backend, ", subprocess")}
        return caps

    def _nproc_rlimit(self) -> int | None:
        """RLIMIT_NPROC where it bounds only this worker: bwrap as a user (a new user
        namespace counts its own processes). For root the kernel ignores it; for a plain
        subprocess it would count every process of the user's."""
        if self.backend == "bwrap" and hasattr(os, "geteuid") and os.geteuid() != 0:
            return self.limits.processes
        return None

    def bound_folders(self) -> list[str]:
        """Host folders visible inside the bwrap sandbox (resolved), besides the submission and /scratch."""
        folders = [os.path.realpath(d) for d in SYSTEM_DIRS + ETC_FILES if os.path.exists(d)]
        return folders + list(_python_roots()) + [str(GRADER_PACKAGE)]

    def command(self, workdir: str, *, seccomp_fd: int | None = None) -> tuple[list[str], str, str]:
        """(argv, submission dir as the worker sees it, workdir as the worker sees it)."""
        if self.backend == "subprocess":
            argv = [sys.executable, "-I", "-B", "-c", _bootstrap(str(GRADER_PACKAGE.parent))]
            return argv, str(self.submission_dir), workdir
        if self.backend == "unprivileged":
            # ``workdir`` is the worker's own folder (see WorkerProcess): its copy of the
            # submission and its scratch folder are in there, under unguessable names.
            uid, gid = worker_ids()
            private = _own_folders(Path(workdir), self.submission_dir, uid, gid)
            argv = [sys.executable, "-I", "-B", "-c", _DROP_PRIVILEGES, str(uid), str(gid), "--",
                    sys.executable, "-I", "-B", "-c", _bootstrap(str(GRADER_PACKAGE.parent))]
            return argv, str(private[0]), str(private[1])
        argv = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                # Why: as root, bwrap keeps every capability unless told; with them, student
                # code remounted the read-only binds read-write and patched the grader.
                "--cap-drop", "ALL"]
        if seccomp_fd is not None:
            argv += ["--seccomp", str(seccomp_fd)]
        for system_dir in SYSTEM_DIRS + ETC_FILES:
            argv += ["--ro-bind-try", system_dir, system_dir]
        # Mounted before the binds below: bwrap applies them in order, and a tmpfs on /tmp
        # after them would hide a Python or grader that lives under /tmp (a venv in a clone there).
        argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.limits.tmp_bytes), "--tmpfs", "/tmp"]
        roots = _python_roots()
        # Masks go in two rounds: a secret folder under a system folder is masked before the
        # Python and grader binds (so a venv inside it is bound again on top of the mask);
        # one under a Python folder is masked after them.
        late = [r.rstrip("/") + "/" for r in (*roots, str(GRADER_PACKAGE))]
        masks = self.masked_paths()
        for hidden in masks:
            if not any((hidden + "/").startswith(r) for r in late):
                argv += _mask(hidden)
        for root in roots:
            argv += ["--ro-bind", root, root]
        argv += ["--ro-bind", str(GRADER_PACKAGE), "/nngrade/grader",
                 "--ro-bind", str(self.submission_dir), "/submission",
                 "--size", str(self.limits.scratch_bytes), "--tmpfs", "/scratch"]
        for hidden in masks:
            if any((hidden + "/").startswith(r) for r in late):
                argv += _mask(hidden)
        argv += ["--chdir", "/scratch",
                 "--", sys.executable, "-I", "-B", "-c", _bootstrap("/nngrade")]
        return argv, "/submission", "/scratch"

    def masked_paths(self) -> list[str]:
        """Hidden paths that lie under a bound folder: each is covered by an empty tmpfs."""
        bound = [b.rstrip("/") + "/" for b in self.bound_folders()]
        system = [os.path.realpath(d).rstrip("/") + "/" for d in SYSTEM_DIRS if os.path.exists(d)]
        masked = []
        for hidden in self.hidden_paths:
            for path in {str(hidden), os.path.realpath(hidden)}:
                # A folder holding a whole system folder ("/" as an output folder) is not
                # masked: that would hide the system; what lies outside the binds is unseen anyway.
                if any(s.startswith(path.rstrip("/") + "/") for s in system):
                    continue
                if os.path.exists(path) and any((path + "/").startswith(b) for b in bound):
                    masked.append(path)
        return sorted(set(masked))

    def start(self) -> "WorkerProcess":
        if self.backend == "unprivileged":
            check_unprivileged(tuple(str(p) for p in self.hidden_paths if p.exists()))
        return WorkerProcess(self)


def _own_folders(workdir: Path, submission: Path, uid: int, gid: int) -> tuple[Path, Path]:
    """A copy of the submission and a scratch folder in ``workdir``, owned by the worker user.

    ``workdir`` (root's, from mkdtemp) becomes 0711: the worker can reach the two folders
    by name, but not list ``workdir``; the random names keep another worker out."""
    os.chmod(workdir, 0o711)
    copy = workdir / f"submission-{secrets.token_hex(16)}"
    scratch = workdir / f"scratch-{secrets.token_hex(16)}"
    shutil.copytree(submission, copy, symlinks=True)
    scratch.mkdir(mode=0o700)
    for folder in (copy, scratch):
        for path in (folder, *folder.rglob("*")):
            os.lchown(path, uid, gid)
    return copy, scratch


class WorkerProcess:
    """One running worker: send a request, wait (bounded) for its answer, kill it."""

    def __init__(self, sandbox: Sandbox):
        self.limits = sandbox.limits
        self.backend = sandbox.backend
        self._workdir = tempfile.mkdtemp(prefix="nngrade-worker-")
        self.cgroup = cgroup.create(memory_bytes=self.limits.total_memory_bytes,
                                    processes=self.limits.processes) if sys.platform.startswith("linux") else None
        self.caps = sandbox.caps(self.cgroup)
        filter_fd = None
        program = seccomp.program() if self.backend == "bwrap" else None
        if program is not None and hasattr(os, "memfd_create"):
            filter_fd = os.memfd_create("nngrade-seccomp", 0)
            os.write(filter_fd, program)
            os.lseek(filter_fd, 0, os.SEEK_SET)
        self.caps["seccomp"] = filter_fd is not None
        argv, submission_dir, workdir = sandbox.command(self._workdir, seccomp_fd=filter_fd)
        if self.cgroup is not None:
            argv = ["/bin/sh", "-c", _CGROUP_SHIM, "sh", *self.cgroup.procs_files, "--", *argv]
        kwargs: dict = {}
        if os.name == "posix":
            # Why: its own process group, so a kill reaches every process it started.
            kwargs["start_new_session"] = True
        else:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=worker_environment(), cwd=self._workdir, close_fds=True,
                pass_fds=(filter_fd,) if filter_fd is not None else (), **kwargs)
        except BaseException:
            if self.cgroup is not None:
                self.cgroup.remove()
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise
        finally:
            if filter_fd is not None:
                os.close(filter_fd)
        self._replies: queue.Queue = queue.Queue()
        # Why: the reader reads one frame per request, so a worker that sends frames nobody
        # asked for holds them in its own pipe, not in the grader's memory.
        self._permits = threading.Semaphore(0)
        self._output = bytearray()
        self._output_total = 0
        self._output_lock = threading.Lock()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        self.dead = False
        self.request({"op": "init", "limits": {**self.limits.for_worker(),
                                               "processes": sandbox._nproc_rlimit()},
                      "submission_dir": submission_dir, "workdir": workdir},
                     timeout=self.limits.start_timeout)

    # -- background readers ---------------------------------------------------
    # The reader threads own their pipes and close them at EOF. kill() must not close
    # them under a blocked reader: if a process that escaped the kill (setsid) still
    # holds the pipe, close() would wait for the reader forever.
    def _read_replies(self) -> None:
        try:
            while True:
                self._permits.acquire()
                payload = protocol.read_frame(self.process.stdout, max_bytes=self.limits.message_bytes)
                self._replies.put(payload)
                if payload is None:
                    return
                payload = None  # why: not held while waiting for the next permit (a frame may be 64 MiB)
        except Exception as exc:  # anything the worker's bytes cause is the worker's fault
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
            self._permits.release()
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
            return protocol.unpack(payload, max_json_bytes=self.limits.json_bytes)
        except protocol.ProtocolError as exc:
            problem = str(exc)
        # Why out here: an exception raised inside the except block would keep this frame,
        # and so the refused payload, alive through its traceback.
        del payload
        self.kill()
        raise WorkerDied(f"the worker sent a malformed message ({problem})")

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
            self._permits.release()  # why: a reader waiting for a permit reads the end of the pipe and stops
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
        if self.cgroup is not None:
            # Why: a process that left the process group (setsid) is still in the cgroup.
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self._workdir, ignore_errors=True)

    close = kill


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except (OSError, ValueError):
        pass
