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

Printing. Student ids are kept exactly in the results and ``summary.json``;
what is printed (``on_progress``'s id, notes, :meth:`Summary.line`) is made
printable by :func:`grader.terminal.clean`, and CSV cells are kept from running
as formulas by :func:`grader.gradebook.csv_rows`.
"""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import hashlib
import hmac
import json
import math
import multiprocessing
import os
import re
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


@dataclasses.dataclass
class Summary:
    layout: str
    total: int
    graded: int = 0
    reused: int = 0
    grader_errors: int = 0
    timeouts: int = 0
    mean_score: float = 0.0
    max_score: float = 0.0
    notes: list = dataclasses.field(default_factory=list)

    def line(self) -> str:
        """The one-line summary the CLI prints (printable whatever the layout said)."""
        return terminal.clean(
            f"{self.total} students ({self.layout} layout): {self.graded} graded, {self.reused} unchanged "
            f"from before, {self.grader_errors} grader errors, {self.timeouts} with timeouts; "
            f"mean score {self.mean_score:.1f}/{self.max_score:g}")


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
                and extra.get("submission_sha256") == key["submission_sha256"]
                and extra.get("rubric_sha256") == key["rubric_sha256"]
                and extra.get("grader_version") == __version__ and extra.get("status") == "graded")
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


def _finish(document: dict, entry: layout.Entry, policy: penalty.Policy | None) -> dict:
    """Add the student id and apply the late policy (raw score kept in extra_data.late)."""
    extra = document["extra_data"]
    extra["student_id"] = entry.student_id
    extra["marked_late"] = entry.marked_late
    raw = extra["late"]["raw_score"] if "late" in extra else document["score"]
    if policy is not None:
        extra["late"] = policy.assess(entry.submitted_at, raw)
        document["score"] = round(max(0.0, raw - extra["late"]["penalty_points"]), 6)
    else:
        extra.pop("late", None)
        document["score"] = raw
    return document


def run(*, submissions: Path, assignment: str, outdir: Path, course_root: Path, limits: Limits, backend: str,
        workers: int, resume: bool, secret: bytes, dask_address: str | None = None,
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
    """
    from grader import gradebook, report  # output formats; imported here to keep start-up light

    graded_assignment = course.load(course_root, assignment)
    policy = penalty.load(course_root, assignment)
    rubric_sha = graded_assignment.rubric_sha256()
    outdir = Path(outdir)
    results_dir = outdir / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    batch = layout.read(submissions)
    try:
        names = result_names([e.student_id for e in batch.entries])
        keys: dict[str, dict] = {}
        documents: dict[str, dict] = {}
        previous: dict[str, dict] = {}
        pending_jobs: dict[str, tuple[Job, layout.Entry]] = {}
        summary = Summary(layout=batch.layout, total=len(batch.entries),
                          notes=[terminal.clean(note) for note in batch.notes],
                          max_score=graded_assignment.rubric.max_score)
        batch.notes = list(summary.notes)

        def record(sid: str, document: dict, entry: layout.Entry) -> dict:
            document = _finish(document, entry, policy)
            _save(results_dir, names[sid], sid, document, keys[sid])
            documents[sid] = document
            return document

        for entry in batch.entries:
            sid = entry.student_id
            submission_sha = sha256_of(entry.path) if entry.path.exists() else ""
            keys[sid] = resume_key(assignment=assignment, submission_sha=submission_sha, rubric_sha=rubric_sha,
                                   limits=limits, backend=backend, secret=secret)
            reuse, old = _reusable(results_dir, names[sid], keys[sid]) if resume else (None, None)
            if old is not None and reuse is None:
                previous[sid] = old
            if reuse is not None:
                record(sid, reuse, entry)
                summary.reused += 1
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
        ordered = [documents[e.student_id] for e in batch.entries]
        for document in ordered:
            extra = document["extra_data"]
            summary.grader_errors += extra["status"] == "grader_error"
            summary.timeouts += extra.get("worker_timeouts", 0) > 0
        summary.graded = len(ordered) - summary.reused
        summary.mean_score = sum(d["score"] for d in ordered) / len(ordered) if ordered else 0.0
        gradebook.write_grades(outdir / "grades.csv", graded_assignment.rubric, ordered)
        gradebook.write_summary(outdir / "summary.json", graded_assignment, ordered, summary)
        if resume:
            gradebook.write_changes(outdir / "changes.csv", previous, documents)
        report.write(outdir / "report.html", graded_assignment, ordered, summary)
        return summary
    finally:
        batch.cleanup()


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
