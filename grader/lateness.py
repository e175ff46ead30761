"""A batch result made the student's: their id, the LMS's notes and the course's late policy.

The raw score is kept in ``extra_data.late.raw_score`` and the policy is applied
anew whenever a result is recorded (a result reused by ``--resume`` too); notes
are appended to the result's output after :data:`grader.status.NOTE_PREFIX`.
"""

from __future__ import annotations

import json

from grader import layout, penalty, terminal
from grader.status import NOTE_PREFIX


def submission_time(entry: layout.Entry, policy: penalty.Policy, layout_name: str) -> tuple:
    """(the time the late policy is applied to, a note for the student's result or "").

    A Canvas folder's times are file modification times, which copying replaces with the
    copy's time: there Canvas's own ``LATE`` marker decides whether the submission is late,
    and the file time only how late.
    """
    when = entry.submitted_at
    if layout_name != "canvas" or entry.time_source != "file":
        return when, ""
    shown = when.isoformat() if when else "none"
    if not entry.marked_late:
        if when is not None and when > policy.due:
            return None, (f"Canvas did not mark this submission late; its file time ({shown}, after the due "
                          "time: probably when the file was copied) is ignored")
        return when, ""
    if when is None or when <= policy.due:
        return None, (f"Canvas marked this submission LATE but its file time ({shown}) is not after the due "
                      "time: no penalty charged; the course staff should check it")
    return when, f"days late counted from the file's modification time ({shown}), as Canvas marked it LATE"


def finish(document: dict, entry: layout.Entry, policy: penalty.Policy | None, layout_name: str = "") -> dict:
    """Add the student id and notes, apply the late policy (raw score kept in extra_data.late)."""
    extra = document["extra_data"]
    extra["student_id"] = entry.student_id
    extra["marked_late"] = entry.marked_late
    document["output"] = document["output"].split(NOTE_PREFIX, 1)[0]  # a reused result: notes anew
    notes = list(entry.notes)
    raw = extra["late"]["raw_score"] if "late" in extra else document["score"]
    if policy is not None:
        when, note = submission_time(entry, policy, layout_name)
        if note:
            notes.append(note)
        extra["late"] = policy.assess(when, raw)
        document["score"] = round(max(0.0, raw - extra["late"]["penalty_points"]), 6)
        if extra["late"]["penalty_percent"]:
            notes.append(f"late by {extra['late']['days_late']} day(s) (submitted {extra['late']['submitted_at']}, "
                         f"due {extra['late']['due']}): {extra['late']['penalty_percent']:g}% of "
                         f"{raw:g} points, {extra['late']['penalty_points']:g} points, deducted")
    else:
        extra.pop("late", None)
        document["score"] = raw
    for note in notes:
        document["output"] += NOTE_PREFIX + note
    return document


def member(document: dict, primary: str) -> dict:
    """A copy of a group submission's result for another submitter."""
    copy = json.loads(json.dumps(document))
    copy["output"] = copy["output"].split(NOTE_PREFIX, 1)[0]
    copy["extra_data"].pop("late", None)
    copy["score"] = document["extra_data"]["late"]["raw_score"] if "late" in document["extra_data"] \
        else document["score"]
    return copy


def time_warnings(batch: layout.Batch, policy: penalty.Policy | None) -> list[str]:
    """What the summary must say loudly about the times a late policy is applied to."""
    if policy is None or policy.kind == "none":
        return []
    warnings = []
    from_files = [e for e in batch.entries if e.time_source == "file"]
    if from_files:
        warnings.append(
            f"LATE PENALTIES FROM FILE TIMES: {len(from_files)} submission(s) have no time but their files' "
            "modification times, which copying (cp without -p, a sync tool, an unzip that drops dates) replaces "
            "with the time of the copy. Canvas's LATE marker still decides who is late, but how many days late "
            "may be wrong: grade the LMS's zip itself, which keeps each file's date.")
    if not any(e.submitted_at for e in batch.entries):
        warnings.append(f"NO SUBMISSION TIMES: the {batch.layout} layout records none, so the late policy of "
                        "course.json charged nobody.")
    disagree = [e.student_id for e in batch.entries if e.time_source == "zip" and e.submitted_at is not None
                and (e.submitted_at > policy.due) != e.marked_late]
    if disagree:
        warnings.append(f"CANVAS'S LATE MARKER AND THE ZIP'S DATES DISAGREE for {len(disagree)} student(s) "
                        f"({', '.join(map(terminal.clean, disagree[:10]))}): penalties follow the zip's dates, "
                        "read as UTC, against course.json's due time; check the due time in both places.")
    return warnings
