"""A notebook's import, driven from the trusted side one unit at a time (trusted side).

TRUSTED SIDE. :class:`NotebookWorker` wraps a :class:`grader.workerprocess.WorkerProcess`:
it asks the worker (:func:`grader.worker.notebook.import_notebook`) for the plan, then to
run each unit (a definition, or in execute mode a cell) under what is left of the import
time limit, so that when one never finishes or crashes the worker it knows which, and
lets :class:`grader.notebook.NotebookSandbox` decide: restart without it, fall back to the
definitions, or give up. Every reply is untrusted data, checked here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from grader.error import SandboxUnavailable
from grader.failure import escape
from grader.notebookreport import Report, checked_count, checked_text
from grader.worker.notebook import MAX_UNITS, UNIT_CHARS
from grader.workerprocess import WorkerDied, WorkerTimeout

if TYPE_CHECKING:  # why: grader.notebook imports this module; the name is for annotations only
    from grader.notebook import NotebookSandbox


class Interrupted(Exception):
    """A unit of the notebook did not finish (timeout) or took the worker with it (crash)."""

    def __init__(self, index: int, cell: int, line: int, code: str, cause: Exception):
        super().__init__(str(cause))
        self.index, self.cell, self.line, self.code, self.cause = index, cell, line, code, cause


class MissingLibrary(Exception):
    """--execute: a cell raised ImportError (``import matplotlib`` where it is not installed)."""

    def __init__(self, cell: int, error: str):
        super().__init__(error)
        self.cell, self.error = cell, error


IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")


def plan_units(reply) -> list[tuple[int, int, str]] | None:
    """The units of a ``plan`` reply ([cell, line, code] each), or None if it is not one."""
    units = reply.get("units") if isinstance(reply, dict) and "error" not in reply else None
    if not isinstance(units, list) or len(units) > MAX_UNITS:
        return None
    checked = []
    try:
        for unit in units:
            if not isinstance(unit, list) or len(unit) != 3:
                return None
            cell, line, code = unit
            checked.append((checked_count(cell), checked_count(line), escape(checked_text(code), UNIT_CHARS)))
    except (TypeError, ValueError):
        return None
    return checked


class NotebookWorker:
    """A worker that imports a notebook in steps, and starts a fresh one (see
    :class:`grader.notebook.NotebookSandbox`) when a unit never finishes. It stands in for the
    :class:`grader.workerprocess.WorkerProcess` it wraps: every other request and attribute goes to that one."""

    def __init__(self, sandbox: "NotebookSandbox"):
        self._notebook = sandbox
        self._carried: tuple[str, int] = ("", 0)  # output of a worker replaced during the import
        self._inner = sandbox.start_plain()

    def __getattr__(self, name: str):
        inner = self.__dict__.get("_inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    @property
    def dead(self) -> bool:
        return self._inner.dead

    def kill(self) -> None:
        self._inner.kill()

    close = kill

    def take_output(self) -> tuple[str, int]:
        text, total = self._inner.take_output()
        (before, before_total), self._carried = self._carried, ("", 0)
        return (before + text)[:max(self._notebook.limits.output_bytes, 0)], before_total + total

    def request(self, message: dict, blobs: list | None = None, *, timeout: float) -> tuple[dict, list]:
        if message.get("op") != "import":
            return self._inner.request(message, blobs, timeout=timeout)
        while True:
            try:
                reply, reply_blobs = self._import(message, timeout)
                break
            except MissingLibrary as stop:
                self._notebook.fall_back(stop)
                self._restart()
                continue
            except Interrupted as stop:
                if not self._notebook.recover(stop, timeout):
                    # The import fails as it would for a .py, in words that name the cell.
                    if isinstance(stop.cause, WorkerTimeout):
                        raise WorkerTimeout(self._notebook.failure(message.get("module", ""), stop)) from None
                    raise WorkerDied(self._notebook.failure(message.get("module", ""), stop)) from None
                self._restart()
        report = Report.from_worker(reply.pop("notebook", None)) if isinstance(reply, dict) else None
        if self._notebook.report is None:
            self._notebook.report = report
        return reply, reply_blobs

    def _import(self, message: dict, timeout: float) -> tuple[dict, list]:
        deadline = time.monotonic() + timeout
        execute = self._notebook.execute
        base = {**message, "notebook_execute": execute}
        reply, reply_blobs = self._inner.request({**base, "notebook_step": "plan"}, timeout=timeout)
        units = plan_units(reply)
        if units is None:  # a problem with the notebook (or not a plan at all): the answer to the import
            return reply, reply_blobs
        for index, (cell, line, code) in enumerate(units):
            if index in self._notebook.skipped_units and not execute:
                continue
            try:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._inner.kill()
                    raise WorkerTimeout(f"no answer within {timeout:g} s")
                reply, reply_blobs = self._inner.request({**base, "notebook_step": "run", "notebook_unit": index},
                                                         timeout=remaining)
            except (WorkerTimeout, WorkerDied) as exc:
                raise Interrupted(index, cell, line, code, exc) from None
            if not isinstance(reply, dict) or reply.get("ran") != index:
                error = reply.get("error") if isinstance(reply, dict) else None
                if execute and isinstance(error, dict) and error.get("type") in IMPORT_ERRORS:
                    message = error.get("message")
                    text = escape(checked_text(message) if isinstance(message, str) else "", 200)
                    raise MissingLibrary(cell, f"{error['type']}: {text}")
                return reply, reply_blobs  # the error that stops the import
        # No student code runs here: it only lists the module's functions.
        return self._inner.request({**base, "notebook_step": "finish"},
                                   timeout=max(deadline - time.monotonic(), 1.0))

    def _restart(self) -> None:
        self._inner.kill()
        text, total = self._inner.take_output()
        before, before_total = self._carried
        self._carried = (before + text, before_total + total)
        try:
            self._inner = self._notebook.start_plain()
        except (WorkerDied, WorkerTimeout, OSError) as exc:
            # No student code has run in it yet: a worker that cannot start is our fault.
            raise SandboxUnavailable(f"could not restart the sandboxed worker ({self._notebook.backend}): {exc}") from exc
