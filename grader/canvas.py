"""Canvas: a gradebook CSV that Canvas's "Import" takes as is, one assignment column only.

The roster is a gradebook exported from Canvas (Grades > Export). The output has
the roster's students, in the roster's order, under the columns Canvas reads to
identify a student (:data:`IDENTITY`), then one column for the assignment, and the
"Points Possible" row. Nothing else of the gradebook is in it, so an import changes
nothing else. A student's batch id is their Canvas user id (the number in the files of
Canvas's "Download Submissions", see :mod:`grader.layout`), which is the gradebook's
``ID`` column; ``--match`` picks another column for other layouts.

A blank score cell leaves Canvas's grade as it is: roster students without a
result, and results that hit a grader error, are left blank (and listed), never 0,
unless ``--missing-zero``. :func:`check_import` checks a file against the import
rules in ``docs/lms.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

from grader import gradebook
from grader.exporter import Exporter, ExportError, Option, Report, points, read_batch, read_csv, write_csv

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
# Canvas's export writes these after the assignments; they are read-only on import.
READ_ONLY = re.compile(r"(Current|Final) (Score|Points|Grade)|Override (Score|Grade)")
ASSIGNMENT_COLUMN = re.compile(r"^(?P<title>.*\S) \((?P<id>\d+)\)$")
NUMBER = re.compile(r"^\d+(\.\d+)?$")
MATCH_COLUMNS = ("ID", "SIS User ID", "SIS Login ID")


def _find_identity(header: list[str], path: Path) -> dict[str, int]:
    columns = {}
    stripped = [cell.strip() for cell in header]
    for name in IDENTITY:
        if name in stripped:
            columns[name] = stripped.index(name)
        elif name != "SIS User ID":  # absent from courses without SIS data
            raise ExportError(f"{path}: no {name!r} column; is it a gradebook exported from Canvas "
                              f"(Grades > Export)? Its columns: {', '.join(stripped[:8])}")
    return columns


def _assignment_column(header: list[str], *, column: str | None, assignment_id: str | None,
                       title: str) -> tuple[str, int | None]:
    """(the output column's title, its index in the roster or None)."""
    stripped = [cell.strip() for cell in header]
    if column:
        return column, stripped.index(column) if column in stripped else None
    candidates = [(i, h) for i, h in enumerate(stripped) if ASSIGNMENT_COLUMN.match(h)]
    if assignment_id:
        found = [(i, h) for i, h in candidates if ASSIGNMENT_COLUMN.match(h)["id"] == assignment_id]
        if not found:
            raise ExportError(f"the roster has no assignment column ending in ({assignment_id})")
        return found[0][1], found[0][0]
    found = [(i, h) for i, h in candidates if ASSIGNMENT_COLUMN.match(h)["title"].casefold() == title.casefold()]
    if len(found) == 1:
        return found[0][1], found[0][0]
    return title, None


def export(*, batch: Path, roster: Path, output: Path, column: str | None = None, assignment_id: str | None = None,
           title: str | None = None, match: str = "ID", missing_zero: bool = False) -> Report:
    """Write ``output`` from the batch folder ``batch`` and the Canvas gradebook export ``roster``."""
    if match not in MATCH_COLUMNS:
        raise ExportError(f"--match must be one of {', '.join(MATCH_COLUMNS)}")
    results = read_batch(batch)
    rows = read_csv(roster, what="Canvas gradebook export")
    header, body = rows[0], rows[1:]
    identity = _find_identity(header, Path(roster))
    if match not in identity:
        raise ExportError(f"{roster}: no {match!r} column to match students by")
    name, _ = _assignment_column(header, column=column, assignment_id=assignment_id,
                                 title=title or results.assignment)
    notes = list(results.notes)
    if not ASSIGNMENT_COLUMN.match(name):
        notes.append(f"column {name!r} has no Canvas assignment id: Canvas creates a new assignment on import; "
                     "give --assignment-id (the number in the assignment's URL) to update an existing one")
    max_score = results.max_score
    out = [[*IDENTITY, name], ["    " + POINTS_POSSIBLE, "", "", "", "", points(max_score)]]
    seen, missing, not_exported = set(), [], []
    for row in body:
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        first = cells[0]
        if first == POINTS_POSSIBLE or (not cells[identity["ID"]] and not cells[identity["SIS Login ID"]]):
            continue  # Canvas's "Points Possible" and posting-policy rows
        key = cells[identity[match]]
        graded = results.results.get(key)
        if graded is None:
            score = "0" if missing_zero else ""
            missing.append(f"{first} ({key})")
        elif graded.status == "grader_error":
            score = ""
            not_exported.append(key)
        else:
            score = points(graded.score)
        seen.add(key)
        out.append([gradebook.csv_text(first), cells[identity["ID"]],
                    cells[identity["SIS User ID"]] if "SIS User ID" in identity else "",
                    cells[identity["SIS Login ID"]], gradebook.csv_text(cells[identity["Section"]]), score])
    if missing:
        notes.append(f"{len(missing)} roster student(s) without a result "
                     f"({'0' if missing_zero else 'left blank: Canvas keeps their grade'}): {', '.join(missing)}")
    if not_exported:
        notes.append(f"{len(not_exported)} result(s) with a grader error left blank (regrade them): "
                     + ", ".join(not_exported))
    unknown = sorted(set(results.results) - seen)
    if unknown:
        notes.append(f"{len(unknown)} result(s) for students not in the roster, not exported: {', '.join(unknown)}")
    write_csv(Path(output), out)
    return Report(Path(output), len(out) - 2, notes)


def check_import(text: str) -> list[str]:
    """Problems of a CSV against the Canvas import rules followed here (``docs/lms.md``); [] if none."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems = []
    if len(rows) < 2:
        return ["fewer than two rows (header and Points Possible)"]
    header = rows[0]
    if tuple(header[:5]) != IDENTITY:
        problems.append(f"the first columns are {header[:5]}, not {list(IDENTITY)}")
    if len(header) != 6:
        problems.append(f"{len(header) - 5} assignment columns, not exactly one")
    if any(READ_ONLY.search(h) for h in header):
        problems.append("a read-only column (a total or a grade) is present")
    if rows[1][0].strip() != POINTS_POSSIBLE or any(c for c in rows[1][1:5]):
        problems.append("the second row is not the Points Possible row")
    elif not NUMBER.match(rows[1][5] if len(rows[1]) > 5 else ""):
        problems.append("Points Possible is not a number")
    ids = set()
    for number, row in enumerate(rows[2:], start=3):
        if len(row) != len(header):
            problems.append(f"row {number}: {len(row)} cells, not {len(header)}")
            continue
        if not (row[1] or row[2] or row[3]):
            problems.append(f"row {number}: no ID, SIS User ID or SIS Login ID to identify the student")
        if row[1] in ids:
            problems.append(f"row {number}: student ID {row[1]} appears twice")
        ids.add(row[1])
        if row[5] and not NUMBER.match(row[5]):
            problems.append(f"row {number}: score {row[5]!r} is not a number")
    return problems


EXPORTER = Exporter(
    name="canvas",
    summary="Canvas gradebook CSV (import as is): the roster's students, one assignment column.",
    options=(
        Option("batch", "Output folder of `grade batch`.", kind="argument", required=True),
        Option("roster", "Gradebook CSV exported from Canvas (Grades > Export).", kind="path", required=True),
        Option("output", "CSV to write.", kind="output", required=True, flags=("-o", "--output")),
        Option("assignment_id", "Canvas assignment id (in its URL); picks the roster column '<title> (<id>)'."),
        Option("column", "Exact title of the assignment column (default: found from the assignment's title)."),
        Option("title", "Assignment title to look for (default: the batch's assignment name)."),
        Option("match", "Roster column equal to the batch's student ids.", kind="choice", default="ID",
               choices=MATCH_COLUMNS),
        Option("missing_zero", "Write 0 (not blank) for roster students without a result.", kind="flag",
               default=False),
    ),
    run=export,
)
