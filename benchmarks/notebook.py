"""How much does a notebook cost, and how fast is ``grade local``?

Usage::

    python benchmarks/notebook.py [--assignment layers] [--repeats R]

1. Grades the reference solution of the assignment as a ``.py`` file and as the
   course's starter notebook completed with the reference code, with a training
   loop that never ends and a plot at the bottom (only definitions run, so the
   loop is skipped), interleaved, through ``grader.api.run``, per sandbox
   backend. Target: the notebook within 0.5 s of the ``.py`` (median).
2. Builds the student release of the assignment, copies it to a fresh folder,
   pastes the reference into the student's module and runs the ``grade local``
   command there as a student would (a new process each time: interpreter
   start, imports, public tests, table). Target: under 2 s (median).

3. Grades every notebook of the corpus (``tests/fixtures/notebooks/``, each the reference of an
   assignment written as a student would) and its ``.py`` twin (the reference, with the
   modules the assignment requires beside it), interleaved, in the default mode (definitions
   only), and prints the ratio of the notebooks' total time to the twins'. Target: within
   20% (ratio at most 1.20). ``--corpus-only`` runs this part alone.

Every graded run must get full marks (all public items for ``grade local``),
or the script exits with status 1. Missed targets print FAIL (exit status 0:
timings depend on the machine; the load average is printed with them).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's grader, whatever is installed

import nbformat  # noqa: E402

from grader import api, sandbox  # noqa: E402

TRAINING_AND_PLOT = [
    nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nlosses = []\nwhile True:\n    losses.append(0.0)"),
    nbformat.v4.new_code_cell("plt.plot(losses)\nplt.show()"),
]


def completed_notebook(assignment: str) -> nbformat.NotebookNode:
    """The starter notebook with each reference function pasted over the starter's."""
    reference_source = (REPO / "solutions" / assignment / f"{assignment}.py").read_text()
    lines = reference_source.splitlines()
    reference = {n.name: lines[n.lineno - 1:n.end_lineno] for n in ast.parse(reference_source).body
                 if isinstance(n, ast.FunctionDef)}
    starter = REPO / "assignments" / assignment / f"{assignment}.ipynb"
    if starter.is_file():
        document = nbformat.read(starter, as_version=4)
    else:  # no starter notebook: the reference file in one cell
        document = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(reference_source)])
    for cell in document.cells:
        if cell.cell_type != "code":
            continue
        cell_lines = cell.source.splitlines()
        for node in reversed([n for n in ast.parse(cell.source).body if getattr(n, "name", None) in reference]):
            cell_lines[node.lineno - 1:node.end_lineno] = reference[node.name]
        cell.source = "\n".join(cell_lines)
    document.cells += TRAINING_AND_PLOT
    return document


CORPUS = REPO / "tests" / "fixtures" / "notebooks"


def corpus_ratio(scratch: Path, repeats: int, backend: str) -> int:
    """Part 3: the corpus in the default mode against the .py twins; returns an exit status."""
    from grader import course

    corpus = json.loads((CORPUS / "CORPUS.json").read_text())
    limits = api.DEFAULT_LIMITS
    totals = {"py": 0.0, "ipynb": 0.0}
    per_assignment: dict[str, dict[str, float]] = {}
    for name, a in sorted(corpus.items()):
        folders = {}
        for kind in ("py", "ipynb"):
            folder = scratch / "corpus" / name / kind
            folder.mkdir(parents=True)
            for module, dependency in course.load(REPO, a).required_modules().items():
                shutil.copyfile(dependency, folder / f"{module}.py")
            source = REPO / "solutions" / a / f"{a}.py" if kind == "py" else CORPUS / f"{name}.ipynb"
            shutil.copyfile(source, folder / f"{a}.{kind}")
            folders[kind] = folder
        for _ in range(repeats):
            for kind in ("py", "ipynb"):
                started = time.perf_counter()
                document = api.run(submission=folders[kind], assignment=a, course=REPO, seed=1, limits=limits,
                                   sandbox_backend=backend)
                spent = time.perf_counter() - started
                totals[kind] += spent
                per_assignment.setdefault(a, {"py": 0.0, "ipynb": 0.0})[kind] += spent
                if document["score"] != document["extra_data"]["max_score"]:
                    print(f"  INVALID: {name} ({kind}) got {document['score']:g}\n{document['output']}")
                    return 1
    print(f"notebook corpus ({len(corpus)} notebooks, default mode, sandbox {backend}, {repeats} run(s) each):")
    for a, spent in sorted(per_assignment.items()):
        print(f"  {a:<8} notebooks {spent['ipynb']:6.2f} s   .py twins {spent['py']:6.2f} s   "
              f"ratio {spent['ipynb'] / spent['py']:.2f}")
    ratio = totals["ipynb"] / totals["py"]
    print(f"  [{verdict(ratio <= 1.20)}] notebook/.py time ratio {ratio:.2f} "
          f"({totals['ipynb']:.2f} s / {totals['py']:.2f} s; target: at most 1.20)")
    return 0


def median_line(label: str, times: list[float]) -> str:
    return (f"  {label:<40} median {statistics.median(times) * 1000:7.0f} ms   "
            f"min {min(times) * 1000:7.0f} ms   max {max(times) * 1000:7.0f} ms   (n={len(times)})")


def verdict(ok: bool) -> str:
    return "ok  " if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="layers")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--corpus-repeats", type=int, default=1)
    parser.add_argument("--corpus-only", action="store_true", help="only part 3: the corpus ratio")
    args = parser.parse_args()
    a = args.assignment
    if args.corpus_only:
        scratch = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sandbox.SandboxWarning)
                return corpus_ratio(scratch, args.corpus_repeats, "auto")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"nngrade notebook and grade-local timings ({a}); load average {load:.2f} on {os.cpu_count()} cores")
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-bench-"))
    try:
        py = scratch / f"{a}.py"
        shutil.copyfile(REPO / "solutions" / a / f"{a}.py", py)
        ipynb = scratch / f"{a}.ipynb"
        nbformat.write(completed_notebook(a), ipynb)
        backends = ["subprocess"] + (["bwrap"] if sandbox.bwrap_path() else [])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sandbox.SandboxWarning)
            for backend in backends:
                times: dict[str, list[float]] = {"py": [], "ipynb": []}
                for _ in range(args.repeats):
                    for kind, path in (("py", py), ("ipynb", ipynb)):
                        started = time.perf_counter()
                        document = api.run(submission=path, assignment=a, course=REPO, seed=1,
                                           sandbox_backend=backend)
                        times[kind].append(time.perf_counter() - started)
                        if document["score"] != document["extra_data"]["max_score"]:
                            print(f"  INVALID: {path.name} got {document['score']:g}\n{document['output']}")
                            return 1
                print(f"grade run, sandbox {backend}:")
                print(median_line(f"{a}.py (reference)", times["py"]))
                print(median_line(f"{a}.ipynb (+ endless training, plot)", times["ipynb"]))
                extra = statistics.median(times["ipynb"]) - statistics.median(times["py"])
                print(f"  [{verdict(extra <= 0.5)}] notebook costs {extra * 1000:+.0f} ms over the .py "
                      "(target: within 500 ms)")

        released = api.release(output=scratch / "release", assignments=[a], course=REPO)[0]
        student = scratch / "student" / a
        shutil.copytree(released.folder, student)
        shutil.copyfile(REPO / "solutions" / a / f"{a}.py", student / f"{a}.py")
        if (student / f"{a}.ipynb").exists():
            os.utime(student / f"{a}.ipynb", ns=(0, 0))
        grade = shutil.which("grade")
        command = [grade] if grade else [sys.executable, "-m", "grader.cli"]
        env = {k: v for k, v in os.environ.items() if k != "NNGRADE_COURSE"}
        items = len(json.loads((student / "public_rubric.json").read_text())["items"])
        for backend in backends:
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                done = subprocess.run([*command, "local", "--sandbox", backend], cwd=student, env=env,
                                      capture_output=True, text=True, timeout=120)
                times.append(time.perf_counter() - started)
                if done.returncode != 0 or f"{items} of {items} public items pass." not in done.stdout:
                    print(f"  INVALID: grade local did not pass every public item:\n{done.stdout}{done.stderr}")
                    return 1
            print(f"grade local (a new process each run), sandbox {backend}:")
            print(median_line("whole command", times))
            print(f"  [{verdict(statistics.median(times) < 2.0)}] target: under 2 s")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sandbox.SandboxWarning)
            status = corpus_ratio(scratch, args.corpus_repeats, "auto")
        if status:
            return status
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
