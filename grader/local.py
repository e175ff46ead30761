"""``grade local``: a student checks their own work against the public tests, on their own machine.

Where the assignment comes from
    The nearest folder, from PATH (or the working directory) upward, that holds
    ``public_rubric.json`` (written by ``grade release``: the id, title and points
    of the items the public tests serve, nothing else). In the course repository
    itself, ``assignments/<name>/`` works too: the public rubric is then derived
    from the course's rubric the same way the release does it.

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
import json
import os
import shutil
import tempfile
import textwrap
import warnings
from pathlib import Path

import click

from grader import grading, schema
from grader import course as course_module
from grader import sandbox as sandbox_module
from grader.failure import GraderError
from grader.limits import DEFAULT_LIMITS, Limits
from grader.rubric import Item, Rubric
from grader.release import PUBLIC_RUBRIC, public_rubric
from grader.table import STATUS_STYLE

REMINDER = ("This is not your grade. Only the public tests ran. Hidden tests run when you submit: they "
            "check these items again with other inputs and may check more, so your final score can be lower.")
# Why a fixed seed: a student who reruns after a fix sees the same inputs; the
# public tests are public, so nothing is gained by varying them.
LOCAL_SEED = 0


@dataclasses.dataclass(frozen=True)
class LocalAssignment:
    """An assignment folder on a student's machine, with the interface grading.grade uses."""

    root: Path  # the assignment folder (holds tests/)
    name: str
    rubric: Rubric

    @property
    def module(self) -> str:
        return self.rubric.module

    @property
    def public_tests(self) -> Path:
        return self.root / "tests"

    @property
    def secret_paths(self) -> tuple[Path, ...]:
        return ()  # a student's machine has no secrets of the course

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


def rubric_from_document(document: dict, path: Path) -> Rubric:
    """A :class:`Rubric` from a public rubric document (checked against rubric.schema.json)."""
    problems = schema.errors("rubric", document)
    if problems:
        raise GraderError(f"{path}: does not follow rubric.schema.json:\n  " + "\n  ".join(problems))
    items = tuple(Item(id=e["id"], title=e["title"], points=e["points"], visibility=e["visibility"])
                  for e in document["items"])
    return Rubric(path=path, assignment=document["assignment"], title=document["title"],
                  module=document["module"], items=items, raw=json.dumps(document, sort_keys=True).encode())


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
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise GraderError(f"{path} cannot be read ({exc}); download the assignment again") from None
            rubric = rubric_from_document(document, path)
            return LocalAssignment(root=folder, name=rubric.assignment, rubric=rubric), given
        course_root = folder.parent.parent
        if folder.parent.name == "assignments" and (course_root / "rubrics" / folder.name / "rubric.json").is_file():
            course_assignment = course_module.load(course_root, folder.name)
            rubric = rubric_from_document(public_rubric(course_assignment), folder / PUBLIC_RUBRIC)
            return LocalAssignment(root=folder, name=folder.name, rubric=rubric), given
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
    newest = max(candidates, key=lambda p: p.stat().st_mtime_ns)
    other = next(p for p in candidates if p is not newest)
    return newest, (f"{newest.name} changed after {other.name}, so it is the one checked; "
                    f"`grade local {other.name}` checks the other")


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

    @property
    def passed(self) -> int:
        return sum(t["status"] == "passed" for t in self.document["tests"])

    def to_json(self) -> dict:
        return {"kind": "nngrade-local", "public_tests_only": True, "reminder": REMINDER,
                "assignment": self.assignment.name, "file": str(self.file), "choice": self.choice,
                "items_passed": self.passed, "items": len(self.document["tests"]), "result": self.document}


def run(*, path: Path, limits: Limits = DEFAULT_LIMITS, sandbox_backend: str = "auto", seed: int = LOCAL_SEED,
        execute_notebook: bool = False) -> LocalRun:
    """Grade the student's file in the assignment folder at or above ``path`` with the public tests."""
    assignment, given = locate(path)
    chosen, choice = choose_file(assignment, given)
    with warnings.catch_warnings():
        # Why: the warning is for course staff grading others' code; on a
        # student's own machine the plain subprocess backend is what we want.
        warnings.simplefilter("ignore", sandbox_module.SandboxWarning)
        backend = sandbox_module.choose_backend(sandbox_backend)
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-local-"))
    try:
        submission = _submission_folder(assignment, chosen, scratch)
        document = grading.grade(assignment=assignment, submission=submission, seed=seed, limits=limits,
                                 backend=backend, include_hidden=False, execute_notebook=execute_notebook)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    document["extra_data"]["submission"] = chosen.name
    return LocalRun(assignment=assignment, file=chosen, choice=choice, document=document)


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
