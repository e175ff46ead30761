"""The ``grade`` command: a thin layer over :mod:`grader.api`.

Exit codes: 0 graded (whatever the score), 1 a grader error (a result is still
written where possible; also `grade release` refusing a release that would leak
secret code or ship an archive or binary file the course does not list), 2 a usage
error or a refusal to run: `grade local` on a folder whose tests are not the
released ones, or on a course look-alike that is not the trusted course (nothing
of the folder was imported), 3 `grade audit` below the --min-recall or --min-precision
it was given.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import click

from grader import __version__, api
from grader import course as course_module
from grader.failure import GraderError
from grader.layout import LayoutError
from grader.limits import DEFAULT_LIMITS
from grader.sandbox import BACKENDS
from grader.table import render

EXIT_GRADER_ERROR = 1
EXIT_REFUSED = 2  # as a usage error: the command was pointed at something it will not run
EXIT_BELOW_THRESHOLD = 3  # grade audit: the tests are below the thresholds the caller asked for

course_option = click.option("--course", type=click.Path(file_okay=False, path_type=Path), default=None,
                             help="Course folder (default: $NNGRADE_COURSE, else found from here).")
sandbox_option = click.option("--sandbox", "sandbox_backend", type=click.Choice(BACKENDS),
                              default=api.DEFAULT_SANDBOX, show_default=True,
                              help="How student code is isolated (auto: bwrap if installed).")
def _positive_seconds(ctx, param, value):
    # Why: a timeout of 0 or less (or nan, inf) would time out, or never time out, every student.
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value:g} is not a positive number of seconds")
    return value


timeout_option = click.option("--timeout", type=float, default=DEFAULT_LIMITS.call_timeout, show_default=True,
                              callback=_positive_seconds,
                              help="Seconds each call into student code (and its import) may take (> 0).")


def _course(course):
    """The course folder, said on the command's first line (stderr); the grader's own checkout
    only when nothing else was given or found, and then in a warning. Exit 2 if there is none."""
    try:
        located = course_module.locate(course)
    except GraderError as exc:
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_REFUSED)
    line = located.line()
    click.echo(click.style("warning: " + line, fg="yellow", bold=True) if located.fallback else line, err=True)
    return located.root

execute_option = click.option("--execute", is_flag=True,
                              help="Notebooks: run every code cell in order (default: only definitions).")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(click.style(f"warning: {message}", fg="yellow"), err=True)


@click.group()
@click.version_option(__version__, prog_name="nngrade")
def main() -> None:
    """nngrade: grade neural-network assignments with student code kept in a sandbox."""
    warnings.showwarning = _show_warning


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("-a", "--assignment", required=True, help="Assignment name, e.g. layers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the result JSON.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Run seed (default: fresh, recorded).")
@click.option("--public-only", is_flag=True,
              help="Only the course's own public tests (never the submission's tests/): what `grade local` "
                   "shows a student, for a folder you do not trust.")
@execute_option
@course_option
@sandbox_option
@timeout_option
def run(submission, assignment, output, seed, public_only, execute, course, sandbox_backend, timeout) -> None:
    """Grade one SUBMISSION (a .py file, a .ipynb notebook, a folder or a .zip)."""
    limits = DEFAULT_LIMITS.replace(call_timeout=timeout, import_timeout=timeout)
    course = _course(course)
    try:
        document = api.run(submission=submission, assignment=assignment, course=course, output=output,
                           seed=seed, limits=limits, sandbox_backend=sandbox_backend, execute_notebook=execute,
                           public_only=public_only)
    except api.UsageError as exc:
        click.echo(click.style("usage error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_REFUSED)
    except (GraderError, RuntimeError) as exc:
        click.echo(click.style("grader error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_GRADER_ERROR)
    click.echo(render(document, color=sys.stdout.isatty()))
    if public_only:  # the result's summary starts by saying what was not graded
        click.echo("  " + document["output"].splitlines()[0])
    if output is not None:
        click.echo(f"  result written to {output}")
    if document["extra_data"]["status"] == "grader_error":
        sys.exit(EXIT_GRADER_ERROR)


@main.command()
@click.option("-a", "--assignment", required=True, help="Assignment name, e.g. layers.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Run seed (default: fresh, recorded).")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Grade the reference at this many seeds from --seed on (e.g. 300 before a release).")
@course_option
@sandbox_option
@timeout_option
def validate(assignment, seed, seeds, course, sandbox_backend, timeout) -> None:
    """Check an assignment: rubric, tests for every item, reference full marks, starter zero."""
    limits = DEFAULT_LIMITS.replace(call_timeout=timeout, import_timeout=timeout)
    course = _course(course)
    checks = api.validate(assignment=assignment, course=course, limits=limits,
                          sandbox_backend=sandbox_backend, seed=seed, seeds=seeds)
    color = sys.stdout.isatty()
    for check in checks:
        mark = "ok" if check.ok else "FAILED"
        if color:
            mark = click.style(mark, fg="green" if check.ok else "red", bold=True)
        click.echo(f"  [{mark}] {check.name}" + (f": {check.detail}" if check.detail else ""))
    failed = [c for c in checks if not c.ok]
    click.echo(f"  {assignment}: " + ("valid" if not failed else f"{len(failed)} check(s) failed"))
    if failed:
        sys.exit(EXIT_GRADER_ERROR)


@main.command()
@click.option("-a", "--assignment", required=True, help="Assignment name, e.g. layers.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for audit.json and audit.html.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Parallel graders (default: cores).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Base seed (default: fresh, recorded).")
@click.option("--min-recall", type=click.FloatRange(0, 1), default=None,
              help="Exit 3 if an item's recall is below this (default 0.95, reported but not enforced).")
@click.option("--min-precision", type=click.FloatRange(0, 1), default=None,
              help="Exit 3 if an item's precision is below this (default 1.0, reported but not enforced).")
@click.option("--per-function", type=click.IntRange(min=1), default=None,
              help="At most this many mutants per function (default: all).")
@click.option("--function", "functions", multiple=True,
              help="Only mutants of this function, and the catalog entries that write it (repeatable).")
@click.option("--no-diffs", is_flag=True, help="List surviving mutants without their diffs.")
@course_option
@sandbox_option
@timeout_option
def audit(assignment, output, jobs, seed, min_recall, min_precision, per_function, functions, no_diffs, course,
          sandbox_backend, timeout) -> None:
    """Measure the hidden tests: per item, recall over mutants of the reference and precision over
    the catalog of correct variants (rubrics/NAME/catalog/).

    Exit 0: audited (whatever the figures, unless thresholds were given); 3: --min-recall or
    --min-precision given and some item is below it, or a known mistake does not lose exactly
    its items; 1: a grader error; 2: a usage error."""
    from grader import auditreport

    limits = DEFAULT_LIMITS.replace(call_timeout=timeout, import_timeout=timeout)
    course = _course(course)
    state = {}

    def on_progress(done, total, name):
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label="auditing", show_eta=True, show_pos=True,
                                             item_show_func=lambda n: n, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(1, name)

    try:
        document = api.audit(assignment=assignment, course=course, output=output, jobs=jobs, limits=limits,
                             sandbox_backend=sandbox_backend, seed=seed, min_recall=min_recall,
                             min_precision=min_precision, per_function=per_function,
                             functions=list(functions) or None, on_progress=on_progress)
    except api.UsageError as exc:
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_REFUSED)
    except KeyboardInterrupt:
        click.echo("\nstopped", err=True)
        sys.exit(130)
    except GraderError as exc:
        click.echo(click.style("grader error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_GRADER_ERROR)
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
    click.echo(auditreport.text(document, diffs=not no_diffs, color=sys.stdout.isatty()))
    if output is not None:
        click.echo(f"  wrote {output}/audit.json and audit.html")
    if (min_recall is not None or min_precision is not None) and not document["summary"]["passed"]:
        sys.exit(EXIT_BELOW_THRESHOLD)


@main.command()
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("-a", "--assignment", required=True, help="Assignment name, e.g. layers.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for results/, grades.csv, summary.json, report.html.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Parallel graders (default: cores).")
@click.option("--resume", is_flag=True, help="Skip students already graded with the same submission, rubric, limits, sandbox and course secret.")
@click.option("--force", is_flag=True,
              help="Without --resume: replace the outputs of an earlier batch in OUTPUT (else refused).")
@click.option("--secret-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Course secret for per-student seeds (default: $NNGRADE_COURSE_SECRET).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (scheduler address) instead of local processes.")
@course_option
@sandbox_option
@timeout_option
def batch(submissions, assignment, output, jobs, resume, force, secret_file, dask_address, course, sandbox_backend,
          timeout) -> None:
    """Grade every submission in SUBMISSIONS (a folder or zip: plain, Gradescope export or Canvas download).

    Exit 0: everyone found was graded (see the last line for each status); 1: a grader error
    stopped the batch, or more than 10% of the download's entries matched no student;
    2: nothing to grade (no submission found), or OUTPUT holds an earlier batch (use
    --resume or --force)."""
    from grader.batch import OutputInUse

    limits = DEFAULT_LIMITS.replace(call_timeout=timeout, import_timeout=timeout)
    course = _course(course)
    state = {}

    def on_start(found, pending):
        click.echo(f"{len(found.entries)} submissions ({found.layout} layout); {pending} to grade")
        for note in found.notes:
            click.echo(f"  note: {note}")
        state["bar"] = click.progressbar(length=pending, label="grading", show_eta=True, show_pos=True,
                                         item_show_func=lambda sid: sid)
        state["bar"].__enter__()

    def on_progress(student_id, document):
        state["bar"].update(1, student_id)

    try:
        summary = api.batch(submissions=submissions, assignment=assignment, output=output, course=course,
                            jobs=jobs, resume=resume, limits=limits, sandbox_backend=sandbox_backend,
                            secret_file=secret_file, dask_address=dask_address, force=force, on_start=on_start,
                            on_progress=on_progress)
    except (LayoutError, OutputInUse, api.UsageError) as exc:  # nothing was graded, nothing written
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc).replace("\n", " "), err=True)
        sys.exit(EXIT_REFUSED)
    except KeyboardInterrupt:
        click.echo("\nstopped: results graded so far are saved; rerun with --resume to continue", err=True)
        sys.exit(130)
    except (GraderError, RuntimeError) as exc:
        click.echo(click.style("grader error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_GRADER_ERROR)
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
    for warning in summary.warnings:
        click.echo("WARNING: " + warning, err=True)
    click.echo(summary.line())
    click.echo(f"  wrote {output}/grades.csv, summary.json, report.html and results/")
    if summary.incomplete:
        click.echo("error: " + summary.incomplete_line(), err=True)
        sys.exit(EXIT_GRADER_ERROR)


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON (for tools).")
@execute_option
@sandbox_option
@timeout_option
def local(path, as_json, execute, sandbox_backend, timeout) -> None:
    """Check your work: run the public tests of the assignment in PATH (default: here).

    Hidden tests run when you submit; the public result is not your final score."""
    from grader import local as local_module

    limits = DEFAULT_LIMITS.replace(call_timeout=timeout, import_timeout=timeout)
    try:
        outcome = api.local(path=path, limits=limits, sandbox_backend=sandbox_backend, execute_notebook=execute)
    except local_module.UntrustedFolder as exc:
        click.echo(click.style("refused: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_REFUSED)
    except (GraderError, RuntimeError) as exc:
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_GRADER_ERROR)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
    else:
        click.echo(local_module.render(outcome, color=local_module.supports_color()))
    if outcome.document["extra_data"]["status"] == "grader_error":
        sys.exit(EXIT_GRADER_ERROR)


@main.command()
@click.option("-a", "--assignment", "assignments", multiple=True,
              help="Assignment to release (repeatable; default: every assignment).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write <assignment>/ folders into.")
@click.option("--requirement", default=None,
              help="Install line for the grader in requirements.txt (default: nngrade==<this version>).")
@click.option("--force", is_flag=True, help="Replace release folders that already exist.")
@course_option
def release(assignments, output, requirement, force, course) -> None:
    """Build what students get: starter, notebook, handout, public tests, public rubric, pinned grader."""
    course = _course(course)
    try:
        released = api.release(output=output, assignments=list(assignments) or None, course=course,
                               requirement=requirement, force=force)
    except (GraderError, RuntimeError) as exc:
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(EXIT_GRADER_ERROR)
    from grader.release import RELEASE_CONFIG

    for entry in released:
        searched = "in what could be opened" if entry.unsearched else "in them"
        click.echo(f"  {entry.assignment}: {entry.folder} ({len(entry.files)} files; no solution or hidden-test "
                   f"code found {searched})")
        for skipped in entry.skipped:
            click.echo(f"    not copied: {skipped}")
        for unsearched in entry.unsearched:
            click.echo(f"    not searched (allowed in {RELEASE_CONFIG}): {unsearched}")


class _ExportGroup(click.Group):
    """`grade export NAME`: one subcommand per exporter registered under the entry-point
    group nngrade.exporters (grader/exporter.py), built from the options it declares."""

    def list_commands(self, ctx):
        from grader import exporter

        return exporter.names()

    def get_command(self, ctx, name):
        from grader import exporter

        try:
            plugin = exporter.get(name)
        except exporter.ExportError as exc:
            if name not in exporter.names():
                return None
            return click.Command(name, help=str(exc), callback=lambda: _export_failed(exc))
        params = []
        for option in plugin.options:
            kind = {"path": click.Path(exists=True, path_type=Path), "output": click.Path(path_type=Path),
                    "choice": click.Choice(option.choices)}.get(option.kind)
            if option.kind == "argument":
                params.append(click.Argument([option.name], type=click.Path(exists=True, path_type=Path)))
            elif option.kind == "flag":
                params.append(click.Option([*option.option_flags(), option.name], is_flag=True, help=option.help))
            else:
                params.append(click.Option([*option.option_flags(), option.name], type=kind, help=option.help,
                                           required=option.required, default=option.default,
                                           show_default=option.default is not None))
        return click.Command(name, params=params, help=plugin.summary, short_help=plugin.summary,
                             callback=lambda **options: _export(name, options))


def _export_failed(exc) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
    sys.exit(EXIT_REFUSED)


def _export(name: str, options: dict) -> None:
    from grader import exporter

    try:
        report = exporter.export(lms=name, **options)
    except (exporter.ExportError, GraderError) as exc:
        _export_failed(exc)
    for line in report.lines():
        click.echo(line)


@main.group(cls=_ExportGroup)
def export() -> None:
    """Grades back into an LMS: canvas, moodle, lti-ags, gradescope, and any exporter plugin."""


if __name__ == "__main__":  # pragma: no cover
    main()
