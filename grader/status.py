"""A batch result's status as a TA filters it: graded, the student's submission error, or a grader error.

A result file keeps the status ``result.schema.json`` allows (``graded``,
``submission_error`` when the grader could name the student's problem,
``grader_error``); :func:`status_of` also calls a result whose every item failed
before any check ran, with the submission's problem in its output, a submission
error. ``grades.csv``, ``summary.json``, the report and the feedback pages use it.
"""

from __future__ import annotations

STATUSES = ("graded", "submission_error", "grader_error")
# What the batch appends to a result's output (late penalty, LMS notes) starts with this.
NOTE_PREFIX = "\n\nNote from the batch: "


def status_of(document: dict) -> str:
    """``graded``, ``submission_error`` (nothing could be graded, the student's doing: a missing
    module, a failed import, both .py and .ipynb) or ``grader_error``. A result whose every item
    failed before any check ran, with the submission's problem in its output, is a submission error."""
    status = document["extra_data"]["status"]
    if status == "graded" and document["tests"] \
            and all(t["extra_data"]["checks"] == 0 for t in document["tests"]) \
            and "could not be graded: " in document["output"]:
        return "submission_error"
    return status


def submission_problem(document: dict) -> str:
    """The reason a submission could not be graded (first line of it), from the result's output."""
    text = document["output"].split("could not be graded: ", 1)[-1]
    return text.split(NOTE_PREFIX, 1)[0].splitlines()[0][:300] if text else ""


def with_status(document: dict) -> dict:
    """``document`` with ``extra_data.status`` made :func:`status_of` (a copy; the result file keeps
    the status result.schema.json allows)."""
    status = status_of(document)
    if status == document["extra_data"]["status"]:
        return document
    return {**document, "extra_data": {**document["extra_data"], "status": status}}
