"""The trusted side's view of a submission: ``student.affine_forward(x, w, b)``.

A call on :class:`StudentProxy` sends its arguments to the worker, waits (with
a timeout) for the answer and decodes it strictly with
:func:`grader.protocol.decode`. Objects that are not plain data come back as
:class:`grader.protocol.Handle` and can be passed to later calls. Anything
wrong on the student's side is raised as :class:`grader.failure.StudentCodeError`.

One worker serves all of a submission's tests; after a timeout or a crash the
worker is killed and the next call starts a fresh one. A failed import is
remembered, so a submission that hangs at import costs one timeout, not one per test.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

from grader import protocol
from grader.error import SandboxUnavailable
from grader.failure import GraderError, StudentCodeError, describe_worker_error, escape
from grader.limits import Limits
from grader.sandbox import Sandbox
from grader.workerprocess import WorkerDied, WorkerProcess, WorkerTimeout


class StudentFunction:
    """A callable stand-in for one function of the student's module."""

    def __init__(self, proxy: "StudentProxy", name: str):
        self._proxy = proxy
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proxy.call(self.__name__, *args, **kwargs)

    def with_args(self, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        """Call, and also return the positional arguments as they are after the call."""
        return self._proxy.call_with_args(self.__name__, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


class StudentProxy:
    """Calls into the submission's module, which lives in a sandboxed worker."""

    def __init__(self, *, sandbox: Sandbox, module: str, limits: Limits):
        self._sandbox = sandbox
        self._module = module
        self._limits = limits
        self._worker: WorkerProcess | None = None
        self._generation = 0
        self._import_failure: str | None = None
        self._timed_out: dict[str, str] = {}
        self._printed: list[str] = []
        self._printed_total = 0
        self.functions: list[str] = []
        self.restarts = 0
        self.timeouts = 0
        self._call_timeout = limits.call_timeout
        # Seconds the submission's code may take in all (worker starts, import, calls);
        # None: no total budget. Set by the grading of a submission (see Limits.budget_for).
        self.budget: float | None = None
        self.used = 0.0
        self.caps: dict = {}
        # ``grade audit`` only: told every call (``observer.call(name, args, kwargs, result, error)``).
        self.observer = None

    # -- public ---------------------------------------------------------------
    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self, name)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._observed(name, args, kwargs, return_args=False)[0]

    def call_with_args(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        return self._observed(name, args, kwargs, return_args=True)

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Calls inside the block may take up to ``seconds`` each (e.g. a training run's budget).

        ``with student.time_limit(60): params = student.train(...)``
        """
        previous, self._call_timeout = self._call_timeout, float(seconds)
        try:
            yield
        finally:
            self._call_timeout = previous

    def load(self) -> None:
        """Start a worker and import the submission now (raises StudentCodeError if that fails)."""
        self._ensure_worker()

    def take_printed(self) -> str:
        """What the student's code printed since the last call of this, escaped and capped."""
        if self._worker is not None:
            self._collect_output(self._worker)
        text = "".join(self._printed)
        total = self._printed_total
        self._printed, self._printed_total = [], 0
        if not text:
            return ""
        note = f" [{total - len(text.encode())} more bytes not kept]" if total > len(text.encode()) else ""
        return escape(text, 1000) + note

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None

    # -- internals --------------------------------------------------------------
    def _collect_output(self, worker: WorkerProcess) -> None:
        text, total = worker.take_output()
        if total:
            self._printed.append(text)
            self._printed_total += total

    def _ensure_worker(self) -> WorkerProcess:
        if self._import_failure is not None:
            raise StudentCodeError(self._import_failure)
        if self._worker is not None and not self._worker.dead:
            return self._worker
        if self._worker is not None and self.restarts >= self._limits.max_restarts:
            raise StudentCodeError(
                f"the process running your code crashed or hung {self.restarts + 1} times; the remaining "
                "checks were not run (fix the crashes or hangs named in the items above)")
        self._check_budget(f"importing {self._module}.py")
        started = time.monotonic()
        try:
            worker = self._sandbox.start()
        except (WorkerDied, WorkerTimeout, OSError) as exc:
            # No student code has run yet: a worker that cannot start is our fault.
            raise SandboxUnavailable(f"could not start the sandboxed worker ({self._sandbox.backend}): {exc}") from exc
        self._generation += 1
        if self._worker is not None:
            self.restarts += 1
        self._worker = worker
        self.caps = dict(worker.caps)
        timeout = self._timeout(self._limits.import_timeout)
        try:
            reply, _ = worker.request({"op": "import", "module": self._module}, timeout=timeout)
        except WorkerTimeout:
            self.timeouts += 1
            self._import_failure = (f"importing {self._module}.py did not finish within "
                                    f"{timeout:g} s (an infinite loop or a long "
                                    "computation at the top level of the file?)")
        except WorkerDied as exc:
            self._import_failure = (f"the process running {self._module}.py died while importing it: {exc} "
                                    "(does the file call os._exit or exhaust memory at the top level?)")
        else:
            if "error" in reply:
                error = reply["error"] if isinstance(reply["error"], dict) else {}
                self._import_failure = describe_worker_error(error, module=self._module, function=None)
            else:
                ok = reply.get("ok")
                self.functions = [escape(f, 100) for f in ok] if isinstance(ok, list) else []
        finally:
            self.used += time.monotonic() - started
        self._collect_output(worker)
        if self._import_failure is not None:
            worker.kill()
            raise StudentCodeError(self._import_failure)
        return worker

    def _check_budget(self, what: str) -> None:
        if self.budget is not None and self.used >= self.budget:
            raise StudentCodeError(
                f"your code used the whole time budget of this submission ({self.budget:g} s in all); "
                f"{what} was not run")

    def _timeout(self, limit: float) -> float:
        """The wall-clock limit of the next request: its own limit, or what is left of the budget."""
        if self.budget is None:
            return limit
        return max(0.001, min(limit, self.budget - self.used))

    def _observed(self, name: str, args: tuple, kwargs: dict, *, return_args: bool) -> tuple[Any, Any]:
        if self.observer is None:
            return self._call(name, args, kwargs, return_args=return_args)
        try:
            answer = self._call(name, args, kwargs, return_args=return_args)
        except StudentCodeError as exc:
            self.observer.call(name, args, kwargs, None, str(exc))
            raise
        self.observer.call(name, args, kwargs, answer[0], None)
        return answer

    def _resolve(self, node: dict) -> protocol.Handle:
        return protocol.Handle(node["handle"], escape(node.get("type", "object"), 100), self._generation)

    def _call(self, name: str, args: tuple, kwargs: dict, *, return_args: bool) -> tuple[Any, Any]:
        if name in self._timed_out:
            # Why: a function that hung once is not waited for again; one hang costs
            # one timeout, not one per test that calls it.
            raise StudentCodeError(self._timed_out[name] + " (earlier in this run; not run again)")
        worker = self._ensure_worker()
        for value in _handles_in((args, kwargs)):
            if value.generation != self._generation:
                raise StudentCodeError(
                    f"{name}() cannot run: an earlier call in this check crashed or hung, and the "
                    f"{value.type_name} it returned was lost with it")
        self._check_budget(f"{name}()")
        blobs: list = []
        try:
            message = {"op": "call", "name": name, "return_args": return_args,
                       "args": protocol.encode(list(args), blobs), "kwargs": protocol.encode(dict(kwargs), blobs)}
        except TypeError as exc:
            raise GraderError(f"a hidden test passed an unsendable argument to {name}(): {exc}") from exc
        timeout = self._timeout(self._call_timeout)
        started = time.monotonic()
        try:
            reply, reply_blobs = worker.request(message, blobs, timeout=timeout)
        except WorkerTimeout:
            self.timeouts += 1
            self._collect_output(worker)
            if timeout < self._call_timeout:
                self._timed_out[name] = (f"{name}() was stopped after {timeout:g} s, when your code had used "
                                         f"the whole time budget of this submission ({self.budget:g} s in all)")
            else:
                self._timed_out[name] = (f"{name}() did not return within {timeout:g} s "
                                         "(an infinite loop, or far too slow?)")
            raise StudentCodeError(self._timed_out[name]) from None
        except WorkerDied as exc:
            self._collect_output(worker)
            raise StudentCodeError(f"{name}() crashed the process running it: {exc}") from None
        finally:
            self.used += time.monotonic() - started
        self._collect_output(worker)
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            raise StudentCodeError(describe_worker_error(error, module=self._module, function=name))
        if "ok" not in reply:
            raise StudentCodeError(f"{name}(): the worker sent an answer without a result")
        try:
            result = protocol.decode(reply["ok"], reply_blobs, max_array_bytes=self._limits.array_bytes,
                                     max_depth=self._limits.nesting_depth, resolve=self._resolve)
            after = None
            if return_args:
                after = protocol.decode(reply.get("args"), reply_blobs,
                                        max_array_bytes=self._limits.array_bytes,
                                        max_depth=self._limits.nesting_depth, resolve=self._resolve)
                after = self._arguments_after(args, after, reply.get("mutated"))
        except Exception as exc:  # whatever a reply holds is the worker's doing, never a grader error
            worker.kill()
            detail = str(exc) if isinstance(exc, protocol.ProtocolError) else f"{type(exc).__name__}: {exc}"
            raise StudentCodeError(f"{name}() returned data the grader cannot accept: "
                                   f"{escape(detail, 300)}") from None
        return result, after

    def _arguments_after(self, args: tuple, after: Any, mutated: Any) -> list:
        """The positional arguments as the call left them: a list as long as ``args``.
        An argument kept in the worker (a handle) comes back as a handle that carries the
        worker's account of which of its arrays the call changed (see Handle.changes)."""
        if not isinstance(after, list) or len(after) != len(args):
            raise protocol.ProtocolError(f"the arguments after the call are not a list of {len(args)}")
        changes = mutated if isinstance(mutated, dict) else {}
        out = list(after)
        for position, before in enumerate(args):
            if isinstance(before, protocol.Handle):
                noted = changes.get(str(position), [])
                if not isinstance(noted, list):
                    raise protocol.ProtocolError("malformed account of changed arrays")
                out[position] = protocol.Handle(before.id, before.type_name, before.generation,
                                                changes=tuple(escape(str(n), 200) for n in noted[:20]))
        return out


def _handles_in(value: Any):
    if isinstance(value, protocol.Handle):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _handles_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _handles_in(item)
