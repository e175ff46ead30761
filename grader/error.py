"""The grader's own errors: whose fault each is, and the exit code the ``grade`` command gives.

::

    GraderError            root; raised as is, it is a grader fault (exit 1)
    ├── GraderFault        a bug of the grader, or broken course material (rubric, hidden test,
    │                      reference solution, release.json): never the student's, never the operator's
    ├── SandboxUnavailable the sandbox asked for cannot start on this machine (no bwrap, no user
    │                      namespaces, the unprivileged worker user cannot run Python): exit 1
    └── UsageError         the operator asked for something that cannot be done (a path that does not
                           exist, a timeout of 0, an output folder in use) or that the grader refuses
                           (a folder whose tests are not the released ones): nothing was graded or
                           written; exit 2. Also a ``ValueError``, as ``api.UsageError`` always was.

A student's mistake is none of these: it is a :class:`grader.failure.StudentFailure`, an item's
zero with a message for the student, and the command exits 0 ("graded").

:data:`EXIT_CODES` is the one table of exit codes: every command's codes come from it, and
``grade --help`` prints it.
"""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    """The ``grade`` command's exit codes."""

    GRADED = 0
    GRADER_ERROR = 1
    USAGE = 2
    BELOW_THRESHOLD = 3
    INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C


EXIT_CODES: dict[Exit, str] = {
    Exit.GRADED: "graded (or done), whatever the score",
    Exit.GRADER_ERROR: "grader error: a bug, broken course material, no sandbox, a failed check",
    Exit.USAGE: "usage error or refusal: a bad option or path, an output folder in use",
    Exit.BELOW_THRESHOLD: "grade audit: an item below --min-recall or --min-precision",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_table() -> str:
    """The exit codes, one per line, as ``grade --help`` and the README show them."""
    return "\n".join(f"{int(code):>3}  {meaning}" for code, meaning in EXIT_CODES.items())


class GraderError(Exception):
    """A fault of the grader, the course material or a hidden test, not of the student.

    The root of the grader's errors; the ``grade`` command prints ``label: message`` and exits
    ``exit_code``."""

    exit_code: Exit = Exit.GRADER_ERROR
    label = "grader error"


class GraderFault(GraderError):
    """A bug of the grader or broken course material (rubric, hidden test, reference solution)."""


class SandboxUnavailable(GraderError, RuntimeError):
    """The sandbox asked for cannot start here; the message says what is missing and how to get it.
    Also a ``RuntimeError``, what :func:`grader.sandbox.choose_backend` raised before it existed."""


class UsageError(GraderError, ValueError):
    """The operator asked for something that cannot be graded, or that the grader refuses to run:
    nothing is graded and no result is written. The message says what to give instead."""

    exit_code = Exit.USAGE
    label = "usage error"
