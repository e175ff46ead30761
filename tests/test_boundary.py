"""The trusted/untrusted boundary, as the layout shows it.

Student code runs only in the worker, and the worker is ``grader/worker/``: it loads
nothing of the trusted grader (the sandbox, grading, the pytest plugin, the CLI...), only
the two shared modules, the wire format (``grader.protocol``) and the parent-death hook
(``grader.lifeline``). Nothing imports the CLI but ``python -m grader``. Every module of
the grader stays short enough to read whole.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest
from conftest import REPO

from grader import __version__

GRADER = REPO / "grader"
# What the worker imports first: its entry point (every worker) and the notebook reader
# (a worker importing a .ipynb submission), which between them load every worker module.
WORKER_ENTRY = "grader.worker.server"
NOTEBOOK_READER = "grader.worker.notebook"
# The warm sandbox's fork server and the confinement of the workers it forks (grader.zygote).
WARM_ENTRY = "grader.worker.spawn"
WARM_ONLY = frozenset({WARM_ENTRY, "grader.worker.confine"})
# Modules of the grader the worker shares with the trusted side; they import no other.
SHARED = frozenset({"grader.protocol", "grader.lifeline"})
# What the worker never loads: the trusted grader, and what only the trusted side needs
# (starting processes, threads for the pipes, the test runner, the CLI, notebook and schema libraries).
NEVER_IN_WORKER = ("grader.sandbox", "grader.grading", "grader.plugin", "grader.cli", "grader.api",
                   "subprocess", "pytest", "click", "nbformat", "jsonschema", "threading")
# Why 400: a module a reviewer can read whole, in one sitting (the project's rule).
MAX_LINES = 400


def module_name(path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(GRADER.rglob("*.py")) if "__pycache__" not in path.parts}
WORKER_MODULES = frozenset(name for name in MODULES if name == "grader.worker" or name.startswith("grader.worker."))


def imported_modules(name: str) -> set[str]:
    """Every module ``name`` imports, at top level or inside a function, relative imports resolved;
    ``from grader import x`` counts as ``grader.x`` when x is a module."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def fresh_import(*modules: str) -> dict:
    """What a fresh ``python -I`` loads importing ``modules``, with the grader on sys.path as the
    sandbox's bootstrap puts it: {"grader": [grader modules], "never": [NEVER_IN_WORKER loaded]}."""
    code = (f"import importlib, json, sys; sys.path.insert(0, {str(REPO)!r})\n"
            f"for name in {list(modules)!r}: importlib.import_module(name)\n"
            "print(json.dumps({'grader': sorted(m for m in sys.modules if m == 'grader' or m.startswith('grader.')),"
            f" 'never': [m for m in {list(NEVER_IN_WORKER)!r} if m in sys.modules]}}))")
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_worker_with_its_notebook_reader_loads_nothing_of_the_trusted_grader():
    loaded = fresh_import(WORKER_ENTRY, NOTEBOOK_READER)
    assert loaded["never"] == []
    # Of the grader: the worker package (but the warm sandbox's part) and the two shared modules; nothing else.
    assert set(loaded["grader"]) == {"grader"} | (WORKER_MODULES - WARM_ONLY) | SHARED


def test_the_warm_sandbox_loads_the_whole_worker_and_nothing_of_the_trusted_grader():
    loaded = fresh_import(WARM_ENTRY)
    # numpy.random (imported once there, so that no forked worker pays for it) loads threading;
    # no thread is started, and the warm sandbox's forks are single-threaded (checked by unshare).
    assert loaded["never"] == ["threading"]
    assert set(loaded["grader"]) == {"grader"} | WORKER_MODULES | SHARED


def test_a_worker_for_a_py_submission_does_not_load_the_notebook_reader():
    loaded = fresh_import(WORKER_ENTRY)
    assert loaded["never"] == []
    assert set(loaded["grader"]) == {"grader", "grader.worker", WORKER_ENTRY} | SHARED


def test_the_grade_command_loads_pytest_and_the_grading_engine_only_where_it_grades():
    # The batch's own process hands submissions to pool processes and never runs a test: it does
    # without pytest and grader.grading (about 150 ms of every `grade` command's start).
    code = (f"import json, sys; sys.path.insert(0, {str(REPO)!r})\n"
            "import grader.cli, grader.batch, grader.api\n"
            "print(json.dumps([m for m in ('pytest', 'grader.grading', 'grader.plugin') if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_the_sandbox_starts_the_worker_by_its_entry_module():
    from grader.limits import DEFAULT_LIMITS
    from grader.sandbox import Sandbox

    box = Sandbox(submission_dir=REPO, limits=DEFAULT_LIMITS, backend="subprocess")
    argv, _, _ = box.command("/tmp")
    assert f"from {WORKER_ENTRY} import main; main()" in argv[-1]


@pytest.mark.parametrize("name", sorted(set(MODULES) - {"grader.__main__"}))
def test_nothing_imports_the_cli_but_python_m_grader(name):
    assert not {"grader.cli", "grader.__main__"} & imported_modules(name)


def test_python_m_grader_is_the_cli():
    assert "grader.cli" in imported_modules("grader.__main__")
    done = subprocess.run([sys.executable, "-m", "grader", "--version"], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


@pytest.mark.parametrize("name", sorted(WORKER_MODULES))
def test_the_worker_imports_no_trusted_module(name):
    imported = imported_modules(name)
    grader = {module for module in imported if module == "grader" or module.startswith("grader.")}
    assert grader <= {"grader"} | WORKER_MODULES | SHARED
    assert not imported & set(NEVER_IN_WORKER)  # not even inside a function


@pytest.mark.parametrize("name", sorted(SHARED))
def test_the_shared_modules_import_nothing_of_the_grader(name):
    assert {module for module in imported_modules(name) if module.startswith("grader")} == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_is_at_most_400_lines(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(REPO)} has {lines} lines; split it by noun"
