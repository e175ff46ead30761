"""Batch grading: every student of an LMS download, in parallel, crash-safe and resumable.

Trusted side. Each submission is graded in a separate grader process (a local
process pool or Dask workers: :mod:`grader.runner`), which itself runs the
student's code in a sandboxed worker as ``grade run`` does. Only this module's
main process writes files:

``OUTDIR/results/<student>.json``  one result per student, written atomically as soon as it is graded
``OUTDIR/grades.csv``              the gradebook
``OUTDIR/summary.json``            pass rates, score distribution, timings
``OUTDIR/report.html``             the class report (see :mod:`grader.report`)
``OUTDIR/changes.csv``             after ``--resume``: old and new score of every regraded student
``OUTDIR/resume/<student>.json``   the resume key each result was graded under (:mod:`grader.resume`)
``OUTDIR/feedback/<student>.html`` with ``feedback``: the student's feedback page (:mod:`grader.feedbackpage`)

With ``--resume`` a student is skipped iff their result exists, was graded
without grader error and was graded under the same resume key (submission,
rubric and tests, grader version, limits, sandbox, course secret:
:mod:`grader.resume`); anything else is regraded, and listed in ``changes.csv``
when an older result existed. The student's late penalty is applied anew either
way (:mod:`grader.lateness`), and feedback pages are written for every student,
reused or not.

Statuses. Each student is ``graded``, ``submission_error`` (:func:`status_of`: nothing could be
graded, the student's doing) or ``grader_error``; ``grades.csv``, ``summary.json``, the report and
the feedback pages use that status, and the last line counts each. Without ``resume`` an output
folder that holds anything is refused (:class:`OutputInUse`) unless ``force``; a download with no
submission is refused before anything is written; more than :data:`MAX_UNMATCHED_SHARE` of skipped
entries makes :attr:`Summary.incomplete` true (the CLI exits 1). A feedback page that cannot be
written is a warning of the summary, never a stopped batch.

Printing. Student ids are kept exactly in the results and ``summary.json``;
what is printed (``on_progress``'s id, notes, :meth:`Summary.line`) is made
printable by :func:`grader.terminal.clean`, and CSV cells are kept from running
as formulas by :func:`grader.gradebook.csv_rows`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

from grader import course, lateness, layout, penalty, terminal
from grader.error import UsageError
from grader.limits import Limits
from grader.resume import document_sha256, resume_key, reusable, save, secret_fingerprint  # noqa: F401 (API)
from grader.runner import ATTEMPTS, DaskRunner, Job, LocalRunner, execute, grade_job  # noqa: F401 (API)
from grader.status import NOTE_PREFIX, STATUSES, status_of, submission_problem, with_status  # noqa: F401 (API)
from grader.storage import write_atomically
from grader.submission import sha256_of

SECRET_ENV = "NNGRADE_COURSE_SECRET"


# Why 10%: an LMS download holds only submissions, so an entry that matches no student is a
# stray file someone added or a sign that the layout was misread (metadata of another
# assignment, a renamed export). One stray file in a small class stays under it; beyond one
# in ten, students are probably missing from the grades, so the batch says so and exits non-zero.
MAX_UNMATCHED_SHARE = 0.10


class OutputInUse(UsageError):
    """The output folder holds files and neither ``resume`` nor ``force`` was given."""


@dataclasses.dataclass
class Summary:
    layout: str
    total: int  # students, every submitter of a group submission counted
    entries: int = 0  # submissions found in the download (one per group submission)
    graded: int = 0  # graded in this run (not reused); by status: ``statuses``
    reused: int = 0
    grader_errors: int = 0
    timeouts: int = 0
    mean_score: float = 0.0
    max_score: float = 0.0
    notes: list = dataclasses.field(default_factory=list)
    statuses: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    late_students: int = 0  # charged a late penalty (penalty_percent > 0)
    late_points: float = 0.0
    skipped: list = dataclasses.field(default_factory=list)  # [(entry, why)]
    warnings: list = dataclasses.field(default_factory=list)  # said loudly: penalties that may be wrong

    @property
    def submission_errors(self) -> int:
        return self.statuses["submission_error"]

    @property
    def unmatched_share(self) -> float:
        entries = self.entries + len(self.skipped)
        return len(self.skipped) / entries if entries else 0.0

    @property
    def incomplete(self) -> bool:
        """More than MAX_UNMATCHED_SHARE of the download's entries matched no student."""
        return self.unmatched_share > MAX_UNMATCHED_SHARE

    def line(self) -> str:
        """The one-line summary the CLI prints (printable whatever the layout said)."""
        counts = self.statuses
        return terminal.clean(
            f"{self.total} students ({self.layout} layout): {counts['graded']} graded, "
            f"{counts['submission_error']} submission errors, {counts['grader_error']} grader errors "
            f"({self.graded} graded now, {self.reused} unchanged from before); {self.timeouts} with timeouts; "
            f"{self.late_students} charged a late penalty ({self.late_points:g} points in total); "
            f"{len(self.skipped)} entries skipped; mean score {self.mean_score:.1f}/{self.max_score:g}")

    def incomplete_line(self) -> str:
        return (f"incomplete: {len(self.skipped)} of {self.entries + len(self.skipped)} entries "
                f"({100 * self.unmatched_share:.0f}%) matched no student, more than the "
                f"{100 * MAX_UNMATCHED_SHARE:.0f}% allowed: check the layout and the skipped entries above")


def student_seed(secret: bytes, assignment: str, student_id: str) -> int:
    """A student's seed: HMAC of the assignment and student id under the course secret.

    Students do not all see the same hidden inputs, cannot predict theirs without
    the secret, and a regrade reproduces them.
    """
    digest = hmac.new(secret, f"{assignment}\0{student_id}".encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def read_secret(secret_file: Path | None) -> bytes | None:
    """The course secret from ``secret_file`` or $NNGRADE_COURSE_SECRET; None if neither is set."""
    if secret_file is not None:
        return Path(secret_file).read_bytes().strip()
    value = os.environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else None


# Why: names Windows keeps for devices whatever the extension (CON.json is the console).
_RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                   *(f"LPT{i}" for i in range(1, 10))}


def result_name(student_id: str, *, full_hash: bool = False) -> str:
    """A file name for a student id: readable and safe.

    Only ``A-Z a-z 0-9 . _ -`` are kept, never a leading dot (hidden file, ``..``)
    or dash (read as an option by ``rm *``), never a Windows device name; an id
    that needed any change gets a hash of the exact id appended (the whole hash
    with ``full_hash``). Names of a whole class are made distinct by :func:`result_names`.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", student_id)[:80].lstrip(".-") or "student"
    if full_hash or safe != student_id or safe.split(".")[0].upper() in _RESERVED_NAMES:
        digest = hashlib.sha256(student_id.encode("utf-8")).hexdigest()
        safe += "-" + (digest if full_hash else digest[:8])
    return safe + ".json"


def result_names(student_ids: list[str]) -> dict[str, str]:
    """{student id: result file name}, distinct even on a case-insensitive filesystem.

    Ids whose :func:`result_name` clash (``Bob`` and ``bob`` on macOS, or a crafted
    id whose short hash matches another's) get the whole hash instead, so no
    student's result can overwrite another's.
    """
    names = {sid: result_name(sid) for sid in student_ids}
    for _ in range(2):
        owners: dict[str, list[str]] = {}
        for sid, name in names.items():
            owners.setdefault(name.casefold(), []).append(sid)
        clashing = [sid for sids in owners.values() if len(sids) > 1 for sid in sids]
        if not clashing:
            return names
        names.update({sid: result_name(sid, full_hash=True) for sid in clashing})
    raise layout.LayoutError("student ids " + ", ".join(terminal.clean(repr(sid)) for sid in clashing)
                             + " cannot be given distinct result files")


_OWNED_FILES = ("grades.csv", "summary.json", "report.html", "changes.csv")
_OWNED_FOLDERS = ("results", "resume", "feedback")


def _prepare_outdir(outdir: Path, *, resume: bool, force: bool) -> list[str]:
    """Refuse an output folder in use unless ``resume`` or ``force``; with ``force``, remove the
    batch outputs it holds (never anything else). Returns notes on what was removed."""
    if resume or not outdir.is_dir() or not any(outdir.iterdir()):
        return []
    owned = [outdir / name for name in (*_OWNED_FILES, *_OWNED_FOLDERS) if (outdir / name).exists()]
    if not force:
        earlier = len(list((outdir / "results").glob("*.json"))) if (outdir / "results").is_dir() else 0
        what = f"{earlier} results of an earlier batch" if earlier else "files"
        raise OutputInUse(f"{outdir} already holds {what}: pass --resume to continue that batch, --force to "
                          "replace its outputs, or choose an empty folder")
    for path in owned:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return [f"--force: removed the earlier batch outputs in {outdir} ("
            + ", ".join(p.name for p in owned) + ")"] if owned else []


def run(*, submissions: Path, assignment: str, outdir: Path, course_root: Path, limits: Limits, backend: str,
        workers: int, resume: bool, secret: bytes, dask_address: str | None = None, force: bool = False,
        feedback: bool = False, on_progress: Callable[[str, dict], None] | None = None,
        on_start: Callable[[layout.Batch, int], None] | None = None) -> Summary:
    """Grade every submission under ``submissions``; see the module docstring for the outputs.

    ``backend`` is the one student code runs under (``bwrap`` or ``subprocess``:
    :func:`grader.sandbox.choose_backend` has resolved ``auto``); it is part of
    the resume key. ``on_start(batch, pending)`` is called once before grading
    (the batch's notes are printable); ``on_progress(printable_id, document)``
    after each student: ``printable_id`` is the student id with control
    characters escaped (:func:`grader.terminal.clean`), for a progress bar; the
    exact id is ``document["extra_data"]["student_id"]``. With ``feedback``, every student's
    feedback page is written to ``outdir/feedback/`` (reused results too); a page that cannot
    be written is a warning of the summary.

    Nothing is written when the download holds no submission (:class:`grader.layout.LayoutError`)
    or when ``outdir`` is not empty and neither ``resume`` nor ``force`` is given
    (:class:`OutputInUse`; ``force`` removes the earlier batch outputs first).
    Zip entries' dates carry no zone; they are read as UTC (docs/batch.md, Late policy).
    """
    from grader import gradebook, report  # output formats; imported here to keep start-up light

    graded_assignment = course.load(course_root, assignment)
    policy = penalty.load(course_root, assignment)
    rubric_sha = graded_assignment.rubric_sha256()
    outdir = Path(outdir)
    results_dir = outdir / "results"
    batch = layout.read(submissions, zip_zone=dt.timezone.utc)
    try:
        removed = _prepare_outdir(outdir, resume=resume, force=force)
        results_dir.mkdir(parents=True, exist_ok=True)
        names = result_names(batch.student_ids)
        keys: dict[str, dict] = {}
        documents: dict[str, dict] = {}
        previous: dict[str, dict] = {}
        pending_jobs: dict[str, tuple[Job, layout.Entry]] = {}
        summary = Summary(layout=batch.layout, total=len(batch.student_ids), entries=len(batch.entries),
                          notes=[terminal.clean(note) for note in [*removed, *batch.notes]],
                          max_score=graded_assignment.rubric.max_score, skipped=list(batch.skipped))
        summary.warnings = lateness.time_warnings(batch, policy)
        batch.notes = list(summary.notes)

        def record(sid: str, document: dict, entry: layout.Entry) -> dict:
            for member in entry.also:  # a group submission: every submitter gets the group's grade
                member_document = lateness.finish(lateness.member(document, sid), dataclasses.replace(
                    entry, student_id=member, also=()), policy, batch.layout)
                save(results_dir, names[member], member, member_document, keys[member])
                documents[member] = member_document
            document = lateness.finish(document, entry, policy, batch.layout)
            save(results_dir, names[sid], sid, document, keys[sid])
            documents[sid] = document
            return document

        for entry in batch.entries:
            sid = entry.student_id
            submission_sha = sha256_of(entry.path) if entry.path.exists() else ""
            keys[sid] = resume_key(assignment=assignment, submission_sha=submission_sha, rubric_sha=rubric_sha,
                                   limits=limits, backend=backend, secret=secret)
            for member in entry.also:
                keys[member] = keys[sid]
            reuse, old = reusable(results_dir, names[sid], keys[sid]) if resume else (None, None)
            if old is not None and reuse is None:
                previous[sid] = old
            if reuse is not None:
                record(sid, reuse, entry)
                summary.reused += 1 + len(entry.also)
                continue
            job = Job(student_id=sid, submission=str(entry.path), assignment=assignment,
                      course_root=str(course_root), seed=student_seed(secret, assignment, sid),
                      limits=limits, backend=backend,
                      artifact_prefix=str(results_dir / names[sid].removesuffix("json")),
                      hidden=(str(Path(submissions).resolve()), str(Path(outdir).resolve())))
            pending_jobs[sid] = (job, entry)
        if on_start is not None:
            on_start(batch, len(pending_jobs))

        def graded(sid: str, document: dict) -> None:
            document = record(sid, document, pending_jobs[sid][1])
            if on_progress is not None:
                on_progress(terminal.clean(sid), document)

        if pending_jobs:
            runner = DaskRunner(dask_address) if dask_address else LocalRunner(workers)
            try:
                execute(runner, pending_jobs, graded_assignment, graded)
            finally:
                runner.close()
        ordered = [documents[sid] for sid in batch.student_ids]
        # Each result as a TA filters it: the status of grades.csv, the report and summary.json.
        view = [with_status(d) for d in ordered]
        for document in view:
            extra = document["extra_data"]
            summary.statuses[extra["status"]] = summary.statuses.get(extra["status"], 0) + 1
            summary.grader_errors += extra["status"] == "grader_error"
            summary.timeouts += extra.get("worker_timeouts", 0) > 0
            late = extra.get("late") or {}
            if late.get("penalty_percent"):
                summary.late_students += 1
                summary.late_points = round(summary.late_points + late["penalty_points"], 6)
        summary.graded = len(ordered) - summary.reused
        summary.mean_score = sum(d["score"] for d in ordered) / len(ordered) if ordered else 0.0
        if feedback:
            from grader import feedbackpage  # nbconvert: imported only when pages are asked for

            entry_of = {sid: entry for entry in batch.entries for sid in (entry.student_id, *entry.also)}
            summary.warnings += feedbackpage.write_pages(
                folder=outdir / "feedback", assignment=graded_assignment, artifacts_dir=results_dir,
                students=[(names[sid].removesuffix(".json"), entry_of[sid].path, document)
                          for sid, document in zip(batch.student_ids, view)])
        gradebook.write_grades(outdir / "grades.csv", graded_assignment.rubric, view)
        data = gradebook.summarize(graded_assignment, view, summary)
        data.update(_summary_extras(view, summary, policy))
        write_atomically(outdir / "summary.json", json.dumps(data, indent=2, allow_nan=False) + "\n")
        if resume:
            gradebook.write_changes(outdir / "changes.csv", previous, documents)
        report.write(outdir / "report.html", graded_assignment, view, summary)
        return summary
    finally:
        batch.cleanup()


def _summary_extras(view: list[dict], summary: Summary, policy: penalty.Policy | None) -> dict:
    """What summary.json adds to :func:`grader.gradebook.summarize`: statuses, late penalties,
    skipped entries, the unmatched share and the warnings."""
    return {
        "statuses": dict(summary.statuses),
        "submission_errors": [{"student_id": d["extra_data"].get("student_id", ""), "reason": submission_problem(d)}
                              for d in view if d["extra_data"]["status"] == "submission_error"],
        "late_penalties": {"policy": policy.kind if policy else None, "students": summary.late_students,
                           "points": summary.late_points},
        "skipped": [{"entry": name, "reason": why} for name, why in summary.skipped],
        "unmatched": {"entries": len(summary.skipped), "of": summary.entries + len(summary.skipped),
                      "share": round(summary.unmatched_share, 4), "max_share": MAX_UNMATCHED_SHARE,
                      "exceeded": summary.incomplete},
        "warnings": list(summary.warnings),
    }
