"""One running worker process: its launch, its pipes, a bounded wait for each answer, its kill.

TRUSTED SIDE, part of the sandbox: :meth:`grader.sandbox.Sandbox.start` builds the
command (backend, bwrap arguments, masks) and this module starts it, in its own process
group (and cgroup, where one can be made), with a scrubbed environment. The worker's
replies are read in the requesting thread, one frame per request, never more than
``Limits.message_bytes`` and never past the request's deadline; its printed output by a
thread of its own, kept up to ``Limits.output_bytes``.
"""

from __future__ import annotations

import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING

from grader import cgroup, protocol, seccomp

if TYPE_CHECKING:  # why: grader.sandbox imports this module; the name is for annotations only
    from grader.sandbox import Sandbox

# Joins the worker's cgroup (each file named before "--"), then becomes the worker: the
# worker is in its cgroup before its first instruction, and so is every process it starts.
_CGROUP_SHIM = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


class WorkerTimeout(Exception):
    """The worker did not answer within its wall-clock limit (it has been killed)."""


class WorkerDied(Exception):
    """The worker process ended or broke the protocol (it has been killed)."""


# Replies are read in the requesting thread where pipes can be polled (POSIX).
_CAN_POLL = hasattr(select, "poll") and hasattr(os, "readv")


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
        self._begin(sandbox, submission_dir, workdir)

    def _begin(self, sandbox: Sandbox, submission_dir: str, workdir: str) -> None:
        """Start the readers of ``self.process``'s pipes and send the init request."""
        self.dead = False
        # Why read here, not on a thread: a request's answer then wakes the requester directly
        # (a thread hand-off per call cost ~50 us and, in a Dask worker, a wait for the GIL).
        # One frame is read per request, so frames nobody asked for stay in the worker's pipe.
        # The printed output is read in the same loop, while a reply is awaited, and what is left
        # once it has come: the worker flushes before it replies, so a call's output is all
        # captured when its answer is (no thread decides which test it is shown under).
        self._reply_fd = self.process.stdout.fileno()
        self._output_fd: int | None = self.process.stderr.fileno()
        self._output = bytearray()
        self._output_total = 0
        self._output_lock = threading.Lock()
        self._polling = _CAN_POLL
        if self._polling:
            os.set_blocking(self._output_fd, False)
            self._reply_poll = select.poll()
            self._reply_poll.register(self._reply_fd, select.POLLIN)
            self._reply_poll.register(self._output_fd, select.POLLIN)
        else:  # Windows: no poll on pipes; threads read one frame per request, and the output
            self._replies: queue.Queue = queue.Queue()
            self._permits = threading.Semaphore(0)
            threading.Thread(target=self._read_replies, daemon=True).start()
            threading.Thread(target=self._read_output, daemon=True).start()
        self.request({"op": "init", "limits": {**self.limits.for_worker(),
                                               "processes": sandbox.nproc_rlimit()},
                      "submission_dir": submission_dir, "workdir": workdir},
                     timeout=self.limits.start_timeout)

    # -- reading ---------------------------------------------------------------
    # Where a thread reads the output (Windows), it owns its pipe and closes it at EOF: kill()
    # must not close it under the blocked reader, or close() could wait for it forever.
    def _read_reply(self, deadline: float) -> bytearray | None:
        """One frame's payload, None at a clean end of the stream; raises TimeoutError at the
        deadline and ProtocolError for a frame over the limit or cut short."""
        if not self._polling:
            self._permits.release()
            try:
                payload = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if isinstance(payload, Exception):
                raise payload
            return payload
        head = self._read_exact(protocol.FRAME_HEADER.size, deadline)
        if head is None:
            return None
        (length,) = protocol.FRAME_HEADER.unpack(head)
        if length > self.limits.message_bytes:
            raise protocol.ProtocolError(f"message of {length} bytes exceeds the limit of "
                                         f"{self.limits.message_bytes} bytes")
        payload = self._read_exact(length, deadline)
        if payload is None:
            raise protocol.ProtocolError("stream ended inside a message")
        # No drain needed here: the worker flushed its output before its answer, so the poll
        # that saw the answer saw that output too, and _read_exact read it.
        return payload

    def _read_replies(self) -> None:
        try:
            while not self.dead:
                self._permits.acquire()
                payload = protocol.read_frame(self.process.stdout, max_bytes=self.limits.message_bytes)
                self._replies.put(payload)
                if payload is None:
                    return
                payload = None  # why: not held while waiting for the next permit (a frame may be 64 MiB)
        except Exception as exc:  # anything the worker's bytes cause is the worker's fault
            self._replies.put(protocol.ProtocolError(str(exc)))

    def _read_exact(self, n: int, deadline: float) -> bytearray | None:
        # Read into one buffer of the final size: a frame costs its own size in memory, not twice that.
        buffer = bytearray(n)
        view, done = memoryview(buffer), 0
        while done < n:
            left = deadline - time.monotonic()
            events = self._reply_poll.poll(max(1, int(left * 1000) + 1)) if left > 0 else []
            if self._output_fd is not None and any(fd == self._output_fd for fd, _ in events):
                self._drain_output()
            if not any(fd == self._reply_fd for fd, _ in events):
                if time.monotonic() >= deadline:
                    raise TimeoutError
                continue
            got = os.readv(self._reply_fd, [view[done:]])
            if not got:
                if done == 0:
                    return None
                raise protocol.ProtocolError("stream ended inside a message")
            done += got
        return buffer

    def _drain_output(self, rounds: int = 1 << 30) -> None:
        """Read what the output pipe holds now (at most ``rounds`` reads), without waiting."""
        for _ in range(rounds):
            if self._output_fd is None:
                return
            try:
                chunk = os.read(self._output_fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:  # the end: nothing writes to it any more
                self._reply_poll.unregister(self._output_fd)
                self._output_fd = None
                return
            self._keep_output(chunk)

    def _keep_output(self, chunk: bytes) -> None:
        # Why a cap: a print in an infinite loop must not fill the grader's memory;
        # the rest is read and dropped so the worker never blocks on a full pipe.
        with self._output_lock:
            self._output_total += len(chunk)
            room = self.limits.output_bytes - len(self._output)
            if room > 0:
                self._output += chunk[:room]

    def _read_output(self) -> None:
        stream = self.process.stderr
        try:
            while True:
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
                if not chunk:
                    return
                self._keep_output(chunk)
        except (OSError, ValueError):
            return
        finally:
            _close_quietly(stream)

    def take_output(self) -> tuple[str, int]:
        """(captured output so far as text, total bytes printed); clears the capture. (What a
        call printed was read with its answer, and what is left at a kill by the kill.)"""
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
            payload = self._read_reply(deadline)
        except TimeoutError:
            self.kill()
            raise WorkerTimeout(f"no answer within {timeout:g} s") from None
        except (protocol.ProtocolError, OSError) as exc:  # anything the worker's bytes cause is its fault
            self.kill()
            raise WorkerDied(f"the worker sent a malformed message ({exc})") from None
        if payload is None:
            self.kill()
            raise WorkerDied(self._death_reason())
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
            if not self._polling:
                self._permits.release()  # why: the reader waiting for a permit reads the end of the pipe and stops
            self._signal()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            _close_quietly(self.process.stdin)
            if self._polling:  # else its reader threads may still be reading them
                # Why bounded: a process that escaped the kill may print on forever.
                self._drain_output(rounds=64)
                _close_quietly(self.process.stdout)
                _close_quietly(self.process.stderr)
                self._output_fd = None
        if self.cgroup is not None:
            # Why: a process that left the process group (setsid) is still in the cgroup.
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self._workdir, ignore_errors=True)

    close = kill

    def _signal(self) -> None:
        """SIGKILL the worker's process group (where the OS has them)."""
        try:
            if os.name == "posix":
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except (OSError, ValueError):
        pass
