"""Grading of one submission: stage it, run the tests against it in pytest, build the result.

This runs in the trusted process. The student's code is only ever reached
through :class:`grader.proxy.StudentProxy`; the reference solution and the
tests are imported here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import time
import traceback
import types
from pathlib import Path


from grader import comparison, notebook, session
from grader import result as result_module
from grader.course import Assignment
from grader.failure import GraderError, StudentCodeError
from grader.limits import Limits
from grader.plugin import GradingPlugin, Outcome
from grader.proxy import StudentProxy
from grader.sandbox import Sandbox
from grader.storage import write_atomically
from grader.submission import SubmissionError, stage

# pytest options for a grading run. Each one keeps anything but our plugin and
# the course's test files out of the run:
PYTEST_ARGS = (
    "-p", "no:cacheprovider",   # why: never write .pytest_cache into the course
    "-p", "no:terminal",        # why: outcomes come from our hooks; nothing is printed
    "-p", "no:faulthandler",    # why: it would take over the grader's stderr
    "-p", "no:warnings",        # why: warnings filters of the run must not leak into the grader
    "-p", "no:stepwise",
    # why: these report exceptions nobody raised on purpose, with a full gc.collect() twice
    # per session (~40 ms of every grading); a test's own failure is reported by our plugin.
    "-p", "no:unraisableexception",
    "-p", "no:threadexception",
    "--noconftest",             # why: no conftest.py is ever loaded, the student's or anyone's
    "--assert=plain",           # why: failure messages must not quote hidden test source
    "--import-mode=importlib",  # why: test files never go on sys.path
    "--capture=no",
    "-o", "python_files=test_*.py",
    "-o", "python_classes=Test*",
    "-o", "python_functions=test_*",
)


def load_reference(path: Path, requires: dict[str, Path] | None = None) -> types.ModuleType:
    """Import the reference solution under a private name (never via sys.path).

    ``requires`` maps module names the reference imports (``layers`` for mlp) to
    their reference files; they are visible under those names only while it loads.
    """
    if not path.is_file():
        raise GraderError(f"the reference solution {path} does not exist")
    saved = {name: sys.modules.get(name) for name in (requires or {})}
    try:
        for name, dependency in (requires or {}).items():
            sys.modules[name] = load_reference(dependency)
        module_name = f"_nngrade_reference_{abs(hash(str(path)))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise GraderError(f"the reference solution {path} failed to import: {exc!r}") from exc
        return module
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous


def _confirm_factor_hints(outcomes: list[Outcome]) -> list[Outcome]:
    """Outcomes with each factor hint kept only where two failed checks of its item agree
    (see :func:`grader.comparison.confirm_factor_hints`)."""
    failed: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.status == "failed" and outcome.item:
            failed.setdefault(outcome.item, []).append(outcome)
    confirmed = comparison.confirm_factor_hints({item: [o.message for o in group] for item, group in failed.items()})
    for item, group in failed.items():
        for outcome, message in zip(group, confirmed[item]):
            outcome.message = message
    return outcomes


def run_tests(*, assignment: Assignment, plugin: GradingPlugin, test_files: list[Path],
              collect_only: bool = False) -> int:
    """Run pytest on ``test_files`` with ``plugin``; return pytest's exit code.

    When hidden tests run, their helper modules are importable (:func:`grader.plugin.importable_helpers`):
    those next to them in ``rubrics/<assignment>/tests/`` and those of the course in ``rubrics/``.
    A run of public tests alone gets none, as on a student's machine.

    A grading reuses the pytest session of the previous one in this process while the test files
    are unchanged (:mod:`grader.session`); a collect-only run always starts its own."""
    # Why --confcutdir: without it (-c /dev/null puts it at /dev) pytest 8+ collects from the top
    # folder down to each test file, listing every entry of each folder on the way: with the
    # course under /tmp, ~30 ms of each grading. Node ids stay relative to --rootdir.
    args = [*PYTEST_ARGS, "--rootdir", str(assignment.root), "-c", os.devnull, "--confcutdir", str(assignment.root)]
    if collect_only:
        args.append("--collect-only")
    args += [str(p) for p in test_files]
    hidden = getattr(assignment, "hidden_tests", None)  # a student's folder (grade local) has none
    if hidden is not None and not any(Path(p).parent == Path(hidden) for p in test_files):
        hidden = None
    return session.run(args=args, root=assignment.root, hidden=hidden, test_files=list(test_files), plugin=plugin,
                       keep=not collect_only)


def grade(*, assignment: Assignment, submission: Path, seed: int, limits: Limits, backend: str,
          include_hidden: bool = True, execute_notebook: bool = False, artifact_prefix: str | None = None,
          hidden: tuple[Path, ...] = (), observer=None) -> dict:
    """Grade ``submission`` and return the validated result document (never raises for
    anything the student did; grader faults are recorded in the document).

    A notebook submission runs only its definitions unless ``execute_notebook``
    (see :mod:`grader.notebook`); what was skipped is said in the result's output.
    Files the tests attach (the ``artifacts`` fixture) are written to
    ``artifact_prefix + name`` when a prefix is given, and listed in extra_data.
    ``hidden`` names more folders the worker must not see (a batch's input and output);
    the course's secret folders and the submission's own folder are always hidden.
    ``observer`` (``grade audit`` only, see :mod:`grader.probe`) is told each test's start
    and each call to the student's functions."""
    started = time.monotonic()
    rubric = assignment.rubric
    provenance = {"assignment": assignment.name, "submission": Path(submission).name,
                  "submission_sha256": "", "rubric_sha256": assignment.rubric_sha256(),
                  "seed": seed, "sandbox": "none", "worker_restarts": 0, "worker_timeouts": 0}
    outcomes: list[Outcome] = []
    grader_errors: list[str] = []
    problem = ""
    workdir = Path(tempfile.mkdtemp(prefix="nngrade-"))
    proxy = sandbox = None
    try:
        staged = stage(Path(submission), module=rubric.module, into=workdir)
        provenance["submission_sha256"] = staged.sha256
        reference = load_reference(assignment.solution, assignment.required_modules()) if include_hidden else None
        sandbox = Sandbox(submission_dir=staged.staged, limits=limits, backend=backend,
                          hidden_paths=assignment.secret_paths + (Path(submission).resolve().parent,)
                          + tuple(Path(p) for p in hidden))
        if staged.notebook:
            sandbox = notebook.NotebookSandbox.like(sandbox, execute=execute_notebook)
        provenance["sandbox"] = backend
        proxy = StudentProxy(sandbox=sandbox, module=rubric.module, limits=limits)
        proxy.observer = observer
        proxy.budget = limits.budget_for(len(rubric.items), rubric.time_budget)
        provenance["time_budget_seconds"] = proxy.budget
        try:
            proxy.load()
        except StudentCodeError as exc:
            problem = notebook.problem(sandbox, rubric.module, str(exc))
        if not problem:
            plugin = GradingPlugin(student=proxy, reference=reference, seed=seed,
                                   item_ids={i.id for i in rubric.items}, observer=observer)
            test_files = assignment.test_files(hidden=include_hidden)
            if not test_files:
                raise GraderError(f"assignment {assignment.name!r} has no test files")
            code = run_tests(assignment=assignment, plugin=plugin, test_files=test_files)
            outcomes = _confirm_factor_hints(plugin.outcomes)
            grader_errors += plugin.collection_errors
            if artifact_prefix is not None and plugin.attached.files:
                provenance["artifacts"] = []
                for name, data in sorted(plugin.attached.files.items()):
                    write_atomically(Path(artifact_prefix + name), data)
                    provenance["artifacts"].append(Path(artifact_prefix + name).name)
            if code not in (0, 1) and not plugin.collection_errors:
                grader_errors.append(f"pytest stopped with exit code {code}")
    except SubmissionError as exc:
        problem = str(exc)
    except GraderError as exc:
        grader_errors.append(str(exc))
    except Exception as exc:  # a bug of ours: reported as a grader error, never a student's zero
        grader_errors.append("internal error: " + "".join(traceback.format_exception(exc))[-3000:])
    finally:
        if proxy is not None:
            # A notebook's import restarts its worker itself (grader.notebook); those count too.
            provenance["worker_restarts"] = proxy.restarts + getattr(sandbox, "import_restarts", 0)
            provenance["worker_timeouts"] = proxy.timeouts + getattr(sandbox, "import_timeouts", 0)
            provenance["time_used_seconds"] = round(proxy.used, 3)
            if proxy.caps:
                provenance["caps"] = proxy.caps
            proxy.close()
        shutil.rmtree(workdir, ignore_errors=True)
    document = result_module.build(rubric=rubric, outcomes=outcomes, provenance=provenance,
                                   execution_time=time.monotonic() - started,
                                   submission_problem=problem, grader_errors=grader_errors)
    notes = notebook.feedback(sandbox, rubric.module)
    if notes:
        document["output"] += "\n\n" + notes
    result_module.validate(document)
    return document
