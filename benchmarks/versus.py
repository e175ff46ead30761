"""nngrade against nbgrader and plain pytest, grading the same class of the same work (issue 15).

Usage::

    python benchmarks/versus.py [--students 20,100] [--repeats 3] [--quick] [--breakdown-runs 5]
                                [--cache DIR] [--keep]

Linux or macOS (it uses ``resource`` and the venv's ``bin/``); bwrap (Debian: ``bubblewrap``) for the
strong sandbox.

**The work.** A CS231n-style assignment, ``nnbasics`` (``benchmarks/versus_work.py``): five checks of
10 points each (affine forward, affine backward, ReLU forward, ReLU backward, softmax loss with a full
central-difference gradient check of dx, all 500 entries), each written for every system with the same
shapes and the same computations (reference values, numerical gradient, one call of each student
function per check). Every student hands in the same correct solution.

**The systems**, each run as its own OS process (or processes) and timed as a whole, wall clock
(``time.perf_counter`` around ``subprocess.run``: interpreter start, imports, grading, writing):

- ``nngrade .py`` and ``nngrade .ipynb``: ``grade batch <folder> -a nnbasics -o <out> -j 2 --course
  <course> --force`` on a folder of N ``<student>.py`` files, or N ``<student>.ipynb`` notebooks (the
  course's generated starter notebook with the functions filled in). The course is built in a temporary
  folder (solution, rubric, hidden tests; ``grade starter`` writes the starter; ``grade validate`` must
  pass). The sandbox is ``auto``: bwrap when installed (the output says which one graded).
- ``nbgrader .ipynb``: ``nbgrader autograde nnbasics --force`` in an nbgrader course folder
  (``nbgrader_config.py`` setting ``CourseDirectory.root`` and ``course_id``; the sqlite gradebook
  beside it) whose source notebook has one solution cell per function and one autograder test cell
  per check (10 points, the check in a ``### BEGIN HIDDEN TESTS`` block), after ``nbgrader
  generate_assignment`` (untimed) and with the N students' notebooks (the released notebook with the
  solution cells filled in) under ``submitted/<student>/nnbasics/``. nbgrader autogrades one notebook
  after another, each in a fresh Jupyter kernel; it has no option to run several at once. It runs
  from its own virtualenv, ``<cache>/nbgrader-venv`` (default cache ``~/.cache/nngrade-bench``),
  made on the first run with ``python -m venv`` and ``pip install nbgrader==0.9.6 numpy==<this numpy>``
  (about half a minute, needs PyPI) and reused afterwards; nbgrader is not a dependency of nngrade.
- ``pytest .py``: the unsafe floor: one ``python -m pytest -q test_nnbasics.py`` process per
  submission, in a folder holding the student's ``nnbasics.py`` (the tests import it directly, in the
  grading process: no sandbox, no isolation between the student and the tests), two at a time
  (a thread pool of 2), plugin autoload off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, as nngrade's
  own pytest run), so the floor is as low as plain pytest goes.

Each number is a whole-process wall time divided by N (time per submission). Per repeat and N the
four systems run one after another, their order rotated from run to run so that drift favours none;
the table gives the median over the repeats (min and max beside it) and the CPU time per submission
of all the run's processes (``getrusage(RUSAGE_CHILDREN)`` around the run: less moved by other load
than wall time, and blind to parallelism). Then the ratios nbgrader / nngrade of the medians, wall and
CPU, for ``.py`` and notebook submissions; the issue's target is on wall time: at least 20x at
N = 100 on 2 cores (a miss prints FAIL with exit status 0, as in the other benchmarks: timings
depend on the machine, and the load average is printed at the start and the end). With two class
sizes or more, a straight line through the medians at the smallest and largest N splits each
system's time into a fixed cost per run and a cost per submission. Then a breakdown of one nngrade
grading (``.py`` and ``.ipynb``), in this process, through ``grader.api.run`` with timers put around
the engine's public functions from outside (nothing of ``grader/`` is edited): staging, reference
import, worker start (``Sandbox.start``), the import in the worker, pytest start-up and collection,
the tests, pytest's wrap-up, the worker's kill, the result's build and schema check, and its writing.

**Grades are checked before any time is printed.** nngrade: N result files, each ``score`` 50 and
status ``graded``; pytest: every process exits 0 with "5 passed"; nbgrader: N submissions in its
gradebook, each 50/50, and every autograded notebook's test cells hold the restored hidden checks and
no error output. Before timing, each system also grades a control class once (untimed, which also warms
the disk cache): the correct submission and one whose softmax dx is not averaged over the batch, which
must lose exactly that check's 10 points (so a harness whose tests pass anything cannot look fast).
If anything is wrong, no time is printed and the script exits 1.

**How long.** The default run (N = 20 and 100, 3 repeats) takes about 10 minutes on 2 cores (628 and
632 s on 2026-12-03, with other work keeping the load average between 3 and 6), 60% of it nbgrader
(about 1 s per notebook); ``--quick`` (N = 20, 1 repeat) about a minute (50 s, 100 s at load 5). The
first run adds nbgrader's install.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import grader  # noqa: E402
import versus_work as work  # noqa: E402
from grader import api, grading, proxy, result, sandbox  # noqa: E402
from grader.plugin import GradingPlugin  # noqa: E402

NBGRADER_VERSION = "0.9.6"  # the newest release on PyPI when this was written; it works here as is
A = work.ASSIGNMENT
SYSTEMS = ("nngrade .py", "nngrade .ipynb", "nbgrader .ipynb", "pytest .py")
TARGET_RATIO, TARGET_N = 20.0, 100
SECRET = "nngrade-bench-versus"  # a course secret, so `grade batch` does not warn about its absence


def log(message: str) -> None:
    """Progress, on stderr; never a time (no time is shown before every grade is checked)."""
    print(message, file=sys.stderr, flush=True)


def tail(text: str, lines: int = 12) -> str:
    return "\n      ".join(text.strip().splitlines()[-lines:])


def timed_run(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command``; return it, its wall time and the CPU time of every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def student_ids(n: int) -> list[str]:
    return [f"student_{i:03d}" for i in range(n)]


# ---------------------------------------------------------------------------------------------
# nngrade

def grade_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader", *args]


def grade_env() -> dict:
    env = dict(os.environ, NNGRADE_COURSE_SECRET=SECRET)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def build_nngrade_course(root: Path, problems: list[str]) -> None:
    """The course, its starter generated by ``grade starter``; ``grade validate`` must pass."""
    work.write_nngrade_course(root)
    for command in (["starter", "-a", A, "--course", str(root)], ["validate", "-a", A, "--course", str(root)]):
        done = subprocess.run(grade_command(*command), capture_output=True, text=True, env=grade_env())
        if done.returncode != 0:
            problems.append(f"nngrade course: `grade {' '.join(command)}` exited {done.returncode}:\n      "
                            + tail(done.stdout + done.stderr))
            return


def run_nngrade(course: Path, run_dir: Path, students: dict[str, str], suffix: str,
                expected: dict[str, float], problems: list[str], sandboxes: set) -> tuple[float, float]:
    """``grade batch`` over one file per student; check every result."""
    folder = run_dir / "submissions"
    folder.mkdir(parents=True)
    for student, text in students.items():
        (folder / f"{student}{suffix}").write_text(text)
    out = run_dir / "out"
    done, wall, cpu = timed_run(grade_command("batch", str(folder), "-a", A, "-o", str(out), "-j", "2",
                                              "--course", str(course), "--force", "--sandbox", "auto"),
                                env=grade_env(), cwd=run_dir)
    label = f"nngrade {suffix} (N={len(students)})"
    if done.returncode != 0:
        problems.append(f"{label}: grade batch exited {done.returncode}:\n      " + tail(done.stdout + done.stderr))
    for student, score in expected.items():
        path = out / "results" / f"{student}.json"
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            problems.append(f"{label}: {student}: no readable result ({exc})")
            continue
        extra = document.get("extra_data", {})
        sandboxes.add(extra.get("sandbox"))
        if document.get("score") != score or extra.get("status") != "graded" or extra.get("max_score") != work.TOTAL:
            problems.append(f"{label}: {student}: score {document.get('score')}/{extra.get('max_score')}, "
                            f"status {extra.get('status')}, expected {score:g}/{work.TOTAL}, graded; "
                            f"grader errors {extra.get('grader_errors', [])[:2]}")
    found = len(list((out / "results").glob("*.json"))) if (out / "results").is_dir() else 0
    if found != len(expected):
        problems.append(f"{label}: {found} result files for {len(expected)} students")
    return wall, cpu


# ---------------------------------------------------------------------------------------------
# plain pytest

def run_pytest(run_dir: Path, students: dict[str, str], expected: dict[str, int],
               problems: list[str]) -> tuple[float, float]:
    """One ``python -m pytest`` per submission, two at a time; each must report ``expected`` passes."""
    folders = {}
    for student, text in students.items():
        folder = run_dir / student
        folder.mkdir(parents=True)
        (folder / f"{A}.py").write_text(text)
        (folder / f"test_{A}.py").write_text(work.PYTEST_FILE)
        folders[student] = folder
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("PYTEST_ADDOPTS", None)

    def one(folder: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", f"test_{A}.py"], cwd=folder, env=env,
                              capture_output=True, text=True)

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(folders, pool.map(one, folders.values())))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    for student, passed in expected.items():
        done = outcomes[student]
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        counts = dict((word, int(number)) for number, word in re.findall(r"(\d+) (passed|failed|error)", last))
        want = {"passed": passed} | ({"failed": len(work.ITEMS) - passed} if passed < len(work.ITEMS) else {})
        if counts != want:
            problems.append(f"pytest (N={len(students)}): {student}: {last or 'no summary'!r} (exit "
                            f"{done.returncode}), expected {want}:\n      " + tail(done.stdout + done.stderr, 6))
    return wall, cpu


# ---------------------------------------------------------------------------------------------
# nbgrader

def ensure_nbgrader(cache: Path) -> tuple[Path, dict]:
    """nbgrader's own virtualenv in ``cache`` (made once, reused while its stamp matches); its versions."""
    venv = cache / "nbgrader-venv"
    stamp = venv / "nngrade-bench.json"
    want = {"nbgrader": NBGRADER_VERSION, "numpy": np.__version__, "python": platform.python_version()}
    try:
        if json.loads(stamp.read_text()) == want and (venv / "bin" / "nbgrader").exists():
            return venv, nbgrader_versions(venv)
    except (OSError, ValueError):
        pass
    log(f"installing nbgrader {NBGRADER_VERSION} (and numpy {np.__version__}) into {venv} "
        "(once; reused by later runs)")
    shutil.rmtree(venv, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           f"nbgrader=={NBGRADER_VERSION}", f"numpy=={np.__version__}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"could not install nbgrader into {venv} (exit {done.returncode}):\n" + tail(done.stderr, 20))
    stamp.write_text(json.dumps(want) + "\n")
    return venv, nbgrader_versions(venv)


def nbgrader_versions(venv: Path) -> dict:
    script = ("import json, importlib.metadata as m\nprint(json.dumps({p: m.version(p) for p in "
              "('nbgrader', 'nbconvert', 'nbclient', 'jupyter_client', 'ipykernel', 'numpy')}))")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


class Nbgrader:
    """An nbgrader course made once (``generate_assignment``), copied afresh for each timed run."""

    def __init__(self, venv: Path, tmp: Path):
        self.venv = venv
        self.template = tmp / "nbgrader-template"
        jupyter = tmp / "jupyter"  # empty Jupyter dirs: no user config or kernel spec changes the run
        # The venv's bin/ goes first on PATH, as if activated: nbgrader's Gradebook runs `alembic heads`
        # by name (nbgrader/api.py, get_alembic_version), and the kernel is the venv's python.
        self.env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                        VIRTUAL_ENV=str(venv), JUPYTER_PLATFORM_DIRS="1",
                        JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_DATA_DIR=str(jupyter / "data"),
                        JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"))
        self.env.pop("PYTHONPATH", None)

    @staticmethod
    def configure(root: Path) -> None:
        # nbgrader reads nbgrader_config.py from the working directory; the gradebook defaults to
        # sqlite:///<root>/gradebook.db.
        (root / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\nc.CourseDirectory.course_id = 'versus'\n")

    def nbgrader(self, root: Path, *args: str):
        return timed_run([str(self.venv / "bin" / "nbgrader"), *args], cwd=root, env=self.env)

    def setup(self, problems: list[str]) -> None:
        source = self.template / "source" / A
        source.mkdir(parents=True)
        (source / f"{A}.ipynb").write_text(work.nbgrader_source_notebook())
        self.configure(self.template)
        done, _, _ = self.nbgrader(self.template, "generate_assignment", A, "--force")
        if done.returncode != 0 or not self.released.is_file():
            problems.append(f"nbgrader generate_assignment exited {done.returncode}:\n      "
                            + tail(done.stdout + done.stderr))

    @property
    def released(self) -> Path:
        return self.template / "release" / A / f"{A}.ipynb"

    def run(self, run_dir: Path, students: dict[str, str], expected: dict[str, float],
            problems: list[str]) -> tuple[float, float]:
        shutil.copytree(self.template, run_dir)
        self.configure(run_dir)
        for student, text in students.items():
            folder = run_dir / "submitted" / student / A
            folder.mkdir(parents=True)
            (folder / f"{A}.ipynb").write_text(text)
        done, wall, cpu = self.nbgrader(run_dir, "autograde", A, "--force")
        (run_dir / "autograde.log").write_text(done.stdout + done.stderr)
        label = f"nbgrader (N={len(students)})"
        if done.returncode != 0:
            problems.append(f"{label}: nbgrader autograde exited {done.returncode}:\n      "
                            + tail(done.stdout + done.stderr))
        scores = self.scores(run_dir, problems)
        for student, score in expected.items():
            got = scores.get(student)
            if got != [score, float(work.TOTAL)]:
                problems.append(f"{label}: {student}: gradebook score {got}, expected [{score:g}, {work.TOTAL}]")
            # The control's wrong student must fail exactly the last check (softmax_loss).
            failing = set(work.ITEMS[len(work.ITEMS) - round((work.TOTAL - score) / work.POINTS):])
            problems.extend(f"{label}: {student}: {p}" for p in self.check_autograded(run_dir, student, failing))
        if set(scores) != set(expected):
            problems.append(f"{label}: the gradebook has {len(scores)} submissions for {len(expected)} students")
        return wall, cpu

    def scores(self, root: Path, problems: list[str]) -> dict[str, list[float]]:
        """{student: [score, max_score]} from nbgrader's gradebook, read through nbgrader's own API."""
        script = ("import json, sys\nfrom nbgrader.api import Gradebook\n"
                  "with Gradebook('sqlite:///' + sys.argv[1] + '/gradebook.db', 'versus') as gb:\n"
                  "    print(json.dumps({s.student.id: [s.score, s.max_score] "
                  "for s in gb.find_assignment(sys.argv[2]).submissions}))\n")
        done = subprocess.run([str(self.venv / "bin" / "python"), "-c", script, str(root), A],
                              capture_output=True, text=True, env=self.env)
        if done.returncode != 0:
            problems.append("nbgrader: could not read the gradebook:\n      " + tail(done.stderr))
            return {}
        return json.loads(done.stdout)

    @staticmethod
    def check_autograded(root: Path, student: str, failing: set[str]) -> list[str]:
        """The autograded notebook ran the restored hidden checks (a test cell whose hidden block was
        lost would pass with nothing in it), with an error in the test cells of ``failing`` only."""
        path = root / "autograded" / student / A / f"{A}.ipynb"
        try:
            cells = json.loads(path.read_text())["cells"]
        except (OSError, ValueError, KeyError) as exc:
            return [f"no autograded notebook ({exc})"]
        # (autograde's "Attribute 'checksum' for cell test_... has changed!" warnings are expected: the
        # gradebook keeps the checksum of the test cell with its hidden block, the released notebook
        # the one without; jupyter/nbgrader#1961. The hidden block is restored from the gradebook.)
        problems = []
        tests = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        for item, cell in zip(work.ITEMS, tests):
            source = "".join(cell["source"])
            if "### BEGIN HIDDEN TESTS" not in source or "check_array(" not in source:
                problems.append(f"test cell of {item}: its hidden checks were not restored")
            error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            if error != (item in failing):
                problems.append(f"test cell of {item}: {'an error' if error else 'no error, expected one'}")
        if len(tests) != len(work.ITEMS):
            problems.append(f"{len(tests)} test cells, expected {len(work.ITEMS)}")
        return problems


# ---------------------------------------------------------------------------------------------
# the breakdown of one nngrade grading

class PhaseClock:
    """Timers put around grader functions from outside (and three pytest hooks on GradingPlugin),
    removed by :meth:`restore`. One :meth:`reset` per grading."""

    HOOKS = ("pytest_sessionstart", "pytest_collection_finish", "pytest_sessionfinish")

    def __init__(self):
        self.saved: list[tuple[object, str, object]] = []
        self.reset()
        targets = [(grading, "stage", "stage"), (grading, "load_reference", "reference"),
                   (sandbox.Sandbox, "start", "worker start"), (proxy.StudentProxy, "load", "load"),
                   (grading, "run_tests", "run_tests"), (proxy.StudentProxy, "close", "kill"),
                   (result, "build", "build"), (result, "validate", "validate"), (result, "write", "write")]
        for owner, name, label in targets:
            self.wrap(owner, name, label)
        self.split_pytest = not any(hasattr(GradingPlugin, hook) for hook in self.HOOKS)
        if self.split_pytest:  # pytest registers every pytest_* method of the plugin object as a hook
            for hook in self.HOOKS:
                setattr(GradingPlugin, hook, self.marker(hook))
                self.saved.append((GradingPlugin, hook, None))

    def reset(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.marks: dict[str, float] = {}
        self.writing = False

    def marker(self, hook: str):
        clock = self

        def mark(plugin, session):
            clock.marks[hook] = time.perf_counter()
        return mark

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)
        clock = self

        def timed(*args, **kwargs):
            started = time.perf_counter()
            if label == "run_tests":
                clock.marks["run_tests start"] = started
            if label == "write":
                clock.writing = True
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                clock.totals[label] += elapsed
                if label == "validate" and clock.writing:
                    clock.totals["validate in write"] += elapsed
                if label == "write":
                    clock.writing = False
        setattr(owner, name, timed)
        self.saved.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self.saved):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)

    def phases(self, total: float) -> dict[str, float]:
        t, m = self.totals, self.marks
        phases = {"stage the submission (copy, hash)": t["stage"],
                  "import the reference solution": t["reference"],
                  "worker start (Sandbox.start)": t["worker start"],
                  "import the submission in the worker": t["load"] - t["worker start"]}
        if self.split_pytest and len(m) == 4:
            phases["pytest start-up and collection"] = m["pytest_collection_finish"] - m["run_tests start"]
            phases["tests (5 checks, calls through the proxy)"] = (m["pytest_sessionfinish"]
                                                                  - m["pytest_collection_finish"])
            phases["pytest wrap-up"] = t["run_tests"] - (m["pytest_sessionfinish"] - m["run_tests start"])
        else:
            phases["pytest (collection and tests)"] = t["run_tests"]
        phases["worker kill"] = t["kill"]
        phases["result build and schema check"] = t["build"] + t["validate"] - t["validate in write"]
        phases["result writing (check, atomic write)"] = t["write"]
        phases["everything else"] = total - sum(phases.values())
        return phases


def breakdown(course: Path, tmp: Path, runs: int, backend: str) -> tuple[dict, list[str]]:
    """Phases of ``runs`` gradings (after one cold one) of the .py and the .ipynb with ``backend``,
    in this process; ({kind: {phase: [seconds]}}, problems)."""
    import warnings

    folder = tmp / "breakdown"
    folder.mkdir()
    files = {".py": folder / "student.py", ".ipynb": folder / "student.ipynb"}
    files[".py"].write_text(work.STUDENT_MODULE)
    files[".ipynb"].write_text(work.completed_starter_notebook(course / "assignments" / A / f"{A}.ipynb"))
    table: dict[str, dict[str, list[float]]] = {}
    problems = []
    clock = PhaseClock()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for kind, path in files.items():
                table[kind] = defaultdict(list)
                for index in range(runs + 1):
                    clock.reset()
                    started = time.perf_counter()
                    document = api.run(submission=path, assignment=A, course=course, output=folder / "result.json",
                                       seed=index, sandbox_backend=backend)
                    total = time.perf_counter() - started
                    if document["score"] != work.TOTAL or document["extra_data"]["status"] != "graded":
                        problems.append(f"breakdown {kind}: score {document['score']}, "
                                        f"status {document['extra_data']['status']}")
                    if index == 0:
                        continue  # cold: imports, caches
                    for phase, seconds in clock.phases(total).items():
                        table[kind][phase].append(seconds)
                    table[kind]["total (api.run)"].append(total)
    finally:
        clock.restore()
    return table, problems


# ---------------------------------------------------------------------------------------------

def load_note() -> str:
    """The 1-minute load average: other work on the machine inflates every wall time."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return "load average unknown"
    cpus = os.cpu_count() or 1
    busy = "  <- busy machine: wall times are inflated" if load > 0.5 * cpus else ""
    return f"1-min load average {load:.2f}{busy}"


def machine(versions: dict, bwrap_used: str, load_at_start: str) -> list[str]:
    bwrap = sandbox.bwrap_path()
    bwrap_version = ""
    if bwrap:
        done = subprocess.run([bwrap, "--version"], capture_output=True, text=True)
        bwrap_version = done.stdout.strip()
    return [f"  cpus      os.cpu_count() = {os.cpu_count()}; {load_at_start} at the start",
            f"  os        {platform.platform()}",
            f"  python    {platform.python_version()} ({sys.executable})",
            f"  numpy     {np.__version__} (nngrade and pytest), {versions.get('numpy', '?')} (nbgrader's kernel)",
            f"  nngrade   {grader.__version__} from {Path(grader.__file__).parent}",
            f"  nbgrader  {versions.get('nbgrader', '?')} (nbconvert {versions.get('nbconvert', '?')}, "
            f"nbclient {versions.get('nbclient', '?')}, jupyter_client {versions.get('jupyter_client', '?')}, "
            f"ipykernel {versions.get('ipykernel', '?')}), its own venv",
            f"  pytest    {__import__('pytest').__version__}",
            f"  sandbox   nngrade graded with: {bwrap_used}"
            + (f" ({bwrap} {bwrap_version})" if bwrap else " (bwrap not installed)")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default="20,100", help="class sizes, comma-separated (default 20,100)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per system and class size (default 3)")
    parser.add_argument("--quick", action="store_true", help="N = 20 only, 1 repeat")
    parser.add_argument("--breakdown-runs", type=int, default=5,
                        help="gradings per kind timed for the breakdown (default 5, after one cold)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "nngrade-bench",
                        help="where nbgrader's virtualenv is kept (default ~/.cache/nngrade-bench)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.students.split(",") if s.strip()]
    except ValueError:
        parser.error("--students takes whole numbers separated by commas, e.g. 20,100")
    if args.quick:
        sizes, args.repeats = [20], 1
    if not sizes or min(sizes) < 1 or args.repeats < 1 or args.breakdown_runs < 1:
        parser.error("--students, --repeats and --breakdown-runs must be at least 1")

    wall_started = time.perf_counter()
    load_at_start = load_note()
    problems: list[str] = []
    sandboxes: set = set()
    venv, versions = ensure_nbgrader(args.cache)
    tmp = Path(tempfile.mkdtemp(prefix="nngrade-versus-"))
    try:
        course = tmp / "course"
        log(f"building the three courses in {tmp}")
        build_nngrade_course(course, problems)
        nbgrader = Nbgrader(venv, tmp)
        if not problems:
            nbgrader.setup(problems)
        if problems:
            print("FAILED: the work could not be built; no time is printed\n  " + "\n  ".join(problems))
            return 1
        starter = course / "assignments" / A / f"{A}.ipynb"
        forms = {  # system -> (submission text of the correct student, of the control's wrong one)
            "nngrade .py": (work.STUDENT_MODULE, work.WRONG_MODULE),
            "nngrade .ipynb": (work.completed_starter_notebook(starter),
                               work.completed_starter_notebook(starter, work.WRONG_MODULE)),
            "nbgrader .ipynb": (work.nbgrader_submission(nbgrader.released),
                                work.nbgrader_submission(nbgrader.released, work.WRONG_MODULE)),
            "pytest .py": (work.STUDENT_MODULE, work.WRONG_MODULE),
        }
        counter = iter(range(10**9))

        def run(system: str, students: dict[str, str], expected: dict[str, float]) -> tuple[float, float]:
            run_dir = tmp / "runs" / f"{next(counter):03d}"
            if system.startswith("nngrade"):
                times = run_nngrade(course, run_dir, students, system.split()[1], expected, problems, sandboxes)
            elif system.startswith("nbgrader"):
                times = nbgrader.run(run_dir, students, expected, problems)
            else:
                passes = {s: round(score / work.POINTS) for s, score in expected.items()}
                times = run_pytest(run_dir, students, passes, problems)
            if not args.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
            return times

        log("control (untimed, also warms the caches): a correct submission and one whose softmax dx "
            "is 50x too large (not averaged over the batch), by each system")
        for system in SYSTEMS:
            good, wrong = forms[system]
            run(system, {"student_ok": good, "student_wrong": wrong},
                {"student_ok": float(work.TOTAL), "student_wrong": float(work.WRONG_SCORE)})
        if problems:
            print("FAILED: the control class was graded wrongly; no time is printed\n  " + "\n  ".join(problems))
            return 1

        walls: dict[tuple[str, int], list[float]] = defaultdict(list)
        cpus: dict[tuple[str, int], list[float]] = defaultdict(list)
        total_runs, done_runs = args.repeats * len(sizes) * len(SYSTEMS), 0
        for repeat in range(args.repeats):
            for size_index, n in enumerate(sizes):
                shift = (repeat * len(sizes) + size_index) % len(SYSTEMS)
                order = SYSTEMS[shift:] + SYSTEMS[:shift]
                for system in order:
                    ids = student_ids(n)
                    wall, cpu = run(system, {s: forms[system][0] for s in ids}, {s: float(work.TOTAL) for s in ids})
                    walls[system, n].append(wall)
                    cpus[system, n].append(cpu)
                    done_runs += 1
                    log(f"  [{done_runs}/{total_runs}] repeat {repeat + 1}, N={n}: {system} graded")
        log(f"breakdown: {args.breakdown_runs} gradings each of the .py and the .ipynb, in this process")
        backend = next(iter(sandboxes)) if len(sandboxes) == 1 else "bwrap" if sandbox.bwrap_path() else "subprocess"
        table, more = breakdown(course, tmp, args.breakdown_runs, backend)
        problems += more
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    if problems:
        print(f"FAILED: {len(problems)} grade(s) wrong; no time is printed (a wrong grader's speed means nothing)")
        for problem in problems[:20]:
            print(f"  {problem}")
        return 1

    bwrap_used = ", ".join(sorted(str(s) for s in sandboxes))
    print("nngrade vs nbgrader vs plain pytest: the same 5 checks (50 points), N identical correct students")
    print("\n".join(machine(versions, bwrap_used, load_at_start)))
    print(f"  run       N = {', '.join(map(str, sizes))}; {args.repeats} repeat(s); systems alternated; "
          f"nngrade -j 2, pytest 2 processes at a time, nbgrader one notebook at a time")
    print("\nper submission = whole-process wall time / N (median of the repeats; min, max); "
          "CPU = all the run's processes' CPU time / N (median)")
    print(f"  {'system':<16} {'N':>4}   {'per submission':>14}   {'min':>8}   {'max':>8}   {'CPU':>8}"
          f"   {'whole run':>9}")
    medians = {}
    for n in sizes:
        for system in SYSTEMS:
            per = [w / n for w in walls[system, n]]
            medians[system, n] = statistics.median(per)
            print(f"  {system:<16} {n:>4}   {medians[system, n] * 1000:>11.0f} ms   {min(per) * 1000:>5.0f} ms   "
                  f"{max(per) * 1000:>5.0f} ms   {statistics.median(cpus[system, n]) / n * 1000:>5.0f} ms   "
                  f"{statistics.median(walls[system, n]):>7.1f} s")
    cpu_medians = {key: statistics.median(values) / key[1] for key, values in cpus.items()}
    print("\nratios of the medians per submission (wall: what a TA waits for; CPU: the work done, whatever the "
          "parallelism)")
    print(f"  {'':<6} {'nbgrader / nngrade:':<20} {'wall .py':>9} {'wall .ipynb':>12} {'CPU .py':>9} {'CPU .ipynb':>11}"
          f"   {'nngrade .py / pytest .py (wall)':>32}")
    for n in sizes:
        nb, nb_cpu = medians["nbgrader .ipynb", n], cpu_medians["nbgrader .ipynb", n]
        print(f"  N={n:<4} {'':<20} {nb / medians['nngrade .py', n]:>8.1f}x {nb / medians['nngrade .ipynb', n]:>11.1f}x"
              f" {nb_cpu / cpu_medians['nngrade .py', n]:>8.1f}x {nb_cpu / cpu_medians['nngrade .ipynb', n]:>10.1f}x"
              f"   {medians['nngrade .py', n] / medians['pytest .py', n]:>31.2f}x")
    if len(sizes) >= 2:
        low, high = min(sizes), max(sizes)
        print(f"\nfixed cost per run and cost per submission (a line through the medians at N={low} and N={high})")
        for system in SYSTEMS:
            w_low, w_high = medians[system, low] * low, medians[system, high] * high
            slope = (w_high - w_low) / (high - low)
            fixed = w_low - slope * low
            print(f"  {system:<16} fixed {fixed:6.2f} s   per submission {slope * 1000:6.0f} ms"
                  + ("   (a fixed cost below 0: smaller than the noise)" if fixed < 0 else ""))

    print(f"\nbreakdown of one nngrade grading ({backend} sandbox; grader.api.run in this process, warm; "
          f"median of {args.breakdown_runs})")
    kinds = list(table)
    print(f"  {'phase':<44}" + "".join(f"{kind:>10}" for kind in kinds))
    for phase in table[kinds[0]]:
        print(f"  {phase:<44}" + "".join(f"{statistics.median(table[k][phase]) * 1000:>7.1f} ms" for k in kinds))

    print(f"\ntarget (issue 15): nbgrader / nngrade >= {TARGET_RATIO:.0f}x per submission (wall) at N={TARGET_N} "
          f"on 2 cores (benchmark took {time.perf_counter() - wall_started:.0f} s; {load_note()} at the end)")
    if TARGET_N not in sizes:
        print(f"  not measured: N={TARGET_N} was not run")
    else:
        for kind in ("nngrade .py", "nngrade .ipynb"):
            ratio = medians["nbgrader .ipynb", TARGET_N] / medians[kind, TARGET_N]
            print(f"  {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}  nbgrader / {kind}: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
