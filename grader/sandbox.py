"""Where and how a worker for one submission is started: backends, bwrap arguments, masks.

With :mod:`grader.workerprocess` (which starts the process this module describes,
talks to it and kills it), this is the sandbox: the only code that starts processes
that run student code. The worker itself is :mod:`grader.worker.server`.

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
    under a bound folder. By default a worker is forked from the grading process's
    warm sandbox (:mod:`grader.zygote`: the same namespaces, binds, masks, caps,
    cgroup and filter, each worker in fresh namespaces of its own) rather than
    started cold; ``NNGRADE_WARM=0`` starts every worker cold.
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
import secrets
import shutil
import site
import subprocess
import sys
import warnings
from pathlib import Path

from grader import cgroup
from grader.error import SandboxUnavailable
from grader.limits import Limits
# Re-exported: the rest of the grader and the tests import these from here.
from grader.workerprocess import WorkerDied, WorkerProcess, WorkerTimeout, worker_environment  # noqa: F401

GRADER_PACKAGE = Path(__file__).resolve().parent
BACKENDS = ("auto", "bwrap", "subprocess", "unprivileged")
# The unprivileged backend's user and group (default: nobody/nogroup on Debian and Ubuntu).
WORKER_UID_ENV, WORKER_GID_ENV = "NNGRADE_WORKER_UID", "NNGRADE_WORKER_GID"
DEFAULT_WORKER_ID = 65534
WARM_ENV = "NNGRADE_WARM"
# System folders bound read-only into the bwrap sandbox. /etc is not among them:
# only ETC_FILES are (a grader running as root must not show /etc/shadow or a course kept under /etc).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
# Why each: the dynamic loader's cache and config (shared libraries), the alternatives
# symlinks (Debian's BLAS), users and groups (getpass, ~), time zone, name service config.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
             "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/localtime", "/etc/os-release")
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
    "import numpy, grader.worker.server\n"
    "readable = []\n"
    "for path in sys.argv[2:]:\n"
    "    try:\n"
    "        os.listdir(path) if os.path.isdir(path) else open(path, 'rb').close()\n"
    "        readable.append(path)\n"
    "    except OSError:\n"
    "        pass\n"
    "print(json.dumps(readable))\n")


def warm_enabled() -> bool:
    """Whether bwrap workers are forked from a warm sandbox (default) or each started cold.
    ``NNGRADE_WARM=0`` turns the warm sandbox off (to compare, or to rule it out)."""
    return os.environ.get(WARM_ENV, "1") != "0"


class SandboxWarning(UserWarning):
    """The strong sandbox is not available; the weaker backend is used."""



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
        raise SandboxUnavailable("the bwrap sandbox was requested but bwrap is not installed "
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
        raise SandboxUnavailable(f"${WORKER_UID_ENV} and ${WORKER_GID_ENV} must be numeric ids") from None
    if uid <= 0 or gid <= 0:
        raise SandboxUnavailable("the unprivileged sandbox needs a worker user and group other than root (0)")
    return uid, gid


def check_unprivileged(hidden: tuple[str, ...] = ()) -> None:
    """Raise :class:`GraderError` unless the unprivileged backend can work here: Linux, the
    grader is root (only root can switch users), the worker user can start Python, import
    numpy and the worker, and can read none of ``hidden`` (the course's secret folders)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "geteuid"):
        raise SandboxUnavailable("the unprivileged sandbox runs on Linux only")
    if os.geteuid() != 0:
        raise SandboxUnavailable("the unprivileged sandbox must be started as root (it switches the worker to an "
                          "unprivileged user); use --sandbox bwrap or subprocess otherwise")
    uid, gid = worker_ids()
    readable = _probe(sys.executable, str(GRADER_PACKAGE.parent), uid, gid, tuple(sorted(hidden)))
    if readable:
        raise SandboxUnavailable(f"the worker user {uid} can read {', '.join(readable)}: the hidden tests and "
                          "solutions must not be readable by it (chmod 700 the course folder, owned by root)")


@functools.lru_cache(maxsize=64)
def _probe(python: str, package_parent: str, uid: int, gid: int, hidden: tuple[str, ...]) -> tuple[str, ...]:
    try:
        done = subprocess.run([python, "-I", "-B", "-c", _PROBE, package_parent, *hidden],
                              user=uid, group=gid, extra_groups=[], cwd="/", env=worker_environment(),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"the unprivileged sandbox cannot start {python} as user {uid}: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(f"the unprivileged sandbox cannot run the worker as user {uid} with {python} "
                          f"({last}). Python, its packages and the grader must be readable by that user: "
                          "install them outside a private home folder (a Python under /root, mode 0700, "
                          "cannot run as another user)")
    try:
        return tuple(json.loads(done.stdout.decode("utf-8", "replace").strip().splitlines()[-1]))
    except (ValueError, IndexError):
        raise SandboxUnavailable(f"the unprivileged sandbox's probe as user {uid} gave no answer") from None



def _bootstrap(package_parent: str, entry: str = "server") -> str:
    return f"import sys; sys.path.insert(0, {package_parent!r}); from grader.worker.{entry} import main; main()"


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
                "processes": group.processes if group else self.nproc_rlimit(),
                "tmp_bytes": limits.tmp_bytes if self.backend == "bwrap" else None,
                "scratch_bytes": limits.scratch_bytes if self.backend == "bwrap" else None,
                "enforced_by": (f"cgroup v{group.version}" if group else "rlimits")
                + {"bwrap": ", bwrap (capabilities dropped, seccomp)",
                   "unprivileged": f", subprocess as user {worker_ids()[0]}"}.get(self.backend, ", subprocess")}
        return caps

    def nproc_rlimit(self) -> int | None:
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

    def command(self, workdir: str, *, seccomp_fd: int | None = None,
                inbox: str | None = None) -> tuple[list[str], str, str]:
        """(argv, submission dir as the worker sees it, workdir as the worker sees it).

        With ``inbox`` (bwrap only), the command of a warm sandbox (:mod:`grader.zygote`)
        instead: the same namespaces, binds and masks, but ``inbox`` where the submission
        would be, no seccomp filter yet (each forked worker installs it) and the fork
        server where the worker would be."""
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
        if inbox is not None:
            # Why a user namespace with a uid other than 0: each forked worker maps its own
            # user namespace from it, and Linux refuses a map of uid 0 without CAP_SETFCAP.
            argv += ["--unshare-user", "--uid", str(os.geteuid() or DEFAULT_WORKER_ID),
                     "--gid", str(os.getegid() or DEFAULT_WORKER_ID)]
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
        argv += ["--ro-bind", str(GRADER_PACKAGE), "/nngrade/grader"]
        argv += (["--ro-bind", inbox, "/inbox", "--dir", "/submission"] if inbox is not None
                 else ["--ro-bind", str(self.submission_dir), "/submission"])
        argv += ["--size", str(self.limits.scratch_bytes), "--tmpfs", "/scratch"]
        for hidden in masks:
            if any((hidden + "/").startswith(r) for r in late):
                argv += _mask(hidden)
        argv += ["--chdir", "/scratch",
                 "--", sys.executable, "-I", "-B", "-c", _bootstrap("/nngrade", "spawn" if inbox else "server")]
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
        """A worker for this submission: forked from this process's warm sandbox
        (:mod:`grader.zygote`) where there is one, else started cold."""
        if self.backend == "unprivileged":
            check_unprivileged(tuple(str(p) for p in self.hidden_paths if p.exists()))
        if self.backend == "bwrap" and warm_enabled():
            from grader import zygote  # why here: zygote builds on this module
            worker = zygote.fork(self)
            if worker is not None:
                return worker
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
