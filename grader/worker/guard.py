"""Running one definition without entering any function of the student's (worker side).

UNTRUSTED SIDE (:mod:`grader.worker`). While a definition runs (definitions mode), a
trace function (:class:`Guard`) refuses to enter a function defined in the notebook or
in a ``.py`` of the submission, unless a helper module's own import called it: what
would run one anyway (a metaclass, ``__init_subclass__``, a library decorator that calls
the function...) makes the definition run without its decorators, or be skipped.
Imports only :mod:`grader.worker.plan` (for :class:`~grader.worker.plan.Unit`).
"""

from __future__ import annotations

import os
import sys
import types

from grader.worker.plan import Unit

# Taken when this module is imported, before any student code runs: a helper module
# that replaces sys.settrace does not turn the guard off.
_settrace, _gettrace = sys.settrace, sys.gettrace
_CO_OPTIMIZED = 0x0001  # inspect.CO_OPTIMIZED: the code of a function (not of a module or class body)


class _Blocked(BaseException):
    """Raised where a definition would call a function of the student's; a BaseException,
    so that a library's ``except Exception`` between the two does not swallow it."""


class Guard:
    """A trace function that refuses to enter any function of the student's while a
    definition runs: one defined in the notebook or in a ``.py`` file of the submission.

    Class bodies and the top-level code of a module are not functions and run; a helper
    module being imported runs as it would for a ``.py`` (everything below its top-level
    code is let through)."""

    def __init__(self, submission_dir: str, notebook_path: str, unbound: dict | None = None):
        self.unbound = unbound or {}  # Plan.unbound: for the hint of a NameError
        self.roots = tuple({os.path.join(submission_dir, ""), os.path.join(os.path.realpath(submission_dir), "")})
        self.cells = notebook_path + ", cell "

    def _helper_module(self, code: types.CodeType) -> bool:
        return (code.co_name == "<module>" and code.co_filename.startswith(self.roots)
                and not code.co_filename.startswith(self.cells))

    def __call__(self, frame, event, arg):
        if event != "call":
            return None
        code = frame.f_code
        if not code.co_flags & _CO_OPTIMIZED or not code.co_filename.startswith(self.roots):
            return None
        if code.co_name.startswith("<generic parameters of"):  # Python 3.12: def f[T](): ...
            return None
        caller = frame.f_back
        while caller is not None:
            if self._helper_module(caller.f_code):
                return None
            caller = caller.f_back
        raise _Blocked(getattr(code, "co_qualname", code.co_name))

    def run(self, code: types.CodeType, namespace: dict) -> None:
        previous = _gettrace()
        _settrace(self)
        try:
            exec(code, namespace)
        finally:
            _settrace(previous)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:200]
    except Exception:  # a hostile __str__
        return "<message could not be read>"


def unbound_hint(exc: BaseException, unbound: dict) -> str:
    """For a NameError naming what only a skipped statement would have bound: where that is, and why."""
    name = getattr(exc, "name", None) if isinstance(exc, NameError) else None
    if not isinstance(name, str) or name not in unbound:
        return ""
    note = unbound[name]
    return (f"{name} is set only by cell {note['cell']}, line {note['line']} ({note['code'][:60]}), which was "
            f"skipped in definitions-only mode: {note['why']}")


def _failure(exc: BaseException, unbound: dict | None = None) -> tuple[str, str]:
    """(note kind, text) for why a definition could not run."""
    cause, seen = exc, 0
    while cause is not None and seen < 10:  # Python 3.11 wraps a failing __set_name__ in a RuntimeError
        if isinstance(cause, _Blocked):
            return "blocked", _message(cause)
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    hint = unbound_hint(exc, unbound or {})
    return "raised", f"{type(exc).__name__}: {_message(exc)}"[:200] + (f" ({hint})" if hint else "")


def run_definition(unit: Unit, namespace: dict, guard: Guard, report: dict) -> None:
    """Run one definition (definitions mode) under ``guard``. An import that raises
    ImportError goes to ``failed_imports``; a definition that would run the student's code
    or raises is tried again without its decorators (if it has any), else skipped; both are
    noted in ``report["failed"]``. SystemExit, KeyboardInterrupt and the like propagate."""
    try:
        if unit.is_import:
            # An import runs library code, or a helper module as it would run for a .py: the
            # guard would only slow a large library's import down.
            exec(unit.code, namespace)
        else:
            guard.run(unit.code, namespace)
        return
    except ImportError as exc:
        if not unit.is_import:
            kind, text = _failure(exc, guard.unbound)
        else:
            report["failed_imports"].append({"cell": unit.cell, "line": unit.line, "code": unit.text,
                                             "error": _message(exc)})
            return
    except (_Blocked, Exception) as exc:
        kind, text = _failure(exc, guard.unbound)
    if unit.bare is not None:
        try:
            guard.run(unit.bare, namespace)
        except (_Blocked, Exception) as exc:
            kind, text = _failure(exc, guard.unbound)
        else:
            text = f"applying them would run your code: {text}" if kind == "blocked" else text
            report["failed"].append({"cell": unit.cell, "line": unit.first, "code": unit.first_text,
                                     "kind": "undecorated", "error": text})
            return
    report["failed"].append({"cell": unit.cell, "line": unit.line, "code": unit.text, "kind": kind, "error": text})
