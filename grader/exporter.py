"""Grades back into an LMS: the exporter plugin hook, its registry and the shared reading of a batch.

An exporter is a :class:`Exporter` registered under the Python entry-point group
``nngrade.exporters`` (:data:`GROUP`); the built-in ones (``canvas``, ``moodle``,
``lti-ags``, ``gradescope``) are registered there too, in nngrade's own
``pyproject.toml``, so a course adds an LMS with a package of its own, without forking::

    [project.entry-points."nngrade.exporters"]
    blackboard = "my_course.blackboard:EXPORTER"

``grade export NAME ...`` lists and runs every exporter found; :func:`export` is the
keyword-only API behind it. An exporter declares its command-line :class:`Option` s
as data (no click in here) and its ``run`` takes them as keyword arguments and
returns a :class:`Report`. ``docs/lms.md`` has each LMS's round trip.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from importlib import metadata
from pathlib import Path
from typing import Callable

from grader import gradebook, schema, terminal
from grader.error import UsageError
from grader.storage import write_atomically

GROUP = "nngrade.exporters"


class ExportError(UsageError):
    """The export cannot be made (missing batch, roster not understood, unknown exporter);
    the message says why and where. Student ids in it are made printable."""

    def __init__(self, message: str):
        super().__init__(terminal.clean(message, keep_lines=True))


@dataclasses.dataclass(frozen=True)
class Option:
    """One command-line parameter of an exporter.

    ``kind``: ``argument`` (positional), ``text``, ``path`` (a file or folder to read),
    ``output`` (a file to write), ``choice`` (one of ``choices``) or ``flag``.
    """

    name: str
    help: str
    kind: str = "text"
    required: bool = False
    default: object = None
    flags: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()

    def option_flags(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.name.replace("_", "-"),)


@dataclasses.dataclass
class Report:
    """What an export wrote, and what a TA must know about it (missing students, skipped results)."""

    output: Path
    rows: int
    notes: list[str] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"wrote {self.output} ({self.rows} rows)"] + [f"  note: {terminal.clean(n)}" for n in self.notes]


@dataclasses.dataclass(frozen=True)
class Exporter:
    name: str
    summary: str
    options: tuple[Option, ...]
    run: Callable[..., Report]


def available() -> dict[str, Exporter]:
    """Every exporter registered under :data:`GROUP`, by name (sorted).

    A plugin that cannot be loaded, or is not an :class:`Exporter`-like object, raises
    :class:`ExportError` naming it only when it is asked for (see :func:`get`); here it
    is left out so that one broken plugin does not hide the others."""
    found = {}
    for entry in _entry_points():
        try:
            found[entry.name] = _check(entry.name, entry.load())
        except Exception:  # a broken third-party plugin; get() reports it
            continue
    return dict(sorted(found.items()))


def names() -> list[str]:
    """Names of every registered exporter, loadable or not (for the CLI's listing)."""
    return sorted({entry.name for entry in _entry_points()})


def get(name: str) -> Exporter:
    for entry in _entry_points():
        if entry.name == name:
            try:
                loaded = entry.load()
            except Exception as exc:
                raise ExportError(f"exporter {name!r} ({entry.value}) cannot be loaded: {exc}") from None
            return _check(name, loaded)
    raise ExportError(f"no exporter {name!r} (registered under {GROUP}: {', '.join(names()) or 'none'}); "
                      "is nngrade installed (pip install -e .)?")


def export(*, lms: str, **options) -> Report:
    """Run the exporter ``lms`` with ``options`` (its :class:`Option` names); keyword-only."""
    exporter = get(lms)
    known = {option.name for option in exporter.options}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ExportError(f"exporter {lms!r} has no option {', '.join(unknown)} (it has {', '.join(sorted(known))})")
    for option in exporter.options:
        if option.required and options.get(option.name) is None:
            raise ExportError(f"exporter {lms!r} needs {option.option_flags()[0]}")
        options.setdefault(option.name, option.default)
    return exporter.run(**options)


def _entry_points():
    return metadata.entry_points(group=GROUP)


def _check(name: str, loaded) -> Exporter:
    if callable(loaded) and not hasattr(loaded, "run"):
        loaded = loaded()  # a factory
    for attribute in ("name", "summary", "options", "run"):
        if not hasattr(loaded, attribute):
            raise ExportError(f"exporter {name!r} is not an nngrade Exporter (it has no {attribute!r})")
    return loaded


# -- reading a batch's output ---------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Graded:
    """One student's result in a batch output folder."""

    student_id: str
    document: dict

    @property
    def status(self) -> str:
        return self.document["extra_data"]["status"]

    @property
    def score(self) -> float:
        return self.document["score"]

    @property
    def max_score(self) -> float:
        return self.document["extra_data"]["max_score"]


@dataclasses.dataclass
class BatchResults:
    folder: Path
    assignment: str
    results: dict[str, Graded]
    notes: list[str]

    @property
    def max_score(self) -> float:
        scores = {g.max_score for g in self.results.values()}
        if len(scores) > 1:
            raise ExportError(f"{self.folder}: results were graded against different maximum scores "
                              f"({', '.join(f'{s:g}' for s in sorted(scores))}); regrade the class")
        return scores.pop() if scores else 0.0


def read_batch(folder: Path) -> BatchResults:
    """The results of ``grade batch -o FOLDER``: ``results/*.json`` (each checked against
    result.schema.json), restricted to the students of ``grades.csv`` when it exists (a
    result left by an earlier run in a reused folder is not this class's)."""
    folder = Path(folder)
    results_dir = folder / "results"
    if not results_dir.is_dir():
        raise ExportError(f"{folder}: no results/ folder; is it the output folder of `grade batch -o`?")
    notes: list[str] = []
    current = _grades_csv_ids(folder / "grades.csv")
    assignments = set()
    results: dict[str, Graded] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ExportError(f"{path}: not a result JSON ({exc})") from None
        if not isinstance(document, dict) or "tests" not in document:
            continue  # a file a test attached beside the results
        problems = schema.errors("result", document)
        if problems:
            raise ExportError(f"{path}: does not follow result.schema.json:\n  " + "\n  ".join(problems[:5]))
        student = document["extra_data"].get("student_id", path.stem)
        if current is not None and student not in current:
            notes.append(f"{path.name}: student {student} is not in grades.csv (an earlier run's result); ignored")
            continue
        if student in results:
            raise ExportError(f"{path}: a second result for student {student}")
        assignments.add(document["extra_data"]["assignment"])
        results[student] = Graded(student, document)
    if len(assignments) > 1:
        raise ExportError(f"{folder}: results of several assignments ({', '.join(sorted(assignments))})")
    if not results:
        raise ExportError(f"{folder}: no results to export")
    return BatchResults(folder, assignments.pop(), results, notes)


def _grades_csv_ids(path: Path) -> set[str] | None:
    if not path.is_file():
        return None
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    if not rows or "student_id" not in rows[0]:
        return None
    column = rows[0].index("student_id")
    ids = set()
    for row in rows[1:]:
        if len(row) > column:
            # grades.csv writes an id starting with = + - @ tab or CR with a leading ' (grader.gradebook)
            cell = row[column]
            ids.add(cell[1:] if cell.startswith("'") and cell[1:].startswith(gradebook.FORMULA_STARTS) else cell)
    return ids


def read_csv(path: Path, *, what: str) -> list[list[str]]:
    """Rows of a CSV file exported by an LMS (UTF-8, with or without a byte-order mark)."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"{path}: cannot read the {what} ({exc})") from None
    rows = [row for row in csv.reader(io.StringIO(text, newline=""))]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ExportError(f"{path}: the {what} is empty")
    return rows


def csv_lines(rows: list[list]) -> str:
    """Rows as an LMS's CSV import reads them (CRLF line ends, minimal quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list]) -> None:
    write_atomically(Path(path), csv_lines(rows))


def points(value: float) -> str:
    """A score as an LMS reads it: ``10``, ``7.5`` (never ``1e+02``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def schema_errors(name: str, document: object) -> list[str]:
    """Violations of an exporter's schema, ``format`` keywords checked (see :func:`grader.schema.errors`)."""
    return schema.errors(name, document, formats=True)
