"""LTI Advantage: one Assignment and Grade Services score object per student, as JSON lines.

Each line is the body a tool POSTs to the line item's ``/scores`` endpoint
(``application/vnd.ims.lis.v1.score+json``): ``userId``, ``scoreGiven``,
``scoreMaximum``, ``comment``, ``timestamp``, ``activityProgress: "Completed"`` and
``gradingProgress: "FullyGraded"``, or ``"Failed"`` without ``scoreGiven`` for a
result that hit a grader error. Sending them needs the course's LTI credentials
(an OAuth2 token for the ``score`` scope) and is not done here. The batch's student
id is the LTI user id, unless ``--users`` maps ids (a CSV with ``student_id`` and
``user_id`` columns). Every line is checked against
``grader/schemas/lti-ags-score.schema.json`` before the file is written.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from grader.exporter import Exporter, ExportError, Option, Report, read_batch, read_csv, schema_errors
from grader.storage import write_atomically

SCHEMA = "lti-ags-score"
# Why: a comment is a short note shown in the gradebook, not the full feedback.
COMMENT_CHARS = 1000


def score(*, user_id: str, document: dict, timestamp: str) -> dict:
    """The AGS score object of one result."""
    extra = document["extra_data"]
    comment = document["output"][:COMMENT_CHARS]
    body = {"userId": user_id, "scoreMaximum": extra["max_score"], "comment": comment, "timestamp": timestamp,
            "activityProgress": "Completed"}
    if extra["status"] == "grader_error":
        body["gradingProgress"] = "Failed"
    else:
        body["scoreGiven"] = document["score"]
        body["gradingProgress"] = "FullyGraded"
    return body


def now() -> str:
    """The current time as AGS wants it: ISO 8601, milliseconds, UTC offset."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def export(*, batch: Path, output: Path, users: Path | None = None, timestamp: str | None = None) -> Report:
    results = read_batch(batch)
    mapping = _users(users) if users is not None else None
    stamp = timestamp or now()
    lines, notes = [], list(results.notes)
    for student_id, graded in sorted(results.results.items()):
        user_id = mapping.get(student_id) if mapping is not None else student_id
        if not user_id:
            notes.append(f"{student_id}: not in {users}; no score written")
            continue
        body = score(user_id=user_id, document=graded.document, timestamp=stamp)
        problems = schema_errors(SCHEMA, body)
        if problems:
            raise ExportError(f"the score of {student_id} does not follow {SCHEMA}.schema.json:\n  "
                              + "\n  ".join(problems))
        lines.append(json.dumps(body, ensure_ascii=False, allow_nan=False))
    failed = sum(1 for line in lines if '"gradingProgress": "Failed"' in line)
    if failed:
        notes.append(f"{failed} score(s) are gradingProgress Failed (a grader error): the platform ignores them; "
                     "regrade those students")
    write_atomically(Path(output), "".join(line + "\n" for line in lines))
    return Report(Path(output), len(lines), notes)


def _users(path: Path) -> dict[str, str]:
    rows = read_csv(path, what="user map")
    header = [c.strip() for c in rows[0]]
    if "student_id" not in header or "user_id" not in header:
        raise ExportError(f"{path}: needs the columns student_id and user_id (found {', '.join(header)})")
    sid, uid = header.index("student_id"), header.index("user_id")
    return {row[sid].strip(): row[uid].strip() for row in rows[1:] if len(row) > max(sid, uid)}


def check_lines(text: str) -> list[str]:
    """Every problem of a JSON-lines file of scores; [] if none."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            body = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        problems += [f"line {number}: {p}" for p in schema_errors(SCHEMA, body)]
    return problems


EXPORTER = Exporter(
    name="lti-ags",
    summary="LTI Advantage AGS score objects, one JSON line per student (to POST to the line item's /scores).",
    options=(
        Option("batch", "Output folder of `grade batch`.", kind="argument", required=True),
        Option("output", "JSON-lines file to write.", kind="output", required=True, flags=("-o", "--output")),
        Option("users", "CSV mapping student_id to user_id (the LTI user id); default: they are equal.", kind="path"),
        Option("timestamp", "ISO 8601 time of the scores (default: now)."),
    ),
    run=export,
)
