"""Where an assignment's material lives in a course folder.

::

    assignments/<name>/<module>.py     starter (what students get; generated from the solution)
    assignments/<name>/<module>.ipynb  starter notebook (the same, generated too)
    assignments/<name>/README.md       handout
    assignments/<name>/tests/          public tests
    solutions/<name>/<module>.py       reference solution, annotated with the starter's markers
                                       (never shown to workers; grade starter, grader/markers.py)
    rubrics/<name>/rubric.json         rubric                (never shown to workers)
    rubrics/<name>/tests/              hidden tests          (never shown to workers)
    rubrics/<name>/catalog/variants/   correct variants      (grade audit; never shown to workers)
    rubrics/<name>/catalog/mistakes/   known real mistakes   (grade audit; never shown to workers)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from pathlib import Path

from grader import rubric as rubric_module
from grader.error import UsageError
from grader.failure import GraderError

ENV_COURSE = "NNGRADE_COURSE"


class CourseWarning(UserWarning):
    """The course folder was not given nor found: the grader's own checkout is used."""


@dataclasses.dataclass(frozen=True)
class Located:
    """The course folder and how it was chosen (printed on every command's first line)."""

    root: Path
    how: str
    fallback: bool = False  # the grader's own checkout, because nothing else was given or found

    def line(self) -> str:
        return f"course: {self.root} ({self.how})"


def locate(explicit: Path | None = None) -> Located:
    """The course folder: ``explicit``, else $NNGRADE_COURSE, else the nearest folder
    upward from the working directory holding ``rubrics/`` and ``assignments/``.

    Only if none of these gives one, and the grader runs from a checkout that is
    itself a course (an editable install of this repository), that checkout is used,
    with ``fallback`` set so the caller says so. Otherwise :class:`GraderError`.
    """
    if explicit is not None:
        return Located(Path(explicit).resolve(), "given with --course")
    if os.environ.get(ENV_COURSE):
        return Located(Path(os.environ[ENV_COURSE]).resolve(), f"from ${ENV_COURSE}")
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "rubrics").is_dir() and (folder / "assignments").is_dir():
            return Located(folder, "found from the working directory")
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "rubrics").is_dir() and (checkout / "assignments").is_dir():
        return Located(checkout, f"NOT a course you chose: no --course, no ${ENV_COURSE} and no folder with "
                                 f"rubrics/ and assignments/ at or above {here}, so the course bundled with the "
                                 "grader's own checkout is used", fallback=True)
    raise UsageError(f"no course folder: give --course or set ${ENV_COURSE}, or run from a folder at or below "
                      f"one holding rubrics/ and assignments/ (searched upward from {here})")


def find_root(explicit: Path | None = None) -> Path:
    """The course folder (see :func:`locate`); a :class:`CourseWarning` says when it is the
    grader's own checkout because no course was given or found."""
    located = locate(explicit)
    if located.fallback:
        warnings.warn(located.line(), CourseWarning, stacklevel=2)
    return located.root


@dataclasses.dataclass(frozen=True)
class Assignment:
    root: Path
    name: str
    rubric: rubric_module.Rubric

    @property
    def module(self) -> str:
        return self.rubric.module

    @property
    def starter(self) -> Path:
        return self.root / "assignments" / self.name / f"{self.module}.py"

    @property
    def starter_notebook(self) -> Path:
        return self.root / "assignments" / self.name / f"{self.module}.ipynb"

    @property
    def handout(self) -> Path:
        return self.root / "assignments" / self.name / "README.md"

    @property
    def public_tests(self) -> Path:
        return self.root / "assignments" / self.name / "tests"

    @property
    def solution(self) -> Path:
        return self.root / "solutions" / self.name / f"{self.module}.py"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "rubrics" / self.name / "tests"

    @property
    def catalog(self) -> Path:
        """Correct variants (``variants/``) and known mistakes (``mistakes/``), for ``grade audit``."""
        return self.root / "rubrics" / self.name / "catalog"

    @property
    def secret_paths(self) -> tuple[Path, ...]:
        """Folders a worker must never see."""
        return (self.root / "solutions", self.root / "rubrics")

    def test_files(self, *, hidden: bool = True) -> list[Path]:
        folders = [self.public_tests] + ([self.hidden_tests] if hidden else [])
        return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("test_*.py"))

    def required_modules(self) -> dict[str, Path]:
        """{module name: reference solution file} of the assignments this one requires."""
        modules = {}
        for name in self.rubric.requires:
            other = load(self.root, name)
            modules[other.module] = other.solution
        return modules

    def helper_files(self) -> list[Path]:
        """Helper modules the hidden tests may import (:func:`grader.plugin.importable_helpers`):
        the non-test ``*.py`` beside them and in ``rubrics/`` (the course's)."""
        folders = [self.hidden_tests, self.root / "rubrics"]
        return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.py")
                      if not p.name.startswith("test_") and p.name != "conftest.py")

    def rubric_sha256(self) -> str:
        """Hash of the rubric, every test file and the tests' helper modules: changes whenever
        scoring may change."""
        digest = hashlib.sha256(self.rubric.raw)
        for path in self.test_files() + self.helper_files():
            digest.update(str(path.relative_to(self.root)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


def names(root: Path) -> list[str]:
    """Assignments of the course (those with a rubric)."""
    folder = Path(root) / "rubrics"
    return sorted(p.parent.name for p in folder.glob("*/rubric.json")) if folder.is_dir() else []


def load(root: Path, name: str) -> Assignment:
    """The assignment ``name`` of the course at ``root``; GraderError if it is missing or broken."""
    path = Path(root) / "rubrics" / name / "rubric.json"
    if not path.is_file():
        known = ", ".join(names(root)) or "none"
        raise GraderError(f"no assignment {name!r} in the course at {root} (known: {known})")
    try:
        rubric = rubric_module.load(path)
    except rubric_module.RubricError as exc:
        raise GraderError(str(exc)) from None
    if rubric.assignment != name:
        raise GraderError(f"{path}: /assignment: says {rubric.assignment!r} but the folder is {name!r}")
    return Assignment(root=Path(root).resolve(), name=name, rubric=rubric)
