"""The batch's tables: ``grades.csv``, ``summary.json`` and ``changes.csv``.

CSV files are opened in spreadsheets, and student ids and file names are chosen
by students: every text cell is written by :func:`csv_rows`, which keeps it from
being run as a formula. ``summary.json`` keeps ids exactly (JSON is not run).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

from grader.course import Assignment
from grader.rubric import Rubric
from grader.storage import write_atomically

# Why ten bins: one per 10% of the maximum reads at a glance in the report.
HISTOGRAM_BINS = 10


# Why: a spreadsheet runs a cell starting with one of these as a formula
# (=HYPERLINK(...), +cmd|..., -1+1, @SUM(...)); a tab or carriage return can
# hide such a start (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: object) -> str:
    """A text cell (an id, a file name, a status) that a spreadsheet shows as text, never runs.

    A cell starting with ``= + - @``, a tab or a carriage return gets a leading
    ``'``, which spreadsheets read as "this is text" (OWASP's advice for CSV
    injection). Numbers are not text: they are written as numbers by :func:`csv_rows`.
    """
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Number(float):
    """A number cell, written as ``:g`` writes it (``100``, ``93.5``, ``-5``), never quoted."""

    def __str__(self) -> str:
        return f"{float(self):g}"


def csv_rows(rows: list[list]) -> str:
    """CSV of ``rows``: int and float cells are numbers (a negative score stays ``-5``), every
    other cell is text made safe by :func:`csv_text` and always quoted (so a carriage
    return inside an id cannot start a row). Every CSV the batch writes goes through this.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerows([[_Number(cell) if isinstance(cell, (int, float)) and not isinstance(cell, bool)
                       else csv_text(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def item_scores(document: dict) -> dict[str, float]:
    return {t["extra_data"]["item"]: t["score"] for t in document["tests"]}


def write_grades(path: Path, rubric: Rubric, documents: list[dict]) -> None:
    """One row per student: id, final score, max, raw score, late penalty, status, per-item scores."""
    items = [item.id for item in rubric.items]
    rows = [["student_id", "score", "max_score", "raw_score", "late_penalty", "days_late", "status",
             "submission", *items]]
    for document in documents:
        extra = document["extra_data"]
        late = extra.get("late") or {}
        scores = item_scores(document)
        rows.append([extra.get("student_id", ""), document["score"], extra["max_score"],
                     late.get("raw_score", document["score"]), late.get("penalty_points", 0),
                     late.get("days_late", 0), extra["status"], extra.get("submission", ""),
                     *[scores.get(i, 0) for i in items]])
    write_atomically(path, csv_rows(rows))


def summarize(assignment: Assignment, documents: list[dict], summary) -> dict:
    """Per-item pass rates, score distribution and timings of a batch."""
    max_score = assignment.rubric.max_score
    scores = [d["score"] for d in documents]
    bins = [0] * HISTOGRAM_BINS
    for score in scores:
        fraction = score / max_score if max_score else 0.0
        bins[min(HISTOGRAM_BINS - 1, int(fraction * HISTOGRAM_BINS))] += 1
    items = []
    for item in assignment.rubric.items:
        outcomes = [next(t for t in d["tests"] if t["extra_data"]["item"] == item.id)["extra_data"]["outcome"]
                    for d in documents]
        items.append({"id": item.id, "title": item.title, "points": item.points,
                      "passed": outcomes.count("passed"), "failed": outcomes.count("failed"),
                      "grader_errors": outcomes.count("grader_error"),
                      "pass_rate": outcomes.count("passed") / len(outcomes) if outcomes else 0.0})
    times = [d["execution_time"] for d in documents]
    problems = []
    for d in documents:
        extra = d["extra_data"]
        if extra["status"] == "grader_error" or extra.get("worker_timeouts", 0):
            problems.append({"student_id": extra.get("student_id", ""),
                             "kind": "grader_error" if extra["status"] == "grader_error" else "timeout",
                             "detail": (extra["grader_errors"][0].splitlines()[0] if extra["grader_errors"]
                                        else f"{extra.get('worker_timeouts', 0)} call(s) timed out")})
    return {
        "schema_version": 1,
        "assignment": assignment.name,
        "rubric_sha256": assignment.rubric_sha256(),
        "layout": summary.layout,
        "students": len(documents),
        "graded_now": summary.graded,
        "unchanged": summary.reused,
        "grader_errors": summary.grader_errors,
        "timeouts": summary.timeouts,
        "max_score": max_score,
        "score": {"mean": statistics.fmean(scores) if scores else 0.0,
                  "median": statistics.median(scores) if scores else 0.0,
                  "min": min(scores, default=0.0), "max": max(scores, default=0.0),
                  "histogram": {"bins": HISTOGRAM_BINS, "bin_width": max_score / HISTOGRAM_BINS, "counts": bins}},
        "items": items,
        "timings": {"median_seconds": statistics.median(times) if times else 0.0,
                    "max_seconds": max(times, default=0.0), "total_seconds": sum(times)},
        "problems": problems,
        "notes": summary.notes,
    }


def write_summary(path: Path, assignment: Assignment, documents: list[dict], summary) -> None:
    write_atomically(path, json.dumps(summarize(assignment, documents, summary), indent=2, allow_nan=False) + "\n")


def write_changes(path: Path, previous: dict[str, dict], documents: dict[str, dict]) -> None:
    """Every student regraded over an older result: old and new score, and the items that changed."""
    rows = [["student_id", "old_score", "new_score", "items_changed"]]
    for student_id in sorted(previous):
        if student_id not in documents:
            continue
        old, new = previous[student_id], documents[student_id]
        old_items, new_items = item_scores(old), item_scores(new)
        changed = sorted(i for i in set(old_items) | set(new_items) if old_items.get(i) != new_items.get(i))
        rows.append([student_id, old["score"], new["score"], " ".join(changed)])
    write_atomically(path, csv_rows(rows))
