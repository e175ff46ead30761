"""Moodle: a CSV for the gradebook's "Import > CSV file", one grade item.

Moodle's import asks, on its preview page, which CSV column identifies the user
("Map from") and which user field it holds ("Map to": ``userid``, ``useridnumber``
or ``useremail``), then which column holds the grade item's grades. The CSV written
here has exactly one identifier column, named as Moodle's own exports name it
(:data:`IDENTIFIERS`), the participant's first and last name (for reading; map them to
nothing), and one grade column. Participants come from a Moodle participants export
(Participants > select all > "Download table data as" CSV, or a grade export), whose
columns give the names and the identifier; a batch student id is matched against the
column ``--match`` (default: the identifier's own column).

Only students with a result are written: a participant without one, or whose result
hit a grader error, has no row (Moodle keeps their grade) and is listed.
:func:`check_import` parses the CSV and checks it against
``grader/schemas/moodle-grades.schema.json``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from grader.exporter import (Exporter, ExportError, Option, Report, csv_lines, points, read_batch, read_csv,
                             schema_errors)
from grader.storage import write_atomically

# Moodle's "Map to" field -> the column title written (Moodle's own export titles).
IDENTIFIERS = {"useremail": "Email address", "useridnumber": "ID number", "userid": "User ID"}
CHOICES = {"email": "useremail", "idnumber": "useridnumber", "userid": "userid"}
# Column titles a participants export may use, per field (Moodle versions and languages differ little here).
ALIASES = {
    "first": ("first name", "firstname"),
    "last": ("last name", "lastname", "surname"),
    "useremail": ("email address", "email"),
    "useridnumber": ("id number", "idnumber"),
    "userid": ("user id", "userid", "id"),
}
SCHEMA = "moodle-grades"


def _columns(header: list[str], path: Path) -> dict[str, int]:
    folded = [cell.strip().casefold() for cell in header]
    found = {}
    for field, names in ALIASES.items():
        for name in names:
            if name in folded:
                found[field] = folded.index(name)
                break
    if "first" not in found or "last" not in found:
        raise ExportError(f"{path}: no 'First name' and 'Last name' columns; is it a Moodle participants "
                          f"export? Its columns: {', '.join(header[:8])}")
    return found


def export(*, batch: Path, participants: Path, output: Path, identifier: str = "email", match: str | None = None,
           item: str | None = None, missing_zero: bool = False) -> Report:
    """Write the Moodle grade import CSV ``output``."""
    if identifier not in CHOICES:
        raise ExportError(f"--identifier must be one of {', '.join(CHOICES)}")
    field = CHOICES[identifier]
    match_field = CHOICES[match] if match else field
    results = read_batch(batch)
    rows = read_csv(participants, what="Moodle participants export")
    columns = _columns(rows[0], Path(participants))
    for needed in {field, match_field}:
        if needed not in columns:
            raise ExportError(f"{participants}: no {IDENTIFIERS[needed]!r} column (needed for --identifier/--match)")
    item = item or results.assignment
    out = [[IDENTIFIERS[field], "First name", "Last name", item]]
    notes, missing, broken, seen = list(results.notes), [], [], set()
    for row in rows[1:]:
        cells = [c.strip() for c in row] + [""] * (len(rows[0]) - len(row))
        key, ident = cells[columns[match_field]], cells[columns[field]]
        who = f"{cells[columns['first']]} {cells[columns['last']]} ({key or 'no ' + IDENTIFIERS[match_field]})"
        if not ident:
            notes.append(f"{who}: no {IDENTIFIERS[field]} in the participants export; not exported")
            continue
        graded = results.results.get(key)
        seen.add(key)
        if graded is None:
            missing.append(who)
            if not missing_zero:
                continue
            grade = "0"
        elif graded.status == "grader_error":
            broken.append(who)
            continue
        else:
            grade = points(graded.score)
        out.append([ident, cells[columns["first"]], cells[columns["last"]], grade])
    if missing:
        notes.append(f"{len(missing)} participant(s) without a result "
                     f"({'given 0' if missing_zero else 'no row: Moodle keeps their grade'}): {', '.join(missing)}")
    if broken:
        notes.append(f"{len(broken)} result(s) with a grader error not exported (regrade them): {', '.join(broken)}")
    unknown = sorted(set(results.results) - seen)
    if unknown:
        notes.append(f"{len(unknown)} result(s) for students not among the participants: {', '.join(unknown)}")
    text = csv_lines(out)
    problems = check_import(text, identifier=field)
    if problems:  # a bug of ours, or participants data Moodle would refuse
        raise ExportError("the Moodle CSV would not import:\n  " + "\n  ".join(problems))
    write_atomically(Path(output), text)
    notes.insert(0, f"in Moodle, map from {IDENTIFIERS[field]!r} to {field!r} and {item!r} to the grade item")
    return Report(Path(output), len(out) - 1, notes)


def parse(text: str) -> dict:
    """The CSV as the document ``moodle-grades.schema.json`` describes."""
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    if not rows:
        return {"columns": [], "rows": []}
    header = rows[0]
    return {"columns": header,
            "rows": [{"identifier": r[0] if r else "", "first_name": r[1] if len(r) > 1 else "",
                      "last_name": r[2] if len(r) > 2 else "",
                      "grade": _number(r[3]) if len(r) > 3 else None, "cells": len(r)} for r in rows[1:]]}


def _number(cell: str):
    return float(cell) if re.fullmatch(r"\d+(\.\d+)?", cell) else cell


def check_import(text: str, *, identifier: str) -> list[str]:
    """Every problem of a Moodle grade import CSV whose identifier maps to ``identifier``; [] if none."""
    document = parse(text)
    problems = schema_errors(SCHEMA, {"identifier": identifier, **document})
    seen = set()
    for number, row in enumerate(document["rows"], start=2):
        if row["identifier"] in seen:
            problems.append(f"row {number}: {row['identifier']!r} appears twice")
        seen.add(row["identifier"])
    return problems


EXPORTER = Exporter(
    name="moodle",
    summary="Moodle grade import CSV: one identifier column (email, ID number or user id), one grade item.",
    options=(
        Option("batch", "Output folder of `grade batch`.", kind="argument", required=True),
        Option("participants", "Moodle participants export (CSV).", kind="path", required=True),
        Option("output", "CSV to write.", kind="output", required=True, flags=("-o", "--output")),
        Option("identifier", "User field Moodle maps the identifier column to.", kind="choice", default="email",
               choices=tuple(CHOICES)),
        Option("match", "Participants field equal to the batch's student ids (default: the identifier).",
               kind="choice", choices=tuple(CHOICES)),
        Option("item", "Title of the grade column (default: the batch's assignment name)."),
        Option("missing_zero", "Write 0 for participants without a result (default: no row).", kind="flag",
               default=False),
    ),
    run=export,
)
