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

Resume: a student is skipped iff their result exists for the same submission
hash, rubric hash and grader version, and was graded without grader error.
"""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import signal
import threading
from pathlib import Path
from typing import Callable

from grader import __version__, course, grading, layout, lifeline, penalty
from grader import result as result_module
from grader.limits import Limits
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
        return (f"{self.total} students ({self.layout} layout): {self.graded} graded, {self.reused} unchanged "
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


def result_name(student_id: str) -> str:
    """A file name for a student id: readable, safe, and distinct for distinct ids."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", student_id)[:80].lstrip(".") or "student"
    if safe != student_id:
        safe += "-" + hashlib.sha256(student_id.encode("utf-8")).hexdigest()[:8]
    return safe + ".json"


# Why: pytest is not thread-safe; a Dask worker with several threads grades one at a time.
_GRADING_LOCK = threading.Lock()


def grade_job(job: Job) -> dict:
    """Grade one submission (runs in a pool process or on a Dask worker)."""
    with _GRADING_LOCK:
        assignment = course.load(Path(job.course_root), job.assignment)
        return grading.grade(assignment=assignment, submission=Path(job.submission), seed=job.seed,
                             limits=job.limits, backend=job.backend, artifact_prefix=job.artifact_prefix)


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


def _reusable(path: Path, submission_sha: str, rubric_sha: str) -> tuple[dict | None, dict | None]:
    """(result to reuse, or None; the old result, if any, for changes.csv)."""
    try:
        old = json.loads(path.read_text("utf-8"))
        extra = old["extra_data"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, None
    same = (extra.get("submission_sha256") == submission_sha and extra.get("rubric_sha256") == rubric_sha
            and extra.get("grader_version") == __version__ and extra.get("status") == "graded")
    return (old if same else None), old


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
    """Grade every submission under ``submissions``; see the module docstring for the outputs."""
    from grader import gradebook, report  # output formats; imported here to keep start-up light

    graded_assignment = course.load(course_root, assignment)
    policy = penalty.load(course_root, assignment)
    rubric_sha = graded_assignment.rubric_sha256()
    outdir = Path(outdir)
    results_dir = outdir / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    batch = layout.read(submissions)
    try:
        documents: dict[str, dict] = {}
        previous: dict[str, dict] = {}
        pending_jobs: dict[str, tuple[Job, layout.Entry]] = {}
        summary = Summary(layout=batch.layout, total=len(batch.entries), notes=list(batch.notes),
                          max_score=graded_assignment.rubric.max_score)
        for entry in batch.entries:
            path = results_dir / result_name(entry.student_id)
            submission_sha = sha256_of(entry.path) if entry.path.exists() else ""
            reuse, old = _reusable(path, submission_sha, rubric_sha) if resume else (None, None)
            if old is not None and reuse is None:
                previous[entry.student_id] = old
            if reuse is not None:
                documents[entry.student_id] = _finish(reuse, entry, policy)
                result_module.write(path, documents[entry.student_id])
                summary.reused += 1
                continue
            job = Job(student_id=entry.student_id, submission=str(entry.path), assignment=assignment,
                      course_root=str(course_root), seed=student_seed(secret, assignment, entry.student_id),
                      limits=limits, backend=backend,
                      artifact_prefix=str(results_dir / result_name(entry.student_id).removesuffix("json")))
            pending_jobs[entry.student_id] = (job, entry)
        if on_start is not None:
            on_start(batch, len(pending_jobs))
        if pending_jobs:
            runner = _DaskRunner(dask_address) if dask_address else _LocalRunner(workers)
            try:
                _execute(runner, pending_jobs, graded_assignment, policy, results_dir, documents, on_progress)
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


def _execute(runner, pending_jobs, graded_assignment, policy, results_dir, documents, on_progress) -> None:
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
                job, entry = pending_jobs[sid]
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
                                _record(other, _grader_error_result(pending_jobs[other][0], graded_assignment,
                                                                    problem), pending_jobs[other][1], policy,
                                        results_dir, documents, on_progress)
                if problem and attempts[sid] < ATTEMPTS:
                    attempts[sid] += 1
                    in_flight[runner.submit(job)] = sid
                    continue
                if document is None:
                    document = _grader_error_result(job, graded_assignment, problem)
                _record(sid, document, entry, policy, results_dir, documents, on_progress)
    except BaseException:
        runner.stop()
        raise


def _record(sid, document, entry, policy, results_dir, documents, on_progress) -> None:
    document = _finish(document, entry, policy)
    result_module.write(results_dir / result_name(sid), document)
    documents[sid] = document
    if on_progress is not None:
        on_progress(sid, document)
