"""Who is at fault when a check does not pass, and how that is said.

* :class:`StudentFailure` (an ``AssertionError``): the submission is wrong. The
  item scores zero and the message is shown to the student.
* :class:`GraderError`: the grader, the rubric or a hidden test is broken. It is
  reported as a grader error, never as the student's zero. It is the root of the
  grader's own errors, defined in :mod:`grader.error` (with the usage error and the
  sandbox that cannot start) and importable from here too.

Any other exception escaping a hidden test is treated as a grader error too.
"""

from __future__ import annotations

import re

from grader.error import GraderError  # the grader's side of "whose fault": see grader.error


class StudentFailure(AssertionError):
    """The student's code gave a wrong answer or misbehaved; the message is for them."""


class StudentCodeError(StudentFailure):
    """The student's code raised, hung, crashed, was missing or returned unreadable data."""


class MismatchError(StudentFailure):
    """The student's result differs from the expected one (see :mod:`grader.comparison`)."""


__all__ = ["GraderError", "MismatchError", "StudentCodeError", "StudentFailure", "describe_worker_error", "escape"]


# Control characters, plus Unicode line separators and bidi overrides that could
# make untrusted text rewrite how the feedback around it reads.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape(text: str, limit: int = 2000) -> str:
    """Untrusted text made safe to show: control characters escaped, length capped."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                        else f"\\u{ord(m.group()):04x}", str(text))
    if len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters cut]"
    return text


def describe_worker_error(error: dict, *, module: str, function: str | None) -> str:
    """A student-facing sentence for an error the worker reported (all fields untrusted)."""
    kind = str(error.get("kind", ""))
    exc_type = escape(error.get("type", ""), 100)
    message = escape(error.get("message", ""), 1000)
    where = error.get("where") if isinstance(error.get("where"), list) else []
    location = ""
    if where and isinstance(where[-1], dict):
        frame = where[-1]
        location = f" (in {escape(frame.get('file', ''), 200)}, line {escape(frame.get('line', ''), 20)}"
        if frame.get("function") and frame.get("function") != "<module>":
            location += f", in {escape(frame.get('function'), 100)}"
        location += ")"
        if frame.get("code"):
            location += f"\n    {escape(frame.get('code'), 200)}"
    if kind == "missing_file":
        return f"the submission has no {module}.py"
    if kind == "syntax":
        return f"{module}.py does not compile: SyntaxError: {message}{location}"
    if kind == "import":
        if exc_type == "SystemExit":
            return (f"{module}.py called sys.exit() while being imported{location}; "
                    "remove top-level calls to sys.exit/exit/quit")
        return f"importing {module}.py raised {exc_type}: {message}{location}"
    if kind == "missing":
        return f"{module}.py has no function {function}() (check its name against the handout)"
    if kind == "not_callable":
        return f"{module}.{function} is a {exc_type}, not a function"
    if kind == "bad_return":
        return (f"{function}() returned a value the grader cannot read ({message}); "
                "return numpy arrays, numbers, or tuples/lists/dicts of them")
    if kind == "exception":
        text = f"{function}() raised {exc_type}: {message}{location}"
        if exc_type == "TypeError" and not where:
            text += "\n    (does the function's signature match the handout?)"
        if exc_type == "NotImplementedError":
            text = f"{function}() is not implemented yet (it raised NotImplementedError){location}"
        if exc_type == "MemoryError":
            text += "\n    (the worker has a memory limit; is an array far larger than needed?)"
        return text
    return f"{function or module}: the worker reported an error: {exc_type} {message}".strip()
