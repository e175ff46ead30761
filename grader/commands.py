"""The ``grade`` commands for course authors: ``validate``, ``audit``, ``release``, ``starter``, ``new``.

A CLI module, a thin layer over :mod:`grader.api` like :mod:`grader.cli`, which adds them to the
``grade`` group (:data:`COMMANDS`); errors and exit codes are handled there, once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader import api
from grader.error import Exit
from grader.options import assignment_option, course_option, jobs_option, limits_options, seed_option


@click.command()
@assignment_option()
@seed_option()
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Grade the reference at this many seeds from --seed on (e.g. 300 before a release).")
@course_option
@limits_options
def validate(assignment, seed, seeds, course, sandbox_backend, limits) -> None:
    """Check an assignment: rubric, tests for every item, reference full marks, starter zero.

    Exit 1 if a check fails."""
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
        sys.exit(Exit.GRADER_ERROR)


@click.command()
@assignment_option()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for audit.json and audit.html.")
@jobs_option
@seed_option("Base seed (default: fresh, recorded).")
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
@limits_options
def audit(assignment, output, jobs, seed, min_recall, min_precision, per_function, functions, no_diffs, course,
          sandbox_backend, limits) -> None:
    """Measure the hidden tests: per item, recall over mutants of the reference and precision over
    the catalog of correct variants (rubrics/NAME/catalog/).

    Exit 0: audited (whatever the figures, unless thresholds were given); 3: --min-recall or
    --min-precision given and some item is below it, or a known mistake does not lose exactly
    its items; 1: a grader error; 2: a usage error."""
    from grader import auditreport

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
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)
    click.echo(auditreport.text(document, diffs=not no_diffs, color=sys.stdout.isatty()))
    if output is not None:
        click.echo(f"  wrote {output}/audit.json and audit.html")
    if (min_recall is not None or min_precision is not None) and not document["summary"]["passed"]:
        sys.exit(Exit.BELOW_THRESHOLD)


@click.command()
@click.option("-a", "--assignment", "assignments", multiple=True,
              help="Assignment to release (repeatable; default: every assignment).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write <assignment>/ folders into.")
@click.option("--requirement", default=None,
              help="Install line for the grader in requirements.txt (default: nngrade==<this version>).")
@click.option("--force", is_flag=True, help="Replace release folders that already exist.")
@course_option
def release(assignments, output, requirement, force, course) -> None:
    """Build what students get: starter, notebook, handout, public tests, public rubric, pinned grader.

    Exit 1 (a grader error) if the release would leak solution or hidden-test code, or ship an
    archive or binary file the course does not list: nothing is written then."""
    released = api.release(output=output, assignments=list(assignments) or None, course=course,
                           requirement=requirement, force=force)
    from grader.release import RELEASE_CONFIG

    for entry in released:
        searched = "in what could be opened" if entry.unsearched else "in them"
        click.echo(f"  {entry.assignment}: {entry.folder} ({len(entry.files)} files; no solution or hidden-test "
                   f"code found {searched})")
        for skipped in entry.skipped:
            click.echo(f"    not copied: {skipped}")
        for unsearched in entry.unsearched:
            click.echo(f"    not searched (allowed in {RELEASE_CONFIG}): {unsearched}")


@click.command()
@assignment_option()
@click.option("--check", is_flag=True,
              help="Write nothing: say whether the starter is what the reference solution gives (exit 1 if not).")
@course_option
def starter(assignment, check, course) -> None:
    """Write the starter module and notebook of an assignment from its reference solution.

    Exit 1 with --check if the starter in the course differs from what would be written."""
    found = api.starter(assignment=assignment, course=course, check=check)
    if not check:
        for path in found:
            click.echo(f"  wrote {path}")
        if not found:
            click.echo(f"  {assignment}: the starter is up to date, nothing written")
        return
    for problem in found:
        click.echo(f"  {problem}")
    click.echo(f"  {assignment}: " + (f"{len(found)} problem(s) in the starter" if found else "starter up to date"))
    if found:
        sys.exit(Exit.GRADER_ERROR)


@click.command()
@click.argument("name")
@course_option
def new(name, course) -> None:
    """Create the skeleton of a new assignment NAME in the course (solution, rubric, tests, handout);
    nothing is overwritten. Then fill in the solution and run `grade starter -a NAME`."""
    for path in api.new(name=name, course=course):
        click.echo(f"  created {path}")


COMMANDS = (validate, audit, release, starter, new)
