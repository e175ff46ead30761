"""The ``grade`` command's shared options, each declared once.

A CLI module: only :mod:`grader.cli` and :mod:`grader.commands` import it (nothing else in
``grader/`` imports the CLI). Defaults come from :mod:`grader.api` and :mod:`grader.limits`.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

from grader import api
from grader import course as course_module
from grader.error import GraderError, UsageError
from grader.limits import DEFAULT_LIMITS
from grader.sandbox import BACKENDS


def assignment_option(*, required: bool = True, help: str = "Assignment name, e.g. layers."):
    return click.option("-a", "--assignment", required=required, default=None, help=help)


def seed_option(help: str = "Run seed (default: fresh, recorded)."):
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=help)


jobs_option = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                           help="Parallel graders (default: cores).")


def _locate_course(ctx, param, value):
    """The course folder, said on the command's first line (stderr); the grader's own checkout
    only when nothing else was given or found, and then in a warning. A usage error if there is none."""
    try:
        located = course_module.locate(value)
    except GraderError as exc:
        raise UsageError(str(exc)) from None
    line = located.line()
    click.echo(click.style("warning: " + line, fg="yellow", bold=True) if located.fallback else line, err=True)
    return located.root


course_option = click.option("--course", type=click.Path(file_okay=False, path_type=Path), default=None,
                             callback=_locate_course,
                             help="Course folder (default: $NNGRADE_COURSE, else found from here).")

sandbox_option = click.option("--sandbox", "sandbox_backend", type=click.Choice(BACKENDS),
                              default=api.DEFAULT_SANDBOX, show_default=True,
                              help="How student code is isolated (auto: bwrap if installed).")


def _limits(ctx, param, value):
    # Why: a timeout of 0 or less (or nan, inf) would time out, or never time out, every student.
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value:g} is not a positive number of seconds")
    return DEFAULT_LIMITS.replace(call_timeout=value, import_timeout=value)


# The command receives ``limits`` (grader.limits.Limits), built from --timeout.
timeout_option = click.option("--timeout", "limits", type=float, default=DEFAULT_LIMITS.call_timeout,
                              show_default=True, callback=_limits,
                              help="Seconds each call into student code (and its import) may take (> 0).")


def limits_options(command):
    """--sandbox and --timeout: how, and how long, student code runs."""
    return sandbox_option(timeout_option(command))


execute_option = click.option("--execute", is_flag=True,
                              help="Notebooks: run every code cell in order (default: only definitions).")
