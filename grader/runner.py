"""Running a batch's grading jobs: a local process pool or a Dask cluster, with retries.

Each submission is graded by :func:`grade_job` in a separate grader process (a
local process pool, or Dask workers), which itself runs the student's code in a
sandboxed worker as ``grade run`` does. :func:`execute` submits every job,
retries a job whose grader failed (:data:`ATTEMPTS` in all; a pool that broke is
rebuilt and its jobs in flight resubmitted) and hands each document back as it
finishes; only the batch's main process writes files.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import dataclasses
import gc
import multiprocessing
import signal
import threading
from pathlib import Path
from typing import Callable

from grader import course, lifeline
from grader import result as result_module
from grader.error import UsageError
from grader.limits import Limits
from grader.submission import sha256_of

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



# Why: pytest is not thread-safe; a Dask worker with several threads grades one at a time.
_GRADING_LOCK = threading.Lock()


def grade_job(job: Job) -> dict:
    """Grade one submission (runs in a pool process or on a Dask worker)."""
    from grader import grading  # here, not at the top: the batch's own process never loads pytest

    with _GRADING_LOCK, _without_gc_callbacks():
        assignment = course.load(Path(job.course_root), job.assignment)
        return grading.grade(assignment=assignment, submission=Path(job.submission), seed=job.seed,
                             limits=job.limits, backend=job.backend, artifact_prefix=job.artifact_prefix,
                             hidden=tuple(Path(p) for p in job.hidden))


@contextlib.contextmanager
def _without_gc_callbacks():
    """Suspend the garbage collector's callbacks while a submission is graded. Why: a Dask
    worker's (distributed's GC diagnosis) runs Python code at every collection, thousands
    of times a grading (~15% of a layers grading's time); a pool process has none."""
    saved = list(gc.callbacks)
    gc.callbacks.clear()
    try:
        yield
    finally:
        gc.callbacks[:] = saved + [c for c in gc.callbacks if c not in saved]


def _pool_initializer() -> None:
    # Ctrl-C goes to the main process, which stops the pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lifeline.die_with_parent()


class LocalRunner:
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


class DaskRunner:
    """The same jobs on a Dask distributed cluster (``pip install nngrade[dask]``)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--dask needs the optional extra: pip install 'nngrade[dask]'") from None
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


def grader_error_result(job: Job, assignment: course.Assignment, message: str) -> dict:
    """The result of a submission that broke the grader on every attempt."""
    provenance = {"assignment": job.assignment, "submission": Path(job.submission).name,
                  "submission_sha256": sha256_of(Path(job.submission)) if Path(job.submission).exists() else "",
                  "rubric_sha256": assignment.rubric_sha256(), "seed": job.seed, "sandbox": "none",
                  "worker_restarts": 0, "worker_timeouts": 0}
    return result_module.build(rubric=assignment.rubric, outcomes=[], provenance=provenance, execution_time=0.0,
                               grader_errors=[f"grading failed on {ATTEMPTS} attempts: {message}"])



def execute(runner, pending_jobs, graded_assignment, graded: Callable[[str, dict], None]) -> None:
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
                                graded(other, grader_error_result(pending_jobs[other][0], graded_assignment,
                                                                   problem))
                if problem and attempts[sid] < ATTEMPTS:
                    attempts[sid] += 1
                    in_flight[runner.submit(job)] = sid
                    continue
                if document is None:
                    document = grader_error_result(job, graded_assignment, problem)
                graded(sid, document)
    except BaseException:
        runner.stop()
        raise
