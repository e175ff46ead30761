"""What does the kept pytest session save? One process grades the same submission again and again,
alternately with the session of the previous grading kept (grader/session.py) and afresh.

Usage::

    python benchmarks/reuse.py [--gradings N] [--backend bwrap|subprocess]

In one process, grades the reference ``layers`` solution (this repository's course) and then the
correct submission of the 5-check ``nnbasics`` assignment of ``benchmarks/versus_work.py`` (its
course written to a temporary folder), each N times "fresh" (every kept session closed first:
pytest starts and collects as it did before sessions were kept) and N times "kept", alternating.
The first grading of each assignment warms the process up and is not counted. Prints the
median, per grading, of pytest's start-up and collection (until ``pytest_collection_finish``),
of the whole of ``grading.run_tests`` and of ``grading.grade``.

Exits with status 1, after printing why, when a grading does not get full marks or when a kept
grading's result differs from a fresh one's (timing fields aside): a fast wrong grade is no result.
The defaults (20 gradings each, bwrap when installed) take about half a minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's grader, whatever is installed

import versus_work as work  # noqa: E402

from grader import course, grading, sandbox, session  # noqa: E402
from grader.limits import DEFAULT_LIMITS  # noqa: E402
from grader.plugin import GradingPlugin  # noqa: E402


class Clock:
    """Times ``grading.run_tests`` and marks pytest_collection_finish (passed on to the
    GradingPlugin by the session's Relay) while installed."""

    def __init__(self):
        self.started = self.collected = self.finished = 0.0
        self.original = grading.run_tests

    def __enter__(self):
        clock = self

        def run_tests(**kwargs):
            clock.started = time.perf_counter()
            try:
                return clock.original(**kwargs)
            finally:
                clock.finished = time.perf_counter()

        def collection_finish(plugin, pytest_session):
            clock.collected = time.perf_counter()

        grading.run_tests = run_tests
        GradingPlugin.pytest_collection_finish = collection_finish
        return self

    def __exit__(self, *exc):
        grading.run_tests = self.original
        del GradingPlugin.pytest_collection_finish


def without_timings(document: dict) -> str:
    document = json.loads(json.dumps(document))
    document.pop("execution_time")
    document["extra_data"].pop("time_used_seconds", None)
    return json.dumps(document, sort_keys=True)


def measure(name: str, assignment, submission: Path, full: int, gradings: int, backend: str,
            problems: list[str]) -> dict[str, dict[str, list[float]]]:
    times = {mode: {"start-up and collection": [], "run_tests": [], "grade": []} for mode in ("fresh", "kept")}
    results = {}
    with Clock() as clock:
        for index in range(2 * gradings + 1):
            mode = "fresh" if index % 2 else "kept"
            if mode == "fresh":
                session.close_all()
            started = time.perf_counter()
            document = grading.grade(assignment=assignment, submission=submission, seed=7, limits=DEFAULT_LIMITS,
                                     backend=backend)
            total = time.perf_counter() - started
            if document["score"] != full:
                problems.append(f"{name} ({mode}): {document['score']} of {full} points: {document['output'][:300]}")
            results.setdefault(without_timings(document), []).append(mode)
            if index == 0:
                continue  # the process warms up: imports, caches
            times[mode]["start-up and collection"].append(clock.collected - clock.started)
            times[mode]["run_tests"].append(clock.finished - clock.started)
            times[mode]["grade"].append(total)
    if len(results) != 1:
        problems.append(f"{name}: {len(results)} different results (timings aside) from the same submission")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gradings", type=int, default=20, help="gradings per mode and assignment (default 20)")
    parser.add_argument("--backend", choices=("bwrap", "subprocess"),
                        default="bwrap" if sandbox.bwrap_path() else "subprocess")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="nngrade-reuse-"))
    problems: list[str] = []
    try:
        work.write_nngrade_course(tmp / "course")
        student = tmp / "student" / f"{work.ASSIGNMENT}.py"
        student.parent.mkdir()
        student.write_text(work.STUDENT_MODULE)
        cases = [("layers", course.load(REPO, "layers"), REPO / "solutions" / "layers" / "layers.py", 100),
                 (work.ASSIGNMENT, course.load(tmp / "course", work.ASSIGNMENT), student, work.TOTAL)]
        print(f"{args.gradings} gradings per mode, backend {args.backend}; medians per grading")
        print(f"  {'assignment':<10} {'mode':<6} {'start-up+collection':>20} {'run_tests':>10} {'grade':>10}")
        for name, assignment, submission, full in cases:
            times = measure(name, assignment, submission, full, args.gradings, args.backend, problems)
            for mode, phases in times.items():
                cells = "".join(f"{statistics.median(phases[p]) * 1000:{w}.1f} ms"
                                for p, w in (("start-up and collection", 17), ("run_tests", 7), ("grade", 7)))
                print(f"  {name:<10} {mode:<6} {cells}")
    finally:
        session.close_all()
        shutil.rmtree(tmp, ignore_errors=True)
    for problem in problems:
        print("ERROR:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
