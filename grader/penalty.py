"""Late penalties from the course configuration (``course.json``, see course.schema.json).

A *day late* is any started 24 hours after the due time: 1 minute late is 1 day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

from grader import schema
from grader.failure import GraderError

CONFIG_NAME = "course.json"


@dataclasses.dataclass(frozen=True)
class Policy:
    due: dt.datetime
    kind: str  # "none", "percent_per_day" or "zero_after_cutoff"
    percent_per_day: float = 0.0
    max_percent: float = 0.0
    cutoff: dt.datetime | None = None

    def assess(self, submitted_at: dt.datetime | None, raw_score: float) -> dict:
        """The ``late`` record of a result: times, days late, penalty; final = raw - penalty."""
        record = {"due": self.due.isoformat(), "policy": self.kind, "raw_score": raw_score,
                  "submitted_at": submitted_at.isoformat() if submitted_at else None,
                  "days_late": 0, "penalty_percent": 0.0, "penalty_points": 0.0}
        if submitted_at is None or submitted_at <= self.due:
            return record
        days = math.ceil((submitted_at - self.due).total_seconds() / 86400)
        record["days_late"] = days
        if self.kind == "percent_per_day":
            record["penalty_percent"] = float(min(self.max_percent, days * self.percent_per_day))
        elif self.kind == "zero_after_cutoff" and self.cutoff is not None and submitted_at > self.cutoff:
            record["penalty_percent"] = 100.0
        record["penalty_points"] = round(raw_score * record["penalty_percent"] / 100, 6)
        return record


def _time(text: str, where: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GraderError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise GraderError(f"{where}: {text!r} has no UTC offset (write e.g. 2026-12-01T23:59:00+00:00)")
    return value


def load(root: Path, assignment: str) -> Policy | None:
    """The late policy of ``assignment`` from ``<root>/course.json``, or None if it has none."""
    path = Path(root) / CONFIG_NAME
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"{path}: cannot be read: {exc}") from None
    problems = schema.errors("course", document)
    if problems:
        raise GraderError(f"{path}: does not follow course.schema.json:\n  " + "\n  ".join(problems))
    entry = document.get("assignments", {}).get(assignment)
    if entry is None:
        return None
    pointer = f"{path}: /assignments/{assignment}"
    rule = entry["late_policy"]
    return Policy(due=_time(entry["due"], pointer + "/due"), kind=rule["kind"],
                  percent_per_day=rule.get("percent_per_day", 0.0), max_percent=rule.get("max_percent", 0.0),
                  cutoff=_time(rule["cutoff"], pointer + "/late_policy/cutoff") if "cutoff" in rule else None)
