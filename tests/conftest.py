"""Shared helpers of the project's test suite.

Submissions under tests/fixtures/<assignment>/ are one file per failure mode. A
fixture file is graded as the student's module (``layers.py`` for ``layers``);
beside it the harness puts ``correct_<module>.py`` (a copy of the reference
solution), so a fixture can ``from correct_layers import *`` and break just one thing.
"""

from __future__ import annotations

import ast
import os
import shutil
import time
import warnings
from pathlib import Path

import pytest

from grader import api
from grader.limits import DEFAULT_LIMITS
from grader.proxy import StudentProxy
from grader.sandbox import Sandbox, SandboxWarning, bwrap_path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def catalog(assignment: str) -> Path:
    """The course's catalog of correct variants and known mistakes of ``assignment``
    (``variants/`` and ``mistakes/``), kept with the rubric so ``grade audit`` finds it."""
    return REPO / "rubrics" / assignment / "catalog"


def fixture_path(assignment: str, name: str) -> Path:
    """A fixture of ``assignment``: ``mistakes/...`` and ``variants/...`` come from its catalog."""
    if name.split("/", 1)[0] in ("mistakes", "variants"):
        return catalog(assignment) / name
    return FIXTURES / assignment / name
REFERENCE = REPO / "solutions" / "layers" / "layers.py"
STARTER = REPO / "assignments" / "layers" / "layers.py"
# Why short: hang and crash tests wait out these limits; real grading uses the defaults.
SHORT_LIMITS = DEFAULT_LIMITS.replace(call_timeout=1.5, import_timeout=1.5)
BACKENDS = ["subprocess"] + (["bwrap"] if bwrap_path() else [])
needs_bwrap = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")


def stage_fixture(name: str, into: Path, *, assignment: str = "layers") -> Path:
    """A submission folder: fixture ``name`` as the student's module (or a fixture folder),
    plus ``correct_<module>.py``, a copy of the reference solution. The module is
    named like the assignment in this course (layers.py, losses.py, ...)."""
    source = fixture_path(assignment, name)
    folder = into / assignment / name.removesuffix(".py")
    if source.is_dir():
        shutil.copytree(source, folder)
    else:
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / f"{assignment}.py")
    shutil.copyfile(REPO / "solutions" / assignment / f"{assignment}.py", folder / f"correct_{assignment}.py")
    return folder


@pytest.fixture
def grade_fixture(tmp_path):
    """grade_fixture(name, assignment=...) grades a fixture submission with short limits."""

    def grade(name: str, *, assignment: str = "layers", limits=SHORT_LIMITS, seed: int = 2024,
              backend: str = "auto") -> dict:
        folder = stage_fixture(name, tmp_path, assignment=assignment)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SandboxWarning)
            return api.run(submission=folder, assignment=assignment, course=REPO, seed=seed,
                           limits=limits, sandbox_backend=backend)

    return grade


def scores(document: dict) -> dict:
    """{item id: score} of a result document."""
    return {t["extra_data"]["item"]: t["score"] for t in document["tests"]}


def full_marks(document: dict) -> dict:
    return {t["extra_data"]["item"]: t["max_score"] for t in document["tests"]}


def feedback(document: dict, item: str) -> str:
    return next(t["output"] for t in document["tests"] if t["extra_data"]["item"] == item)


@pytest.fixture
def student_code(tmp_path):
    """student_code(source, backend) -> a StudentProxy for a layers.py holding ``source``."""
    proxies = []

    def make(source: str, backend: str, *, limits=SHORT_LIMITS) -> StudentProxy:
        folder = tmp_path / f"submission{len(proxies)}"
        folder.mkdir()
        (folder / "layers.py").write_text(source)
        sandbox = Sandbox(submission_dir=folder, limits=limits, backend=backend,
                          hidden_paths=(REPO / "solutions", REPO / "rubrics"))
        proxy = StudentProxy(sandbox=sandbox, module="layers", limits=limits)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


def worker_processes(marker: str = "grader.worker") -> list[int]:
    """PIDs (Linux /proc) whose command line contains ``marker``, but for this process's warm
    sandbox itself (it lives between submissions by design; the workers it forks count)."""
    from grader import zygote
    resident = zygote.resident_pids()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and int(entry.name) not in resident:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> set[int]:
    """PIDs of every process below ``pid`` (Linux /proc), at this moment."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def wait_until_gone(pids: set[int], seconds: float = 10.0) -> set[int]:
    """Wait for ``pids`` to exit; return those still alive (zombies count as gone)."""
    deadline = time.monotonic() + seconds
    while True:
        alive = set()
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.add(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def public_functions(tree: ast.Module) -> dict:
    """{name: (signature, docstring)} of a module's top-level public functions."""
    return {node.name: (ast.unparse(node.args), ast.get_docstring(node))
            for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
