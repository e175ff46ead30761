"""``grade local``: a student checks their own work against the public tests, on their own machine.

Where the assignment comes from
    The nearest folder, from PATH (or the working directory) upward, that holds
    ``public_rubric.json`` (written by ``grade release``: the id, title and points
    of the items the public tests serve, and the sha256 of every released file
    the public tests may load). In the course repository itself,
    ``assignments/<name>/`` works too: the public rubric is then derived from the
    course's rubric the same way the release does it.

Whose tests run (and why it checks them first)
    Test files run in this process, outside the sandbox, so before any is imported the
    folder is checked against the hashes the release recorded, and the tests then run
    from a private copy of the checked bytes: see :mod:`grader.trust`. A changed, added or
    missing file is refused (:class:`UntrustedFolder`, exit code 2).

Which grader runs them
    The release records the version and fingerprint (:func:`grader.wheel.fingerprint`) of
    the grader that made it. When the running grader's fingerprint differs, the output
    starts with a warning saying so and how to install the release's own (its wheel, in
    ``wheels/``). A warning, not a refusal: this is the student's own check, not a grade,
    and the tests it runs are checked by their hashes whichever grader runs them.

Which file is graded
    ``<module>.py`` or ``<module>.ipynb`` in that folder; when both exist, the one
    changed last (and the output says so, and how to pick the other); a file given
    as PATH is graded whatever its name. Other ``.py`` files beside it (the
    student's helper modules) are graded with it, as in a folder submission.

What runs
    The public tests in ``tests/`` through the same engine as ``grade run``
    (:func:`grader.grading.grade` with ``include_hidden=False``): the same
    worker, sandbox backend, limits and notebook conversion. No reference
    solution, no hidden test, no network. Nothing here is Linux-only: with the
    ``subprocess`` backend it runs on macOS and Windows.

What it says
    Item, points, pass/fail, and for each failure the message and hint; then,
    always, that hidden tests run at submission and the public result is not
    the final score. It never sums the points into a score.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import click

import grader
from grader import grading, manifest, wheel
from grader import course as course_module
from grader import sandbox as sandbox_module
from grader.failure import GraderError, escape
from grader.limits import DEFAULT_LIMITS, Limits
from grader.manifest import PUBLIC_RUBRIC, public_rubric, rubric_from_document
from grader.rubric import Rubric
# The folder check's names stay importable from here (grader.local.UntrustedFolder and the rest).
from grader.trust import UntrustedFolder, checked_tests, instead, trusted_courses
from grader.table import STATUS_STYLE

REMINDER = ("This is not your grade. Only the public tests ran. Hidden tests run when you submit: they "
            "check these items again with other inputs and may check more, so your final score can be lower.")
# Why a fixed seed: a student who reruns after a fix sees the same inputs; the
# public tests are public, so nothing is gained by varying them.
LOCAL_SEED = 0


@dataclasses.dataclass(frozen=True)
class LocalAssignment:
    """An assignment folder on a student's machine (or the course's own, or a private copy of
    either's checked tests), with the interface grading.grade uses."""

    root: Path  # the assignment folder (holds tests/)
    name: str
    rubric: Rubric
    # {"<path in the folder>": sha256} from public_rubric.json; None if it records none.
    released: dict | None = None
    course_tests: bool = False  # the trusted course's own assignments/<name>/: its tests are not checked
    # {"version", "fingerprint"} of the grader that made the release (public_rubric.json); None if it records none.
    made_with: dict | None = None
    secrets: tuple[Path, ...] = ()  # folders a worker must not see (the course's, when there is one)

    @property
    def module(self) -> str:
        return self.rubric.module

    @property
    def public_tests(self) -> Path:
        return self.root / "tests"

    @property
    def secret_paths(self) -> tuple[Path, ...]:
        return self.secrets  # none on a student's machine; solutions/ and rubrics/ in the course itself

    def test_files(self, *, hidden: bool = True) -> list[Path]:
        if hidden:
            raise GraderError("a student's assignment folder has no hidden tests")
        folder = self.public_tests
        return sorted(folder.glob("test_*.py")) if folder.is_dir() else []

    def rubric_sha256(self) -> str:
        digest = hashlib.sha256(self.rubric.raw)
        for path in self.test_files(hidden=False):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


def course_public_assignment(assignment: course_module.Assignment) -> LocalAssignment:
    """A course's assignment reduced to its public tests, and to the items they serve (as the
    release's public rubric has them); the course's secret folders stay hidden from workers."""
    folder = assignment.root / "assignments" / assignment.name
    rubric = rubric_from_document(public_rubric(assignment), folder / PUBLIC_RUBRIC)
    return LocalAssignment(root=folder, name=assignment.name, rubric=rubric, course_tests=True,
                           secrets=assignment.secret_paths)


def mark_public_only(document: dict, *, public: Rubric, full: Rubric) -> None:
    """Say at the top of a result graded by public tests only what it does not cover."""
    document["output"] = (
        f"Public tests only: hidden tests did not run, so this is not the assignment's score "
        f"({len(public.items)} of its {len(full.items)} items, {public.max_score:g} of {full.max_score:g} points, "
        f"have public tests). " + document["output"])
    document["extra_data"]["public_tests_only"] = True


def locate(start: Path) -> tuple[LocalAssignment, Path | None]:
    """The assignment folder at or above ``start``, and the file ``start`` names (if it is one)."""
    start = Path(start).resolve()
    given = None
    if start.is_file():
        given, start = start, start.parent
    elif not start.is_dir():
        raise GraderError(f"{start} does not exist")
    for folder in (start, *start.parents):
        path = folder / PUBLIC_RUBRIC
        if path.is_file():
            found = manifest.read(path)
            return LocalAssignment(root=folder, name=found.rubric.assignment, rubric=found.rubric,
                                   released=found.released, made_with=found.grader), given
        course_root = folder.parent.parent
        if folder.parent.name == "assignments" and (course_root / "rubrics" / folder.name / "rubric.json").is_file():
            if course_root.resolve() not in trusted_courses():
                shown = escape(str(course_root), 500)
                raise UntrustedFolder(
                    f"{escape(str(folder), 500)} looks like an assignment of a course at {shown}, but that is not "
                    f"the course this grader trusts (the folder ${course_module.ENV_COURSE} names, or the one the "
                    f"grader was installed from), so its tests will not run in the grader's process. If it is your "
                    f"course, set {course_module.ENV_COURSE}={shown}. {instead(escape(folder.name, 100))}")
            return course_public_assignment(course_module.load(course_root, folder.name)), given
    raise GraderError(f"no assignment found at {start} or above it: run `grade local` inside the assignment "
                      f"folder you were given (the one holding {PUBLIC_RUBRIC} and tests/)")


def choose_file(assignment: LocalAssignment, given: Path | None) -> tuple[Path, str]:
    """The student's file to grade, and a sentence on why it was chosen ("" if obvious)."""
    if given is not None:
        if given.suffix not in (".py", ".ipynb"):
            raise GraderError(f"{given.name} is not a .py file or a .ipynb notebook")
        return given, ""
    module = assignment.module
    candidates = [p for p in (assignment.root / f"{module}.py", assignment.root / f"{module}.ipynb") if p.is_file()]
    if not candidates:
        raise GraderError(f"{assignment.root} has neither {module}.py nor {module}.ipynb")
    if len(candidates) == 1:
        return candidates[0], ""
    py, notebook = candidates
    py_time, notebook_time = _edited_at(py), _edited_at(notebook)
    if notebook_time - py_time > SAME_TIME_NS:
        return notebook, (f"{notebook.name} changed after {py.name}, so it is the one checked; "
                          f"`grade local {py.name}` checks the other")
    if py_time - notebook_time > SAME_TIME_NS:
        return py, (f"{py.name} changed after {notebook.name}, so it is the one checked; "
                    f"`grade local {notebook.name}` checks the other")
    return py, (f"neither {py.name} nor {notebook.name} changed after the other (as released), so {py.name} is "
                f"the one checked; `grade local {notebook.name}` checks the notebook")


# Why 2 s: one tool (the release, an unzip, a git checkout, a copy) writes both files moments
# apart, in whatever order, and FAT file systems keep times to 2 s; a student's own edit of the
# other file comes later than that. Times within it are a tie, which goes to the .py.
SAME_TIME_NS = 2 * 10 ** 9
# Why 60 s: a time later than now was not set by the student's editor but copied from a machine
# whose clock runs ahead (the one that built the release): such a file counts as unchanged.
FUTURE_SLACK_NS = 60 * 10 ** 9


def _edited_at(path: Path) -> int:
    """The file's modification time, or 0 (unchanged since the release) if it is in the future."""
    mtime = path.stat().st_mtime_ns
    return 0 if mtime > time.time_ns() + FUTURE_SLACK_NS else mtime


def _submission_folder(assignment: LocalAssignment, chosen: Path, into: Path) -> Path:
    """A folder holding the chosen file under the module's name, and the helper modules beside it."""
    folder = into / "submission"
    folder.mkdir()
    module = assignment.module
    shutil.copyfile(chosen, folder / f"{module}{chosen.suffix}")
    for helper in sorted(chosen.parent.glob("*.py")):
        if helper.name not in (chosen.name, f"{module}.py") and not helper.name.startswith("test_"):
            shutil.copyfile(helper, folder / helper.name)
    return folder


@dataclasses.dataclass(frozen=True)
class LocalRun:
    assignment: LocalAssignment
    file: Path
    choice: str  # why this file ("" if it was the only one)
    document: dict
    notice: str = ""  # the warning that this is not the grader the release was made with ("" if it is)

    @property
    def passed(self) -> int:
        return sum(t["status"] == "passed" for t in self.document["tests"])

    def to_json(self) -> dict:
        return {"kind": "nngrade-local", "public_tests_only": True, "reminder": REMINDER,
                "assignment": self.assignment.name, "file": str(self.file), "choice": self.choice,
                "items_passed": self.passed, "items": len(self.document["tests"]), "grader_notice": self.notice or None,
                "result": self.document}


def run(*, path: Path, limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = "auto", seed: int = LOCAL_SEED,
        execute_notebook: bool = False) -> LocalRun:
    """Grade the student's file in the assignment folder at or above ``path`` with the public tests
    (refused with :class:`UntrustedFolder` if they are not the released ones: see the module doc)."""
    assignment, given = locate(path)
    tests = checked_tests(assignment)  # before anything of tests/ is imported
    notice = grader_notice(assignment)
    chosen, choice = choose_file(assignment, given)
    with warnings.catch_warnings():
        # Why: the warning is for course staff grading others' code; on a
        # student's own machine the plain subprocess backend is what we want.
        warnings.simplefilter("ignore", sandbox_module.SandboxWarning)
        backend = sandbox_module.choose_backend(sandbox_backend)
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-local-"))
    try:
        submission = _submission_folder(assignment, chosen, scratch)
        # The tests run from a private copy of the bytes just checked: nothing else of the
        # folder (a planted tests/__pycache__/*.pyc, a file swapped since) is ever imported.
        graded = assignment
        if not assignment.course_tests:
            graded = dataclasses.replace(assignment, root=scratch / "public")
            for relative, data in tests.items():
                (graded.root / relative).parent.mkdir(parents=True, exist_ok=True)
                (graded.root / relative).write_bytes(data)
        document = grading.grade(assignment=graded, submission=submission,
                                 seed=seed, limits=limits, backend=backend, include_hidden=False,
                                 execute_notebook=execute_notebook)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    document["extra_data"]["submission"] = chosen.name
    return LocalRun(assignment=assignment, file=chosen, choice=choice, document=document, notice=notice)


def grader_notice(assignment: LocalAssignment) -> str:
    """A warning when the running grader is not the one the release was made with (its fingerprint
    differs); "" when it is, or when the folder records none (the course's own, an older release)."""
    recorded = assignment.made_with
    if recorded is None:
        return ""
    running = wheel.fingerprint()
    if running == recorded["fingerprint"]:
        return ""
    version = escape(recorded["version"], 100)
    made = f"nngrade {version} (fingerprint {recorded['fingerprint'][:12]})"
    if version != grader.__version__:
        how = "run `pip install -r requirements.txt` in this folder"
    else:  # pip keeps an installed grader of the same version number unless told to replace it
        shipped = sorted((assignment.root / manifest.WHEELS).glob(f"{wheel.DISTRIBUTION}-{version}-*.whl"))
        how = (f"run `pip install --force-reinstall --no-deps {manifest.WHEELS}/{shipped[0].name}` in this folder"
               if shipped else "download the assignment again, then run `pip install --force-reinstall --no-deps "
                               f"{manifest.WHEELS}/<the wheel in it>` in its folder")
    return (f"This release was made with {made}; you are running nngrade {grader.__version__} (fingerprint "
            f"{running[:12]}), which may check your work differently: {how} "
            f"({escape(str(assignment.root), 500)}) to use the release's own grader.")


def supports_color(stream=None) -> bool:
    """Colors only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream if stream is not None else click.get_text_stream("stdout")
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def render(local: LocalRun, *, color: bool) -> str:
    """The table a student reads: item, points, pass/fail, failure messages, and the reminder."""
    def style(text: str, **kwargs) -> str:
        return click.style(text, **kwargs) if color else text

    document = local.document
    tests = document["tests"]
    lines = [style(f"{local.assignment.rubric.title}: public tests of {local.file.name}", bold=True)]
    if local.choice:
        lines.append(f"  ({local.choice})")
    if local.notice:
        lines += [""] + [style(line, fg="yellow", bold=True) for line in
                         textwrap.wrap("Warning: " + local.notice, width=92, initial_indent="  ", subsequent_indent="  ",
                                       break_long_words=False, break_on_hyphens=False)]
    lines.append("")
    outputs = {t["output"] for t in tests if t["extra_data"]["outcome"] != "passed"}
    shared = len(tests) > 1 and all(t["extra_data"]["outcome"] != "passed" for t in tests) and len(outputs) == 1
    width = max([len(t["name"]) for t in tests] + [4])
    lines.append(f"  {'item'.ljust(width)}  {'points':>6}  result")
    for test in tests:
        outcome = test["extra_data"]["outcome"]
        label, colour = STATUS_STYLE[outcome]
        lines.append(f"  {test['name'].ljust(width)}  {test['max_score']:>6g}  {style(label, fg=colour, bold=True)}")
        if outcome != "passed" and not shared:
            lines += ["      " + line for line in test["output"].splitlines()]
    if shared:
        lines += ["", "  Every item failed for the same reason:"]
        lines += ["      " + line for line in outputs.pop().splitlines()]
    lines.append("")
    passed, total = local.passed, len(tests)
    verdict = f"  {passed} of {total} public items pass."
    lines.append(style(verdict, fg="green" if passed == total else None, bold=True))
    notes = document["output"].split("\n\n", 1)[1] if "\n\n" in document["output"] else ""
    if notes:
        lines += [""] + ["  " + line for line in notes.splitlines()]
    extra = document["extra_data"]
    if extra["status"] == "grader_error":
        lines += ["", style("  The grader itself failed on some items (not your fault; tell the course staff):",
                            fg="yellow")]
        lines += ["    " + e.splitlines()[0] for e in extra["grader_errors"]]
    lines += [""] + [style(line, fg="yellow", bold=True)
                     for line in textwrap.wrap(REMINDER, width=92, initial_indent="  ", subsequent_indent="  ")]
    lines.append(f"  (time: {document['execution_time']:.2f} s, sandbox: {extra['sandbox']})")
    return "\n".join(lines)
