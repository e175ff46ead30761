"""nngrade at class scale: three of issue 15's speed targets, timed with the real ``grade`` CLI.

Usage::

    python benchmarks/scale.py [--students 100] [--small 10] [--students-4x 1000] [--repeats 3]
                               [--parts layers,classes,dask] [--warm-cluster] [--quick] [--keep]

Linux (it uses ``resource``, ``os.getloadavg`` and the venv's ``bin/grade``); bwrap (Debian:
``bubblewrap``) for the strong sandbox; ``distributed`` (``pip install 'nngrade[dask]'``) for the
Dask part, which is skipped with a note without it.

**How.** Every timed run is one ``grade batch`` process, the ``grade`` beside the Python running this
script (``Path(sys.executable).parent / "grade"``; ``python -m grader`` if there is none), with this
checkout first on ``PYTHONPATH``, ``--course`` this checkout, ``--sandbox auto`` (bwrap when installed:
the output says which sandbox graded), ``--force`` and a fixed course secret (so the per-student seeds
are the same from run to run and no warning is printed). Its wall time is ``time.perf_counter`` around
the whole process (interpreter start, imports, grading, grades.csv, summary.json, report.html); CPU is
``getrusage(RUSAGE_CHILDREN)`` around it (the CLI, its pool processes and the sandboxed workers it
waited for; not the Dask cluster's). Every student hands in the bundled reference solution
(``solutions/<a>/<a>.py``), as ``s0000.py``, ``s0001.py``, ...; an assignment whose rubric
``requires`` others (``mlp`` requires ``layers`` and ``optim``) is handed in as a folder per student,
``s0000/{mlp,layers,optim}.py``, the layout the mlp handout asks for (``examples/mlp/grace_folder``).
The classes are written to a temporary folder before any timing (``--keep`` keeps it).

**What, and the targets** (a missed target prints FAIL, exit status 0: timings depend on the machine):

1. ``layers`` at N = 100 students: ``grade batch <class> -a layers -o <out> -j 2``. Target: at most
   150 ms per submission (whole-process wall / N, the median of the repeats). The same run at N = 10
   (``--small``) gives, by a straight line through the two medians, the fixed cost per run and the
   cost per submission.
2. 1,000 students x 4 assignments (layers, losses, optim, mlp) in at most 10 minutes on 2 cores:
   ``grade batch <classes> -o <out> -j 2`` on a folder of classes, ``<classes>/<assignment>/<students>``
   (the layout of ``grade batch examples/ -o out``), once. Printed: total wall and per submission, and
   per assignment the class's wall (between the CLI's ``<a>: ... -> ...`` line and its summary line,
   read from its output as it comes), per submission, and the median of the results'
   ``execution_time`` (one grading, in its pool process). ``--students-4x`` sets the class size;
   another size than 1,000 prints a linear projection instead of PASS/FAIL.
3. Dask within 10% of the process pool: the layers class of part 1 graded with ``grade batch ...
   --dask <scheduler>`` against ``distributed.LocalCluster(n_workers=2, threads_per_worker=1,
   processes=True)`` started by this script (its start-up is not timed; by default a fresh cluster
   for each run, so its worker processes start as cold as the pool's; ``--warm-cluster`` keeps one
   cluster for every run, as a standing deployment would), against ``-j 2``. Target: median wall
   dask / pool at most 1.10.

Parts 1 and 3 share their runs: each repeat runs pool N = 100, pool N = 10, dask N = 100 and (with part 3)
dask N = 10, in an
order rotated from repeat to repeat so that drift favours none. Load from other work inflates every
time: the 1-minute load average is printed at the start, the end, and over the timed runs.

**Grades are checked before any time is printed.** For every run: the CLI exits 0, and every student
has ``<out>[/<assignment>]/results/<student>.json`` (and no other result), status ``graded``, score
equal to the rubric's total, no grader error. Before timing, a control class (the reference and
``examples/layers/guido_db_averaged.py``, untimed; it also warms the disk cache) must give 100 and
less than 100: a harness that passes everything cannot look fast. If anything is wrong, the script
prints INVALID with the problems, no time, and exits 1.

**How long.** Parts 1 and 3 take about 1.5 minutes on 2 cores (84 s at load 4.5 on 2026-12-03, 3
repeats); part 2 is most of the default run: 4 x 200 took 166 s at load 4 to 5 (mlp half of it:
about 0.85 s per grading, three to four times any other assignment's), which projects to about 14
minutes at 4 x 1,000, so the default run takes about 15 minutes on a busy 2-core machine, less on an
idle one. ``--quick`` (part 2 at 4 x 50, 1 repeat) about 70 s.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's grader, whatever is installed

import numpy as np  # noqa: E402

import grader  # noqa: E402
from grader import course, sandbox  # noqa: E402

ASSIGNMENTS = ("layers", "losses", "optim", "mlp")
CONTROL_WRONG = REPO / "examples" / "layers" / "guido_db_averaged.py"  # db averaged: 95/100
TARGET_PER_SUBMISSION = 0.150  # part 1, seconds, whole-process wall / N at N = 100
TARGET_CLASSES_STUDENTS, TARGET_CLASSES_SECONDS = 1000, 600.0  # part 2: 4 x 1,000 in 10 minutes
TARGET_DASK_RATIO = 1.10  # part 3: dask / pool, median whole-process wall
SECRET = "nngrade-bench-scale"  # a fixed course secret: same seeds every run, no warning
PARTS = ("layers", "classes", "dask")


def log(message: str) -> None:
    """Progress, on stderr; never a time (no time is shown before every grade is checked)."""
    print(message, file=sys.stderr, flush=True)


def tail(text: str, lines: int = 12) -> str:
    return "\n      ".join(text.strip().splitlines()[-lines:])


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_note() -> str:
    """The 1-minute load average: other work on the machine inflates every timing below."""
    load = load_average()
    if load is None:
        return "load unknown (no os.getloadavg here)"
    cpus = os.cpu_count() or 1
    busy = "  <- busy machine: timings are inflated" if load > 0.5 * cpus else ""
    return f"1-min load average {load:.2f} on {cpus} cpus{busy}"


def bwrap_version() -> tuple[str | None, str]:
    bwrap = sandbox.bwrap_path()
    if not bwrap:
        return None, ""
    try:
        version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        version = ""
    return bwrap, (version.splitlines()[0] if version else "version unknown")


def distributed_version() -> str | None:
    try:
        import distributed
    except ImportError:
        return None
    return distributed.__version__


# ---------------------------------------------------------------------------------------------
# classes

def student_ids(n: int) -> list[str]:
    width = max(4, len(str(n - 1)))
    return [f"s{i:0{width}d}" for i in range(n)]


def build_class(folder: Path, assignment: str, n: int) -> list[str]:
    """N copies of the reference solution; a folder per student when the assignment requires others."""
    graded = course.load(REPO, assignment)
    required = graded.required_modules()  # {module: reference solution}, e.g. mlp: layers, optim
    folder.mkdir(parents=True)
    ids = student_ids(n)
    for sid in ids:
        if required:
            own = folder / sid
            own.mkdir()
            shutil.copyfile(graded.solution, own / f"{graded.module}.py")
            for module, path in required.items():
                shutil.copyfile(path, own / f"{module}.py")
        else:
            shutil.copyfile(graded.solution, folder / f"{sid}.py")
    return ids


def max_score(assignment: str) -> float:
    return course.load(REPO, assignment).rubric.max_score


# ---------------------------------------------------------------------------------------------
# running and checking

def grade_command() -> list[str]:
    script = Path(sys.executable).parent / "grade"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "grader"]


def grade_env() -> dict:
    env = dict(os.environ, NNGRADE_COURSE_SECRET=SECRET)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("NNGRADE_COURSE", None)  # --course is given
    return env


class Run:
    """One ``grade batch`` process: its exit status, wall and CPU time, and stdout lines with the
    time (since its start) at which each arrived."""

    def __init__(self, args: list[str], cwd: Path, loads: list):
        stderr_path = cwd / "stderr.txt"
        loads.append(load_average())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(stderr_path, "w") as stderr:
            started = time.perf_counter()
            process = subprocess.Popen([*grade_command(), *args], cwd=cwd, env=grade_env(), stdout=subprocess.PIPE,
                                       stderr=stderr, text=True)
            self.lines = [(time.perf_counter() - started, line.rstrip("\n")) for line in process.stdout]
            self.returncode = process.wait()
            self.wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        loads.append(load_average())
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.stdout = "\n".join(line for _, line in self.lines)
        self.stderr = stderr_path.read_text(errors="replace")

    def class_walls(self) -> dict[str, float]:
        """{assignment: seconds from its ``<a>: <folder> -> <out>`` line to its summary line}."""
        starts, walls = {}, {}
        for at, line in self.lines:
            match = re.match(r"^(\w+): .* -> ", line)
            if match:
                starts[match.group(1)] = at
                continue
            match = re.match(r"^(\w+): \d+ students ", line)
            if match and match.group(1) in starts:
                walls[match.group(1)] = at - starts[match.group(1)]
        return walls


def check_class(out: Path, assignment: str, ids: list[str], label: str, problems: list[str],
                sandboxes: set, expected: dict[str, str] | None = None) -> list[float]:
    """Every student's result: present, graded, full marks (or, for ``expected[sid] == "less"``, less).
    Returns the results' execution times."""
    total = max_score(assignment)
    results = out / "results"
    times = []
    wrong = 0
    for sid in ids:
        path = results / f"{sid}.json"
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            wrong += 1
            if wrong <= 5:
                problems.append(f"{label}: {sid}: no readable result ({exc})")
            continue
        extra = document.get("extra_data", {})
        sandboxes.add(extra.get("sandbox"))
        times.append(document.get("execution_time", float("nan")))
        want_less = (expected or {}).get(sid) == "less"
        score = document.get("score")
        ok_score = (isinstance(score, (int, float)) and score < total) if want_less else score == total
        if not ok_score or extra.get("status") != "graded" or extra.get("max_score") != total \
                or extra.get("grader_errors"):
            wrong += 1
            if wrong <= 5:
                failed = [t.get("extra_data", {}).get("item") for t in document.get("tests", [])
                          if t.get("status") != "passed"]
                problems.append(f"{label}: {sid}: score {score}/{extra.get('max_score')}, status {extra.get('status')}"
                                f", expected {'less than ' if want_less else ''}{total:g}/{total:g}, graded; "
                                f"failed items {failed[:5]}; grader errors "
                                f"{[e.splitlines()[0] for e in extra.get('grader_errors', [])][:2]}")
    if wrong > 5:
        problems.append(f"{label}: ... {wrong} wrong results in all")
    found = {p.stem for p in results.glob("*.json")} if results.is_dir() else set()
    if found != set(ids):
        problems.append(f"{label}: {len(found)} result files for {len(ids)} students; missing: "
                        f"{sorted(set(ids) - found)[:5]}, unexpected: {sorted(found - set(ids))[:5]}")
    return times


def check_run(run: Run, label: str, problems: list[str]) -> None:
    if run.returncode != 0:
        problems.append(f"{label}: grade batch exited {run.returncode}:\n      " + tail(run.stdout + "\n" + run.stderr))


def batch_args(submissions: Path, out: Path, *more: str) -> list[str]:
    return ["batch", str(submissions), "-o", str(out), "--course", str(REPO), "--sandbox", "auto", "--force", *more]


# ---------------------------------------------------------------------------------------------
# Dask

class Cluster:
    """A ``distributed.LocalCluster`` of 2 single-threaded worker processes; started untimed."""

    def __init__(self):
        from distributed import LocalCluster

        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                    silence_logs=logging.ERROR)
        self.address = self.cluster.scheduler_address

    def close(self) -> None:
        self.cluster.close()


# ---------------------------------------------------------------------------------------------

def median_line(label: str, walls: list[float], cpus: list[float], n: int) -> str:
    per = [w / n for w in walls]
    cpu = f"{statistics.median(cpus) / n * 1000:>5.0f} ms" if cpus else f"{'-':>8}"
    return (f"  {label:<14} {n:>5}   {statistics.median(per) * 1000:>11.0f} ms   {min(per) * 1000:>5.0f} ms   "
            f"{max(per) * 1000:>5.0f} ms   {cpu}   {statistics.median(walls):>7.1f} s   {len(walls)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100, help="layers class size of parts 1 and 3 (default 100)")
    parser.add_argument("--small", type=int, default=10, help="the second layers class size, for the line (default 10)")
    parser.add_argument("--students-4x", type=int, default=TARGET_CLASSES_STUDENTS,
                        help="students per assignment in part 2 (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per system in parts 1 and 3 (default 3)")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts, comma-separated: layers (1), "
                        "classes (2), dask (3); default all")
    parser.add_argument("--warm-cluster", action="store_true",
                        help="part 3: one Dask cluster for every run (default: a fresh one per run)")
    parser.add_argument("--quick", action="store_true", help="part 2 at 50 students per assignment, 1 repeat")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not parts or set(parts) - set(PARTS):
        parser.error(f"--parts takes some of {', '.join(PARTS)}, comma-separated")
    if args.quick:
        args.students_4x, args.repeats = 50, 1
    if min(args.students, args.small, args.students_4x, args.repeats) < 1 or args.small >= args.students:
        parser.error("--students, --small, --students-4x and --repeats must be at least 1, and --small < --students")
    dask_version = distributed_version()
    notes = []
    if "dask" in parts and dask_version is None:
        parts.remove("dask")
        notes.append("part 3 (Dask) not run: distributed is not installed (pip install 'nngrade[dask]')")

    wall_started = time.perf_counter()
    load_at_start = load_note()
    loads: list = []
    problems: list[str] = []
    sandboxes: set = set()
    walls: dict[tuple[str, int], list[float]] = defaultdict(list)
    cpus: dict[tuple[str, int], list[float]] = defaultdict(list)
    classes_run = None
    classes_times: dict[str, list[float]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="nngrade-scale-"))
    counter = iter(range(10**9))

    def run_dir() -> Path:
        folder = tmp / "runs" / f"{next(counter):03d}"
        folder.mkdir(parents=True)
        return folder

    def done_with(folder: Path) -> None:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    cluster = None
    try:
        log(f"building the classes in {tmp}")
        n, small = args.students, args.small
        layer_classes = {}
        if {"layers", "dask"} & set(parts):
            sizes = [n] + ([small] if "layers" in parts else [])
            for size in sizes:
                layer_classes[size] = (tmp / f"layers-{size}", build_class(tmp / f"layers-{size}", "layers", size))
        if "classes" in parts:
            classes = tmp / f"classes-4x{args.students_4x}"
            class_ids = {a: build_class(classes / a, a, args.students_4x) for a in ASSIGNMENTS}

        log("control (untimed; also warms the caches): the reference and guido_db_averaged.py, layers, -j 2")
        control = tmp / "control"
        control.mkdir()
        shutil.copyfile(course.load(REPO, "layers").solution, control / "s0000.py")
        shutil.copyfile(CONTROL_WRONG, control / "s0001.py")
        folder = run_dir()
        run = Run(batch_args(control, folder / "out", "-a", "layers", "-j", "2"), folder, [])
        check_run(run, "control", problems)
        check_class(folder / "out", "layers", ["s0000", "s0001"], "control", problems, sandboxes,
                    expected={"s0001": "less"})
        done_with(folder)
        if problems:
            print("INVALID: the control class was graded wrongly; no time is printed\n  " + "\n  ".join(problems))
            return 1

        # Parts 1 and 3: pool N, pool small, dask N, rotated from repeat to repeat.
        systems = []
        if "layers" in parts or "dask" in parts:
            systems.append(("pool", n))
        if "layers" in parts or "dask" in parts:
            systems.append(("pool", small))
        if "dask" in parts:
            systems.append(("dask", n))
            systems.append(("dask", small))
            if args.warm_cluster:
                log("starting one Dask LocalCluster (2 workers x 1 thread, processes) for every dask run")
                cluster = Cluster()
        total_runs, finished = args.repeats * len(systems), 0
        for repeat in range(args.repeats):
            shift = repeat % len(systems) if systems else 0
            for system, size in systems[shift:] + systems[:shift]:
                submissions, ids = layer_classes[size]
                folder = run_dir()
                label = f"layers {system} N={size} (repeat {repeat + 1})"
                if system == "pool":
                    run = Run(batch_args(submissions, folder / "out", "-a", "layers", "-j", "2"), folder, loads)
                else:
                    fresh = cluster is None
                    here = Cluster() if fresh else cluster  # start-up untimed
                    try:
                        run = Run(batch_args(submissions, folder / "out", "-a", "layers", "--dask", here.address),
                                  folder, loads)
                    finally:
                        if fresh:
                            here.close()
                check_run(run, label, problems)
                check_class(folder / "out", "layers", ids, label, problems, sandboxes)
                walls[system, size].append(run.wall)
                if system == "pool":
                    cpus[system, size].append(run.cpu)
                done_with(folder)
                finished += 1
                log(f"  [{finished}/{total_runs}] {label} graded")
        if cluster is not None:
            cluster.close()
            cluster = None

        if "classes" in parts:
            log(f"part 2: {len(ASSIGNMENTS)} classes x {args.students_4x} students, one grade batch -j 2 "
                f"(about {4 * args.students_4x * 0.2 / 60:.0f} min or more)")
            folder = run_dir()
            classes_run = Run(batch_args(classes, folder / "out", "-j", "2"), folder, loads)
            check_run(classes_run, "classes", problems)
            for a in ASSIGNMENTS:
                classes_times[a] = check_class(folder / "out" / a, a, class_ids[a], f"classes/{a}", problems,
                                               sandboxes)
            done_with(folder)
    finally:
        if cluster is not None:
            cluster.close()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if problems:
        print(f"INVALID: {len(problems)} problem(s) with the grades; no time is printed "
              "(a wrong grader's speed means nothing)")
        for problem in problems[:30]:
            print(f"  {problem}")
        return 1

    bwrap, bwrap_ver = bwrap_version()
    measured = [load for load in loads if load is not None]
    print("nngrade at class scale: grade batch, whole process, every student the reference solution")
    print(f"  machine   {os.cpu_count()} cpus; {platform.platform()}")
    print(f"  load      at the start: {load_at_start}; over the timed runs: "
          + (f"{min(measured):.2f} to {max(measured):.2f}" if measured else "unknown"))
    print(f"  python    {platform.python_version()} ({sys.executable})")
    print(f"  numpy     {np.__version__}")
    print(f"  nngrade   {grader.__version__} from {Path(grader.__file__).parent}; CLI {' '.join(grade_command())}")
    print(f"  sandbox   graded with: {', '.join(sorted(str(s) for s in sandboxes))}"
          + (f" ({bwrap}, {bwrap_ver})" if bwrap else " (bwrap not installed)"))
    cluster_kind = "one for every run" if args.warm_cluster else "a fresh one per run"
    print("  dask      " + (f"distributed {dask_version}; LocalCluster(n_workers=2, threads_per_worker=1, "
                            f"processes=True), {cluster_kind}, its start-up not timed" if dask_version
                            else "distributed not installed"))
    for note in notes:
        print(f"  note      {note}")

    if walls:
        print(f"\nlayers class, {args.repeats} repeat(s), order rotated; per submission = whole-process wall / N "
              "(median; min, max); CPU = the CLI's and its children's CPU / N (pool only)")
        print(f"  {'system':<14} {'N':>5}   {'per submission':>14}   {'min':>8}   {'max':>8}   {'CPU':>8}   "
              f"{'whole run':>9}   runs")
        for (system, size) in sorted(walls, key=lambda k: (k[0] != "pool", k[1])):
            command = "-j 2" if system == "pool" else "--dask"
            print(median_line(f"{system} ({command})", walls[system, size], cpus[system, size], size))

    pool_n = statistics.median(walls["pool", n]) / n if ("pool", n) in walls else None
    lines = {}
    for system in ("pool", "dask"):
        if (system, small) in walls and (system, n) in walls:
            w_small, w_big = statistics.median(walls[system, small]), statistics.median(walls[system, n])
            slope = (w_big - w_small) / (n - small)
            lines[system] = (w_small - slope * small, slope)
            print(f"\n  a line through the {system} medians at N={small} and N={n}: fixed cost "
                  f"{lines[system][0]:.2f} s per run, {slope * 1000:.0f} ms per submission"
                  + ("   (a fixed cost below 0: smaller than the noise)" if lines[system][0] < 0 else ""))

    if classes_run is not None:
        total_students = len(ASSIGNMENTS) * args.students_4x
        class_walls = classes_run.class_walls()
        print(f"\n{len(ASSIGNMENTS)} classes x {args.students_4x} students: one grade batch <classes> -o <out> -j 2 "
              f"(1 run)")
        print(f"  whole process {classes_run.wall:.1f} s for {total_students} submissions: "
              f"{classes_run.wall / total_students * 1000:.0f} ms per submission; "
              f"CPU {classes_run.cpu / total_students * 1000:.0f} ms per submission")
        print(f"  {'assignment':<10} {'class wall':>10}   {'per submission':>14}   {'median execution_time':>21}   "
              f"{'sum execution_time':>18}")
        for a in sorted(ASSIGNMENTS):
            wall = class_walls.get(a)
            times = classes_times.get(a, [])
            print(f"  {a:<10} {(f'{wall:.1f} s' if wall is not None else '?'):>10}   "
                  f"{(f'{wall / args.students_4x * 1000:.0f} ms' if wall is not None else '?'):>14}   "
                  f"{statistics.median(times) * 1000:>18.0f} ms   {sum(times):>16.1f} s")
        accounted = sum(class_walls.values())
        print(f"  outside the classes (start-up, finding the classes, the total line, exit): "
              f"{classes_run.wall - accounted:.1f} s")

    took = time.perf_counter() - wall_started
    print(f"\ntargets (issue 15), on {os.cpu_count()} cpus (the benchmark took {took:.0f} s; "
          f"at the end: {load_note()})")
    if "layers" in parts:
        verdict = "PASS" if pool_n <= TARGET_PER_SUBMISSION else "FAIL"
        at = f"N={n}" + ("" if n == 100 else " (the target is at N=100)")
        print(f"  {verdict}  layers at {at}: {pool_n * 1000:.0f} ms per submission "
              f"(target <= {TARGET_PER_SUBMISSION * 1000:.0f} ms)")
    else:
        print("  not measured: layers at N=100 (--parts)")
    if classes_run is not None:
        if args.students_4x == TARGET_CLASSES_STUDENTS:
            verdict = "PASS" if classes_run.wall <= TARGET_CLASSES_SECONDS else "FAIL"
            print(f"  {verdict}  4 x 1,000 students: {classes_run.wall:.0f} s = {classes_run.wall / 60:.1f} min "
                  f"(target <= {TARGET_CLASSES_SECONDS / 60:.0f} min)")
        else:
            projected = classes_run.wall / args.students_4x * TARGET_CLASSES_STUDENTS
            print(f"  not measured: 4 x 1,000 students (ran 4 x {args.students_4x}); a linear projection: "
                  f"{projected:.0f} s = {projected / 60:.1f} min (target <= {TARGET_CLASSES_SECONDS / 60:.0f} min)")
    else:
        print("  not measured: 4 x 1,000 students (--parts)")
    if ("dask", n) in walls:
        ratio = statistics.median(walls["dask", n]) / statistics.median(walls["pool", n])
        verdict = "PASS" if ratio <= TARGET_DASK_RATIO else "FAIL"
        print(f"  {verdict}  dask / pool at N={n}: {ratio:.3f} (median whole-process wall; target <= "
              f"{TARGET_DASK_RATIO:.2f})")
        if "pool" in lines and "dask" in lines and lines["pool"][1] > 0:
            print(f"        of which per submission (the lines' slopes): dask / pool {lines['dask'][1] / lines['pool'][1]:.3f}; "
                  f"fixed cost per run: dask {lines['dask'][0]:.2f} s, pool {lines['pool'][0]:.2f} s (importing "
                  "distributed and connecting to the scheduler are the CLI's)")
    else:
        print("  not measured: dask / pool" + (f" ({notes[-1]})" if dask_version is None else " (--parts)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
