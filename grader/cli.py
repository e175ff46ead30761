"""The ``grade`` command: a thin layer over :mod:`grader.api`.

Errors are handled in one place, :class:`Grade` (the command group): a :class:`grader.error.GraderError`
prints ``grader error: ...`` or ``usage error: ...`` and exits with its code, a Ctrl-C prints
``interrupted`` and exits 130. The exit codes are the one table in :mod:`grader.error`
(``grade --help`` shows it). The course-authoring commands are in :mod:`grader.commands`,
the options they share in :mod:`grader.options`.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import click

from grader import __version__, api, commands
from grader.error import Exit, GraderError, exit_table
from grader.options import (assignment_option, course_option, execute_option, jobs_option, limits_options,
                            seed_option)
from grader.table import render

EXIT_BELOW_THRESHOLD = Exit.BELOW_THRESHOLD  # the name tests/test_audit.py uses; grader.error.Exit is the table

INTERRUPT_HINT = "nngrade.interrupt_hint"  # ctx.meta key: what a command's Ctrl-C leaves behind


class Grade(click.Group):
    """The command group that maps exceptions to the exit-code table, once for every command."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: a usage error it prints itself (exit 2), or an exit already chosen
        except KeyboardInterrupt:
            hint = ctx.meta.get(INTERRUPT_HINT)
            click.echo("\ninterrupted" + (f": {hint}" if hint else ""), err=True)
            ctx.exit(Exit.INTERRUPTED)
        except GraderError as exc:  # any other exception is a bug of the grader: shown in full
            click.echo(click.style(f"{exc.label}: ", fg="red", bold=True) + str(exc), err=True)
            ctx.exit(exc.exit_code)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(click.style(f"warning: {message}", fg="yellow"), err=True)


EPILOG = "\b\nExit codes (every command):\n" + exit_table()


@click.group(cls=Grade, epilog=EPILOG)
@click.version_option(__version__, prog_name="nngrade")
def main() -> None:
    """nngrade: grade neural-network assignments with student code kept in a sandbox."""
    warnings.showwarning = _show_warning


for _command in commands.COMMANDS:
    main.add_command(_command)


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@assignment_option()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the result JSON.")
@seed_option()
@click.option("--public-only", is_flag=True,
              help="Only the course's own public tests (never the submission's tests/): what `grade local` "
                   "shows a student, for a folder you do not trust.")
@execute_option
@course_option
@limits_options
def run(submission, assignment, output, seed, public_only, execute, course, sandbox_backend, limits) -> None:
    """Grade one SUBMISSION (a .py file, a .ipynb notebook, a folder or a .zip)."""
    document = api.run(submission=submission, assignment=assignment, course=course, output=output,
                       seed=seed, limits=limits, sandbox_backend=sandbox_backend, execute_notebook=execute,
                       public_only=public_only)
    click.echo(render(document, color=sys.stdout.isatty()))
    if public_only:  # the result's summary starts by saying what was not graded
        click.echo("  " + document["output"].splitlines()[0])
    if output is not None:
        click.echo(f"  result written to {output}")
    if document["extra_data"]["status"] == "grader_error":
        sys.exit(Exit.GRADER_ERROR)


class _Progress:
    """One progress bar at a time on stderr, closed whatever happens."""

    def __init__(self, label: str):
        self.label, self.bar = label, None

    def start(self, total: int) -> None:
        self.close()
        self.bar = click.progressbar(length=total, label=self.label, show_eta=True, show_pos=True,
                                     item_show_func=lambda name: name, file=sys.stderr)
        self.bar.__enter__()

    def update(self, name: str) -> None:
        self.bar.update(1, name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@assignment_option(required=False, help="Assignment name, e.g. layers. Without it, SUBMISSIONS is a folder of "
                                        "classes: one subfolder per assignment, named after it.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for results/, grades.csv, summary.json, report.html (per class: OUTPUT/<assignment>/).")
@jobs_option
@click.option("--resume", is_flag=True, help="Skip students already graded with the same submission, rubric, limits, sandbox and course secret.")
@click.option("--force", is_flag=True,
              help="Without --resume: replace the outputs of an earlier batch in OUTPUT (else refused).")
@click.option("--secret-file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Course secret for per-student seeds (default: $NNGRADE_COURSE_SECRET).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Grade on a Dask cluster (scheduler address) instead of local processes.")
@click.option("--feedback", is_flag=True, help="Also write each student's feedback beside their result.")
@course_option
@limits_options
def batch(submissions, assignment, output, jobs, resume, force, secret_file, dask_address, feedback, course,
          sandbox_backend, limits) -> None:
    """Grade every submission in SUBMISSIONS (a folder or zip: plain, Gradescope export or Canvas download),
    or, without -a, every class in a folder of classes (e.g. examples/: layers/, losses/, ...).

    Exit 0: everyone found was graded (see the last line for each status); 1: a grader error
    stopped the batch, or more than 10% of a download's entries matched no student;
    2: nothing to grade (no submission found, or not a folder of classes), or an output folder
    holds an earlier batch (use --resume or --force)."""
    click.get_current_context().meta[INTERRUPT_HINT] = \
        "results graded so far are saved; rerun with --resume to continue"
    progress = _Progress("grading")

    def on_start(found, pending):
        click.echo(f"{len(found.entries)} submissions ({found.layout} layout); {pending} to grade")
        for note in found.notes:
            click.echo(f"  note: {note}")
        progress.start(pending)

    def on_progress(student_id, document):
        progress.update(student_id)

    def on_summary(name, summary):
        progress.close()
        for warning in summary.warnings:
            click.echo("WARNING: " + warning, err=True)
        click.echo((f"{name}: " if name else "") + summary.line())
        pages = " and feedback/" if feedback else ""
        click.echo(f"  wrote {output / name if name else output}/grades.csv, summary.json, report.html, results/{pages}")
        if summary.incomplete:
            click.echo("error: " + (f"{name}: " if name else "") + summary.incomplete_line(), err=True)

    options = dict(submissions=submissions, output=output, course=course, jobs=jobs, resume=resume, limits=limits,
                   sandbox_backend=sandbox_backend, secret_file=secret_file, dask_address=dask_address, force=force,
                   feedback=feedback, on_start=on_start, on_progress=on_progress)
    try:
        if assignment is None:
            summaries = api.batch_classes(
                **options, on_summary=on_summary,
                on_class=lambda name, folder, outdir: click.echo(f"\n{name}: {folder} -> {outdir}"))
            click.echo(_total_line(summaries))
        else:
            summaries = {"": api.batch(assignment=assignment, **options)}
            on_summary("", summaries[""])
    finally:
        progress.close()
    if any(summary.incomplete for summary in summaries.values()):
        sys.exit(Exit.GRADER_ERROR)


def _total_line(summaries: dict) -> str:
    statuses = {status: sum(s.statuses[status] for s in summaries.values()) for status in ("graded",
                "submission_error", "grader_error")}
    return (f"total: {len(summaries)} classes, {sum(s.total for s in summaries.values())} students: "
            f"{statuses['graded']} graded, {statuses['submission_error']} submission errors, "
            f"{statuses['grader_error']} grader errors; {sum(s.timeouts for s in summaries.values())} with timeouts")


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON (for tools).")
@execute_option
@limits_options
def local(path, as_json, execute, sandbox_backend, limits) -> None:
    """Check your work: run the public tests of the assignment in PATH (default: here).

    Hidden tests run when you submit; the public result is not your final score."""
    from grader import local as local_module

    outcome = api.local(path=path, limits=limits, sandbox_backend=sandbox_backend, execute_notebook=execute)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
    else:
        click.echo(local_module.render(outcome, color=local_module.supports_color()))
    if outcome.document["extra_data"]["status"] == "grader_error":
        sys.exit(Exit.GRADER_ERROR)


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
            return click.Command(name, help=str(exc), callback=lambda error=exc: _raise(error))
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


def _raise(exc: Exception) -> None:
    raise exc  # an exporter that cannot be loaded: reported, when asked for, by Grade.invoke


def _export(name: str, options: dict) -> None:
    from grader import exporter

    report = exporter.export(lms=name, **options)
    for line in report.lines():
        click.echo(line)


@main.group(cls=_ExportGroup)
def export() -> None:
    """Grades back into an LMS: canvas, moodle, lti-ags, gradescope, and any exporter plugin."""


if __name__ == "__main__":  # pragma: no cover
    main()
