"""How fast is grading? Wall time of grading the reference ``layers`` solution, per sandbox backend.

Usage::

    python benchmarks/grading.py [--copies N] [--repeats R] [--seed S]

Grades N copies of ``solutions/layers/layers.py`` (one file per copy, in a temporary
folder), each R times, through the public API ``grader.api.run`` with the ``bwrap``
backend (when bubblewrap is installed) and the ``subprocess`` backend, interleaved.
Then it times the worker start alone (``Sandbox.start()`` + ``.kill()``) and one
round trip of a trivial call through :class:`grader.proxy.StudentProxy`.

Every graded copy must get full marks, or the script exits with status 1: a broken
engine must not print a fast-looking number. The project's performance targets are
checked here, and only here (never in unit tests); a missed target prints FAIL
(exit status 0: timings depend on the machine), a wrong grade makes every target INVALID.
The defaults finish in well under a minute on two cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's grader, whatever is installed

import numpy as np  # noqa: E402

import grader  # noqa: E402
from grader import api, course, sandbox  # noqa: E402
from grader.limits import DEFAULT_LIMITS  # noqa: E402
from grader.proxy import StudentProxy  # noqa: E402

ASSIGNMENT = "layers"
# (description from the project's spec, backend-independent target in seconds)
TARGETS = [
    ("grading a correct layers submission, sandbox included, should take well under a second", 1.0),
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def stats_line(label: str, times: list[float]) -> str:
    return (f"  {label:<11} n={len(times):<4} median {ms(statistics.median(times))}   "
            f"min {ms(min(times))}   max {ms(max(times))}")


def load_note() -> str:
    """The 1-minute load average: other work on the machine inflates every timing below."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return "unknown (no os.getloadavg here)"
    cpus = os.cpu_count() or 1
    busy = "  <- busy machine: timings are inflated" if load > 0.5 * cpus else ""
    return f"1-min load average {load:.2f} on {cpus} cpus{busy}"


def machine_facts() -> list[str]:
    lines = [f"  python  {platform.python_version()} ({platform.python_implementation()}) at {sys.executable}",
             f"  numpy   {np.__version__}",
             f"  cpus    os.cpu_count() = {os.cpu_count()}",
             f"  os      {platform.platform()}",
             f"  load    {load_note()}",
             f"  grader  nngrade {grader.__version__} from {Path(grader.__file__).parent}"]
    bwrap = sandbox.bwrap_path()
    if bwrap:
        try:
            version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
            version = version.splitlines()[0] if version else ""
        except (OSError, subprocess.SubprocessError):
            version = "version unknown"
        lines.append(f"  bwrap   {bwrap} ({version or 'version unknown'})")
    else:
        lines.append("  bwrap   not found")
    return lines


def usable_backends(probe_dir: Path) -> tuple[list[str], list[str]]:
    """(backends to measure, notes). bwrap is skipped when missing or unable to start a worker."""
    notes = []
    backends = []
    if sandbox.bwrap_path() is None:
        notes.append("note: bwrap not found; the bwrap backend is skipped "
                     "(Debian/Ubuntu: apt-get install bubblewrap)")
    else:
        try:
            sandbox.Sandbox(submission_dir=probe_dir, limits=DEFAULT_LIMITS, backend="bwrap").start().kill()
            backends.append("bwrap")
        except Exception as exc:  # noqa: BLE001 - any failure means: not usable here
            notes.append(f"BROKEN: bwrap is installed but cannot start a worker here ({exc}); "
                         "`grade run` with the default sandbox would fail on this machine")
    backends.append("subprocess")
    return backends, notes


def grade_copies(copies: list[Path], backends: list[str], repeats: int, seed: int,
                 course_root: Path) -> tuple[dict, dict, dict, list[str]]:
    """Grade every copy ``repeats`` times with every backend, interleaved.

    Returns (wall times and grader CPU times per backend, cold first run per backend, problems).
    """
    timings = {b: [] for b in backends}
    cpu = {b: [] for b in backends}  # CPU time of this (trusted) process: hardly moved by other load
    cold = {}
    problems = []

    def one(path: Path, backend: str) -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        document = api.run(submission=path, assignment=ASSIGNMENT, course=course_root, seed=seed,
                           sandbox_backend=backend)
        elapsed = time.perf_counter() - started
        cpu[backend].append(time.process_time() - cpu_started)
        extra = document["extra_data"]
        if (document["score"] != extra["max_score"] or extra["status"] != "graded"
                or extra["sandbox"] != backend):
            wrong = [t["extra_data"]["item"] for t in document["tests"] if t["status"] != "passed"]
            problems.append(f"{backend}: {path.name}: score {document['score']:g}/{extra['max_score']:g}, "
                            f"status {extra['status']}, sandbox {extra['sandbox']}; failed items {wrong}; "
                            f"grader errors {[e.splitlines()[0] for e in extra['grader_errors']][:3]}")
        return elapsed

    # A cold first run per backend (imports pytest, jsonschema, fills caches): shown, not in the stats.
    for backend in backends:
        cold[backend] = one(copies[0], backend)
        cpu[backend].clear()
    for round_number in range(repeats):
        for index, path in enumerate(copies):
            # Alternate which backend goes first, so drift does not favour one of them.
            order = backends if (index + round_number) % 2 == 0 else backends[::-1]
            for backend in order:
                timings[backend].append(one(path, backend))
    return timings, cpu, cold, problems


def time_worker_start(submission_dir: Path, backend: str, count: int, hidden: tuple) -> tuple[list, list]:
    box = sandbox.Sandbox(submission_dir=submission_dir, limits=DEFAULT_LIMITS, backend=backend,
                          hidden_paths=hidden)
    box.start().kill()  # warm-up
    total, start_only = [], []
    for _ in range(count):
        t0 = time.perf_counter()
        worker = box.start()
        t1 = time.perf_counter()
        worker.kill()
        t2 = time.perf_counter()
        start_only.append(t1 - t0)
        total.append(t2 - t0)
    return total, start_only


def time_round_trip(submission_dir: Path, backend: str, calls: int, hidden: tuple) -> list[float]:
    box = sandbox.Sandbox(submission_dir=submission_dir, limits=DEFAULT_LIMITS, backend=backend,
                          hidden_paths=hidden)
    proxy = StudentProxy(sandbox=box, module="layers", limits=DEFAULT_LIMITS)
    x = np.random.default_rng(0).standard_normal((10, 10))
    try:
        proxy.load()
        out, cache = proxy.relu_forward(x)  # warm-up, and a check that the answer is right
        if not (np.array_equal(out, np.maximum(0, x)) and np.array_equal(cache, x)):
            raise SystemExit(f"FAILED: relu_forward through the {backend} proxy returned a wrong answer")
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            proxy.relu_forward(x)
            times.append(time.perf_counter() - t0)
        return times
    finally:
        proxy.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=6, help="copies of the reference solution (default 6)")
    parser.add_argument("--repeats", type=int, default=2, help="times each copy is graded per backend (default 2)")
    parser.add_argument("--seed", type=int, default=20240501, help="run seed for every grading (default fixed)")
    parser.add_argument("--starts", type=int, default=10, help="worker starts timed per backend (default 10)")
    parser.add_argument("--calls", type=int, default=200, help="round trips timed per backend (default 200)")
    args = parser.parse_args(argv)
    if min(args.copies, args.repeats, args.starts, args.calls) < 1:
        parser.error("--copies, --repeats, --starts and --calls must be at least 1")

    assignment = course.load(REPO, ASSIGNMENT)
    solution = assignment.solution
    print("nngrade grading benchmark")
    print("\n".join(machine_facts()))
    print(f"  run     assignment {ASSIGNMENT!r} of {REPO} ({len(assignment.rubric.items)} rubric items, "
          f"{len(assignment.test_files())} test files), seed {args.seed}, "
          f"{args.copies} copies x {args.repeats} repeats per backend")
    sys.stdout.flush()

    failed = False
    wall_started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-") as tmp:
        tmp_path = Path(tmp)
        copies_dir = tmp_path / "copies"
        copies_dir.mkdir()
        copies = []
        for n in range(args.copies):
            target = copies_dir / f"copy_{n:03d}.py"
            shutil.copyfile(solution, target)
            copies.append(target)
        module_dir = tmp_path / "module"  # for the worker-only measurements: a folder holding layers.py
        module_dir.mkdir()
        shutil.copyfile(solution, module_dir / f"{assignment.module}.py")
        hidden = assignment.secret_paths

        backends, notes = usable_backends(module_dir)
        for note in notes:
            print(f"  {note}")
            failed = failed or note.startswith("BROKEN")

        print("\ngrading one submission: api.run(...), wall time per call (time.perf_counter)")
        timings, cpu, cold, problems = grade_copies(copies, backends, args.repeats, args.seed, REPO)
        for backend in backends:
            print(stats_line(backend, timings[backend]) + f"   (cold first run, not counted: {ms(cold[backend]).strip()})")
        for backend in backends:
            print(f"  {backend:<11} of which CPU time of the grader process itself: "
                  f"median {ms(statistics.median(cpu[backend]))}")
        medians = {b: statistics.median(t) for b, t in timings.items()}
        if "bwrap" in medians:
            diff = medians["bwrap"] - medians["subprocess"]
            ratio = medians["bwrap"] / medians["subprocess"]
            print(f"  sandbox overhead (median bwrap - median subprocess): {diff * 1000:+.1f} ms, "
                  f"ratio bwrap / subprocess = {ratio:.2f}x")
        else:
            print("  sandbox overhead: not measured (no usable bwrap)")
        if problems:
            failed = True
            print(f"\nFAILED: {len(problems)} grading(s) of the reference solution did not get full marks:")
            for problem in problems[:10]:
                print(f"  {problem}")

        print(f"\nworker start alone: Sandbox(...).start() then .kill(), n={args.starts} (after one warm-up)")
        for backend in backends:
            total, start_only = time_worker_start(module_dir, backend, args.starts, hidden)
            print(f"  {backend:<11} start+kill median {ms(statistics.median(total))}   "
                  f"start only median {ms(statistics.median(start_only))}   "
                  f"min {ms(min(total))}   max {ms(max(total))}")

        print(f"\none round trip: StudentProxy.relu_forward(x), x of shape (10, 10), n={args.calls} "
              "(worker already running)")
        for backend in backends:
            times = time_round_trip(module_dir, backend, args.calls, hidden)
            print(f"  {backend:<11} median {statistics.median(times) * 1e6:8.0f} us   "
                  f"min {min(times) * 1e6:8.0f} us   max {max(times) * 1e6:8.0f} us")

    print(f"\ntargets (the project's spec; benchmark took {time.perf_counter() - wall_started:.1f} s; "
          f"now {load_note()})")
    # "sandbox included": the backend a default `grade run` would use here (bwrap when usable).
    reference_backend = "bwrap" if "bwrap" in medians else "subprocess"
    for description, target in TARGETS:
        value = medians[reference_backend]
        # A number from an engine that graded wrongly is no evidence either way.
        verdict = "INVALID" if failed else ("PASS" if value < target else "FAIL")
        print(f"  {verdict}  {description}: median {value:.3f} s ({reference_backend}) vs target {target:.1f} s")
    if failed:
        print("\nexit status 1: the engine did not grade correctly (see FAILED/BROKEN above); "
              "the timings above are not meaningful")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
