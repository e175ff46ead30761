"""The result document of one graded submission: built, validated, written atomically.

Its shape is Gradescope's ``results.json`` (``score``, ``execution_time``,
``output``, ``tests[]``) with provenance in ``extra_data``; see
``grader/schemas/result.schema.json``. Every text is plain text
(``output_format``/``name_format`` ``"text"``): feedback quotes student source,
which Gradescope must never render as HTML or Markdown. The rubric may give
Gradescope's optional ``tags`` per item and a top-level ``visibility`` and
``stdout_visibility``; they are copied when present.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from grader import __version__, schema
from grader.rubric import Rubric
from grader.storage import write_atomically


@dataclasses.dataclass
class Outcome:
    """What happened to one test."""

    nodeid: str
    item: str | None
    status: str  # "passed", "failed" (student's fault) or "grader_error"
    message: str = ""
    printed: str = ""


# Why: three distinct failures say what is wrong; more bury the first one.
MAX_MESSAGES = 3
GRADER_ERROR_NOTE = "GRADER ERROR (not your fault; the course staff will look at it)"
SCHEMA_VERSION = 2
TEXT = "text"  # Gradescope's output format that shows text as is
DEFAULT_VISIBILITY, DEFAULT_STDOUT_VISIBILITY = "visible", "hidden"


def _rubric_options(rubric: Rubric) -> dict:
    """Optional Gradescope settings of the rubric JSON (``visibility``, ``stdout_visibility``,
    ``tags`` per item id); {} when it has none or is not JSON (a rubric built in a test)."""
    try:
        document = json.loads(rubric.raw or b"{}")
    except ValueError:
        return {}
    if not isinstance(document, dict):
        return {}
    items = document.get("items") if isinstance(document.get("items"), list) else []
    tags = {entry["id"]: list(entry["tags"]) for entry in items
            if isinstance(entry, dict) and isinstance(entry.get("tags"), list) and "id" in entry}
    return {"visibility": document.get("visibility"), "stdout_visibility": document.get("stdout_visibility"),
            "tags": tags}


def build(*, rubric: Rubric, outcomes: list[Outcome], provenance: dict, execution_time: float,
          submission_problem: str = "", grader_errors: list[str] = ()) -> dict:
    """The result document. ``submission_problem`` zeroes every item with that message."""
    grader_errors = list(grader_errors)
    options = _rubric_options(rubric)
    tests = []
    for number, item in enumerate(rubric.items, start=1):
        mine = [o for o in outcomes if o.item == item.id]
        failed = [o for o in mine if o.status == "failed"]
        broken = [o for o in mine if o.status == "grader_error"]
        if submission_problem:
            outcome, lines = "failed", [submission_problem]
        elif failed:
            outcome = "failed"
            lines = []
            # The same message from several checks is said once, with a count.
            distinct = list(dict.fromkeys(o.message for o in failed))
            for message in distinct[:MAX_MESSAGES]:
                same = [o for o in failed if o.message == message]
                lines.append(message + (f"\n    (in {len(same)} of {len(mine)} checks)" if len(same) > 1 else ""))
                printed = next((o.printed for o in same if o.printed), "")
                if printed:
                    lines.append(f"    your code printed: {printed}")
            if len(distinct) > MAX_MESSAGES:
                lines.append(f"... and {len(distinct) - MAX_MESSAGES} more failing checks like these")
        elif broken or not mine:
            outcome = "grader_error"
            lines = [GRADER_ERROR_NOTE]
            if not mine:
                grader_errors.append(f"item {item.id!r}: no test ran for it")
        else:
            outcome = "passed"
            lines = [f"all {len(mine)} checks passed"]
        passed_count = sum(o.status == "passed" for o in mine)
        test = {
            "name": item.title,
            "name_format": TEXT,
            "number": str(number),
            "score": item.points if outcome == "passed" else 0,
            "max_score": item.points,
            "status": "passed" if outcome == "passed" else "failed",
            "output": "\n".join(lines),
            "output_format": TEXT,
            "visibility": item.visibility,
            "extra_data": {"item": item.id, "outcome": outcome, "checks": len(mine),
                           "checks_passed": passed_count},
        }
        if options.get("tags", {}).get(item.id):
            test["tags"] = options["tags"][item.id]
        tests.append(test)
    for o in outcomes:
        if o.status == "grader_error":
            grader_errors.append(o.message)
    score = sum(t["score"] for t in tests)
    # submission_error: nothing could be graded, and that is the student's doing (the reason is in output).
    status = "grader_error" if grader_errors else ("submission_error" if submission_problem else "graded")
    summary = f"{_points(score)}/{_points(rubric.max_score)} points"
    if submission_problem:
        summary += f". Your submission could not be graded: {submission_problem}"
    if status == "grader_error":
        summary += f". {GRADER_ERROR_NOTE}: some items could not be graded."
    return {
        "score": score,
        "execution_time": round(execution_time, 3),
        "output": summary,
        "output_format": TEXT,
        "visibility": options.get("visibility") or DEFAULT_VISIBILITY,
        "stdout_visibility": options.get("stdout_visibility") or DEFAULT_STDOUT_VISIBILITY,
        "tests": tests,
        "extra_data": {"schema_version": SCHEMA_VERSION, "status": status, "max_score": rubric.max_score,
                       "grader_version": __version__, "grader_errors": grader_errors, **provenance},
    }


def _points(value: float) -> str:
    return f"{value:g}"


def validate(document: dict) -> None:
    """Raise ValueError listing every schema violation (a grader bug if it ever fires)."""
    problems = schema.errors("result", document)
    if problems:
        raise ValueError("result does not follow result.schema.json:\n  " + "\n  ".join(problems))


def write(path: Path, document: dict) -> None:
    """Validate, then write atomically (see :func:`grader.storage.write_atomically`)."""
    validate(document)
    write_atomically(Path(path), json.dumps(document, indent=2, allow_nan=False) + "\n")
