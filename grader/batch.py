"""Batch grading: every student of an LMS download, in parallel, crash-safe and resumable.

Trusted side. Each submission is graded by :func:`grade_job` in a separate
grader process (a local process pool, or Dask workers), which itself runs the
student's code in a sandboxed worker as ``grade run`` does. Only this module's
main process writes files:

``OUTDIR/results/<student>.json``  one result per student, written atomically as soon as it is graded
``OUTDIR/grades.csv``              the gradebook
``OUTDIR/summary.json``            pass rates, score distribution, timings
``OUTDIR/report.html``             the class report (see :mod:`grader.report`)
``OUTDIR/changes.csv``             after ``--resume``: old and new score of every regraded student
``OUTDIR/resume/<student>.json``   the resume key each result was graded under (below)

Resume key. For each result ``results/<student>.json`` the batch writes, just
*before* the result itself, a stamp ``resume/<student>.json`` (same file name):
``{"schema_version", "student_id", "resume_key", "result_sha256"}``, where
``resume_key`` (:func:`resume_key`) is

* ``assignment``, ``submission_sha256``, ``rubric_sha256`` (rubric JSON and every
  test file) and ``grader_version``;
* ``limits``: every field of :class:`grader.limits.Limits`
  (``dataclasses.asdict``, so a field added later joins the key by itself);
* ``sandbox``: the backend the batch runs student code under (``bwrap`` or
  ``subprocess``, after ``auto`` was resolved);
* ``secret_sha256``: :func:`secret_fingerprint` of the course secret (a hash,
  never the secret), so new seeds mean a new key;

and ``result_sha256`` is the hash of the result document it belongs to
(:func:`document_sha256`). With ``--resume`` a student is skipped iff their
result exists, was graded without grader error, its stamp's ``result_sha256``
matches it and its ``resume_key`` equals the key of this run. Anything else (a
setting changed, no stamp: a result from an older nngrade, a stamp left by a
kill between the two writes) is regraded, and listed in ``changes.csv`` when an
older result existed. The student's late penalty is applied anew either way.

Statuses. Each student is ``graded``, ``submission_error`` (:func:`status_of`: nothing could be
graded, the student's doing) or ``grader_error``; ``grades.csv``, ``summary.json`` and the report
use that status, and the last line counts each. Without ``resume`` an output folder that holds
anything is refused (:class:`OutputInUse`) unless ``force``; a download with no submission is
refused before anything is written; more than :data:`MAX_UNMATCHED_SHARE` of skipped entries
makes :attr:`Summary.incomplete` true (the CLI exits 1).

Printing. Student ids are kept exactly in the results and ``summary.json``;
what is printed (``on_progress``'s id, notes, :meth:`Summary.line`) is made
printable by :func:`grader.terminal.clean`, and CSV cells are kept from running
as formulas by :func:`grader.gradebook.csv_rows`.
"""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import threading
from pathlib import Path
from typing import Callable

from grader import __version__, course, grading, layout, lifeline, penalty, terminal
from grader import result as result_module
from grader.limits import Limits
from grader.storage import write_atomically
from grader.submission import sha256_of

SECRET_ENV = "NNGRADE_COURSE_SECRET"
# Why: a submission that broke the grader once may have hit a transient fault
# (a killed process, a full disk); a second failure is recorded as a grader error.
ATTEMPTS = 2


@dataclasses.dataclass(frozen=True)
class Job:
    """One submission to grade: plain, picklable data (it travels to pool or Dask workers)."""

    student_id: str
    submission: str
    assignment: str
    course_root: str
    seed: int
    limits: Limits
    backend: str
    artifact_prefix: str | None = None
    # Folders the worker must not see even where they lie under a bound system folder:
    # the batch's input (other students' work) and output (their results).
    hidden: tuple[str, ...] = ()


# Why 10%: an LMS download holds only submissions, so an entry that matches no student is a
# stray file someone added or a sign that the layout was misread (metadata of another
# assignment, a renamed export). One stray file in a small class stays under it; beyond one
# in ten, students are probably missing from the grades, so the batch says so and exits non-zero.
MAX_UNMATCHED_SHARE = 0.10
STATUSES = ("graded", "submission_error", "grader_error")
NOTE_PREFIX = "\n\nNote from the batch: "


class OutputInUse(Exception):
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


def secret_fingerprint(secret: bytes) -> str:
    """A hash of the course secret that tells secrets apart (the resume key holds it; never the secret)."""
    return hashlib.sha256(b"nngrade course secret fingerprint\0" + secret).hexdigest()


def _plain(value):
    """``value`` as JSON data that compares equal after a round trip through a file."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no inf or nan
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def resume_key(*, assignment: str, submission_sha: str, rubric_sha: str, limits: Limits, backend: str,
               secret: bytes) -> dict:
    """Everything a result depends on besides the student's id (see the module docstring)."""
    return _plain({"assignment": assignment, "submission_sha256": submission_sha, "rubric_sha256": rubric_sha,
                   "grader_version": __version__, "limits": dataclasses.asdict(limits), "sandbox": backend,
                   "secret_sha256": secret_fingerprint(secret)})


def document_sha256(document: dict) -> str:
    """A hash of a result document that is the same before writing and after reading it back."""
    canonical = json.loads(json.dumps(document, allow_nan=False))
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


# Why: pytest is not thread-safe; a Dask worker with several threads grades one at a time.
_GRADING_LOCK = threading.Lock()


def grade_job(job: Job) -> dict:
    """Grade one submission (runs in a pool process or on a Dask worker)."""
    with _GRADING_LOCK:
        assignment = course.load(Path(job.course_root), job.assignment)
        return grading.grade(assignment=assignment, submission=Path(job.submission), seed=job.seed,
                             limits=job.limits, backend=job.backend, artifact_prefix=job.artifact_prefix,
                             hidden=tuple(Path(p) for p in job.hidden))


def _pool_initializer() -> None:
    # Ctrl-C goes to the main process, which stops the pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()


class _LocalRunner:
    """A process pool that is rebuilt if a grader process dies, and can be stopped at once."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = self._new_pool()

    def _new_pool(self) -> futures.ProcessPoolExecutor:
        # spawn: never fork a process that has threads (pytest, the worker readers).
        return futures.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_pool_initializer)

    def submit(self, job: Job) -> futures.Future:
        try:
            return self.pool.submit(grade_job, job)
        except futures.process.BrokenProcessPool:
            self.pool = self._new_pool()
            return self.pool.submit(grade_job, job)

    def wait(self, pending):
        return futures.wait(pending, return_when=futures.FIRST_COMPLETED)

    def broken(self, exc: BaseException) -> bool:
        if isinstance(exc, futures.process.BrokenProcessPool):
            self.stop()
            self.pool = self._new_pool()
            return True
        return False

    def stop(self) -> None:
        processes = list((getattr(self.pool, "_processes", None) or {}).values())  # CPython internals, guarded
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            try:
                process.kill()
            except (OSError, AttributeError):
                pass
        for process in processes:
            try:
                process.join(timeout=5)
            except (OSError, AttributeError, AssertionError):
                pass

    close = stop


class _DaskRunner:
    """The same jobs on a Dask distributed cluster (``pip install nngrade[dask]``)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError("--dask needs the optional extra: pip install 'nngrade[dask]'") from None
        self.client = Client(address)

    def submit(self, job: Job):
        return self.client.submit(grade_job, job, pure=False)

    def wait(self, pending):
        from distributed import wait
        done_and_not = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done_and_not.done), set(done_and_not.not_done)

    def broken(self, exc: BaseException) -> bool:
        return False

    def stop(self) -> None:
        self.client.close()

    close = stop


def _grader_error_result(job: Job, assignment: course.Assignment, message: str) -> dict:
    """The result of a submission that broke the grader on every attempt."""
    provenance = {"assignment": job.assignment, "submission": Path(job.submission).name,
                  "submission_sha256": sha256_of(Path(job.submission)) if Path(job.submission).exists() else "",
                  "rubric_sha256": assignment.rubric_sha256(), "seed": job.seed, "sandbox": "none",
                  "worker_restarts": 0, "worker_timeouts": 0}
    return result_module.build(rubric=assignment.rubric, outcomes=[], provenance=provenance, execution_time=0.0,
                               grader_errors=[f"grading failed on {ATTEMPTS} attempts: {message}"])


def _stamp_path(results_dir: Path, name: str) -> Path:
    return results_dir.parent / "resume" / name


def _reusable(results_dir: Path, name: str, key: dict) -> tuple[dict | None, dict | None]:
    """(result to reuse, or None; the old result, if any, for changes.csv)."""
    try:
        old = json.loads((results_dir / name).read_text("utf-8"))
        extra = old["extra_data"]
        if not isinstance(extra, dict) or not isinstance(old.get("score"), (int, float)):
            return None, None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    try:
        stamp = json.loads(_stamp_path(results_dir, name).read_text("utf-8"))
        same = (stamp["resume_key"] == key and stamp["result_sha256"] == document_sha256(old)
                # (a submission that could not be staged records no hash; the stamp's key holds it)
                and extra.get("submission_sha256") in (key["submission_sha256"],
                                                       "" if status_of(old) == "submission_error" else None)
                and extra.get("rubric_sha256") == key["rubric_sha256"]
                and extra.get("grader_version") == __version__
                and extra.get("status") in ("graded", "submission_error"))
    except (OSError, ValueError, KeyError, TypeError):
        same = False  # no stamp (an older nngrade, or killed between the writes): regrade
    return (old if same else None), old


def _save(results_dir: Path, name: str, student_id: str, document: dict, key: dict) -> None:
    """The stamp first, then the result: a kill between them leaves a stamp that matches no result."""
    stamp = {"schema_version": 1, "student_id": student_id, "resume_key": key,
             "result_sha256": document_sha256(document)}
    stamp_path = _stamp_path(results_dir, name)
    stamp_path.parent.mkdir(exist_ok=True)
    write_atomically(stamp_path, json.dumps(stamp, indent=2, allow_nan=False) + "\n")
    result_module.write(results_dir / name, document)


def _submission_time(entry: layout.Entry, policy: penalty.Policy, layout_name: str) -> tuple:
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


def _finish(document: dict, entry: layout.Entry, policy: penalty.Policy | None, layout_name: str = "") -> dict:
    """Add the student id and notes, apply the late policy (raw score kept in extra_data.late)."""
    extra = document["extra_data"]
    extra["student_id"] = entry.student_id
    extra["marked_late"] = entry.marked_late
    document["output"] = document["output"].split(NOTE_PREFIX, 1)[0]  # a reused result: notes anew
    notes = list(entry.notes)
    raw = extra["late"]["raw_score"] if "late" in extra else document["score"]
    if policy is not None:
        when, note = _submission_time(entry, policy, layout_name)
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


def _member(document: dict, primary: str) -> dict:
    """A copy of a group submission's result for another submitter."""
    copy = json.loads(json.dumps(document))
    copy["output"] = copy["output"].split(NOTE_PREFIX, 1)[0]
    copy["extra_data"].pop("late", None)
    copy["score"] = document["extra_data"]["late"]["raw_score"] if "late" in document["extra_data"] \
        else document["score"]
    return copy


_OWNED_FILES = ("grades.csv", "summary.json", "report.html", "changes.csv")
_OWNED_FOLDERS = ("results", "resume")


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
        on_progress: Callable[[str, dict], None] | None = None,
        on_start: Callable[[layout.Batch, int], None] | None = None) -> Summary:
    """Grade every submission under ``submissions``; see the module docstring for the outputs.

    ``backend`` is the one student code runs under (``bwrap`` or ``subprocess``:
    :func:`grader.sandbox.choose_backend` has resolved ``auto``); it is part of
    the resume key. ``on_start(batch, pending)`` is called once before grading
    (the batch's notes are printable); ``on_progress(printable_id, document)``
    after each student: ``printable_id`` is the student id with control
    characters escaped (:func:`grader.terminal.clean`), for a progress bar; the
    exact id is ``document["extra_data"]["student_id"]``.

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
        summary.warnings = _time_warnings(batch, policy)
        batch.notes = list(summary.notes)

        def record(sid: str, document: dict, entry: layout.Entry) -> dict:
            for member in entry.also:  # a group submission: every submitter gets the group's grade
                member_document = _finish(_member(document, sid), dataclasses.replace(
                    entry, student_id=member, also=()), policy, batch.layout)
                _save(results_dir, names[member], member, member_document, keys[member])
                documents[member] = member_document
            document = _finish(document, entry, policy, batch.layout)
            _save(results_dir, names[sid], sid, document, keys[sid])
            documents[sid] = document
            return document

        for entry in batch.entries:
            sid = entry.student_id
            submission_sha = sha256_of(entry.path) if entry.path.exists() else ""
            keys[sid] = resume_key(assignment=assignment, submission_sha=submission_sha, rubric_sha=rubric_sha,
                                   limits=limits, backend=backend, secret=secret)
            for member in entry.also:
                keys[member] = keys[sid]
            reuse, old = _reusable(results_dir, names[sid], keys[sid]) if resume else (None, None)
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
            runner = _DaskRunner(dask_address) if dask_address else _LocalRunner(workers)
            try:
                _execute(runner, pending_jobs, graded_assignment, graded)
            finally:
                runner.close()
        ordered = [documents[sid] for sid in batch.student_ids]
        # Each result as a TA filters it: the status of grades.csv, the report and summary.json.
        view = [_with_status(d) for d in ordered]
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


def _with_status(document: dict) -> dict:
    """``document`` with ``extra_data.status`` made :func:`status_of` (a copy; the result file keeps
    the status result.schema.json allows)."""
    status = status_of(document)
    if status == document["extra_data"]["status"]:
        return document
    return {**document, "extra_data": {**document["extra_data"], "status": status}}


def _time_warnings(batch: layout.Batch, policy: penalty.Policy | None) -> list[str]:
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


def _execute(runner, pending_jobs, graded_assignment, graded: Callable[[str, dict], None]) -> None:
    """Run every job (retrying a grader failure once); ``graded(sid, document)`` as each finishes."""
    attempts = {sid: 0 for sid in pending_jobs}
    in_flight = {}
    for sid, (job, _) in pending_jobs.items():
        attempts[sid] += 1
        in_flight[runner.submit(job)] = sid
    try:
        while in_flight:
            done, _ = runner.wait(set(in_flight))
            for future in done:
                sid = in_flight.pop(future, None)
                if sid is None:  # already resubmitted after the pool broke, below
                    continue
                job, _ = pending_jobs[sid]
                try:
                    document = future.result()
                    problem = ("; ".join(document["extra_data"]["grader_errors"])
                               if document["extra_data"]["status"] == "grader_error" else "")
                except Exception as exc:  # the grader process died or raised: never the student's fault
                    document, problem = None, f"{type(exc).__name__}: {exc}"
                    if runner.broken(exc):
                        # Every job in flight died with the pool: resubmit them (each counts an attempt).
                        for other_future, other in list(in_flight.items()):
                            in_flight.pop(other_future)
                            attempts[other] += 1
                            if attempts[other] <= ATTEMPTS:
                                in_flight[runner.submit(pending_jobs[other][0])] = other
                            else:
                                graded(other, _grader_error_result(pending_jobs[other][0], graded_assignment,
                                                                   problem))
                if problem and attempts[sid] < ATTEMPTS:
                    attempts[sid] += 1
                    in_flight[runner.submit(job)] = sid
                    continue
                if document is None:
                    document = _grader_error_result(job, graded_assignment, problem)
                graded(sid, document)
    except BaseException:
        runner.stop()
        raise
