"""The pytest plugin that lets hidden tests be ordinary pytest tests.

Fixtures (trusted process):

``student``
    :class:`grader.proxy.StudentProxy`: ``student.affine_forward(x, w, b)`` runs
    the submission's function in the sandboxed worker and returns plain data.
``ref``
    The reference solution; each call gets deep copies of its arguments, so the
    reference always sees pristine inputs (a gradient check calls it on one copy of
    its own instead, checked after: :func:`grader.testing.central_differences`).
``rng``
    A ``np.random.Generator`` seeded from the run's seed and the test's id.
``seed``
    The run's seed (an int).
``artifacts``
    :class:`Artifacts`: files attached to the result, saved beside the result JSON.

Marker: ``@pytest.mark.item("affine_backward_dw")`` says which rubric item a
test serves; every test must carry exactly one.

Outcomes: a test passes, fails through the student's fault (any
``AssertionError``, including :class:`grader.failure.StudentFailure`, or
``pytest.fail``), or fails through the grader's fault (anything else).

Helper modules: a hidden test may ``import <name>`` of a course helper module (not a
test file) that sits next to it, ``rubrics/<assignment>/tests/<name>.py``, or at course
level, ``rubrics/<name>.py`` (see :func:`helper_modules`). They are importable only while
that assignment's hidden tests run in the trusted process (:func:`importable_helpers`),
and out of ``sys.modules`` between runs. A process that grades again with unchanged test
files reuses the test modules and helpers it imported (:mod:`grader.session`): keep no
state of one run in their globals; fixtures (of every scope) are made anew for each submission.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.abc
import importlib.util
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from grader.result import Outcome  # noqa: F401  (re-exported: tests import it from here)
from grader.failure import GraderError, StudentFailure, escape


def seed_sequence(seed: int, nodeid: str) -> np.random.SeedSequence:
    """The seed sequence of one test: the run's seed and a stable hash of the test id."""
    digest = int.from_bytes(hashlib.sha256(nodeid.encode("utf-8")).digest()[:8], "big")
    return np.random.SeedSequence([seed, digest])


class Artifacts:
    """Files a test attaches to the result (a learning-curve plot, a table), saved beside it.

    ``artifacts.add("learning_curves.png", png_bytes)``; names are short and plain,
    and each file is capped in size.
    """

    # Why: a plot or a table is a few hundred KiB at most; the cap keeps a test bug
    # from filling the results folder of a thousand-student batch.
    MAX_BYTES = 2 * 1024 * 1024
    NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def add(self, name: str, data: bytes | str) -> None:
        if not self.NAME.match(name) or ".." in name:
            raise ValueError(f"artifact name {name!r} must be a plain file name (letters, digits, _ . -)")
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(payload) > self.MAX_BYTES:
            raise ValueError(f"artifact {name!r} is {len(payload)} bytes, over {self.MAX_BYTES}")
        self.files[name] = payload


class ReferenceFunction:
    """One function of the reference solution, called with deep copies of its arguments: it
    always sees pristine inputs, and a reference that changes its inputs never changes the test's.

    ``uncopied`` is the function itself, for trusted helpers that call it many times on inputs
    no test holds: :func:`grader.testing.central_differences` gives it its own copies, and keeps
    the result only if the reference left them as they were."""

    def __init__(self, name: str, function):
        self.__name__ = self.__qualname__ = name
        self.uncopied = function

    def __call__(self, *args, **kwargs):
        return self.uncopied(*copy.deepcopy(args), **copy.deepcopy(kwargs))

    def __repr__(self) -> str:
        return f"<reference {self.__name__}>"


class Reference:
    """The reference module, called with deep copies of every argument."""

    def __init__(self, module: types.ModuleType):
        self._module = module

    def __getattr__(self, name: str) -> ReferenceFunction:
        return ReferenceFunction(name, getattr(self._module, name))


class GradingPlugin:
    """One submission's grading as pytest sees it: what the fixtures give its tests, and what
    the hooks report (outcomes, collection errors, the rubric item of each test).

    pytest itself calls a :class:`Relay`, registered once per pytest session
    (:mod:`grader.session`), which passes every fixture and hook on to the GradingPlugin of
    the submission being graded now."""

    def __init__(self, *, student, reference: types.ModuleType | None, seed: int, item_ids: set[str],
                 observer=None):
        self._student = student
        # ``grade audit`` only: told which test starts (``observer.begin(nodeid, item)``).
        self._observer = observer
        self._reference = reference
        self._seed = seed
        self._item_ids = item_ids
        self.outcomes: list[Outcome] = []
        self.collection_errors: list[str] = []
        self.collected: dict[str, str | None] = {}
        self.attached = Artifacts()

    # -- what the fixtures give (declared by Relay) ----------------------------
    def student(self):
        if self._student is None:
            pytest.fail("no submission is being graded (collect-only run)")
        return self._student

    def ref(self) -> Reference:
        if self._reference is None:
            raise RuntimeError("the reference solution is not available in this run")
        return Reference(self._reference)

    def artifacts(self) -> Artifacts:
        return self.attached

    def seed(self) -> int:
        return self._seed

    def rng(self, nodeid: str) -> np.random.Generator:
        return np.random.default_rng(seed_sequence(self._seed, nodeid))

    # -- hooks (passed on by Relay) ---------------------------------------------
    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {escape(str(report.longrepr), 3000)}")

    def pytest_collection_modifyitems(self, items):
        for test in items:
            markers = list(test.iter_markers("item"))
            item_id = markers[0].args[0] if len(markers) == 1 and markers[0].args else None
            if len(markers) != 1 or item_id not in self._item_ids:
                item_id = None
            self.collected[test.nodeid] = item_id

    def pytest_runtest_makereport(self, item, call, report):
        """The report pytest made of one phase (setup, call, teardown) of a test."""
        item_id = self.collected.get(item.nodeid)
        if item_id is None and call.when == "setup":
            markers = [m.args for m in item.iter_markers("item")]
            self._record(Outcome(item.nodeid, None, "grader_error",
                                 f"{item.nodeid} must carry exactly one @pytest.mark.item(<rubric item id>) "
                                 f"naming an item of the rubric; it has {markers}"))
            return
        if report.passed and call.when != "call":
            return
        if report.passed:
            self._record(Outcome(item.nodeid, item_id, "passed"))
            return
        excinfo = call.excinfo
        if report.skipped:
            reason = str(excinfo.value) if excinfo else "skipped"
            self._record(Outcome(item.nodeid, item_id, "grader_error", f"{item.nodeid} was skipped: {reason}"))
        elif excinfo is not None and (excinfo.errisinstance(AssertionError)
                                      or excinfo.errisinstance(pytest.fail.Exception)):
            message = str(excinfo.value) or "a check failed"
            if not excinfo.errisinstance(StudentFailure):
                message = escape(message, 3000)
            self._record(Outcome(item.nodeid, item_id, "failed", message))
        else:
            where = ""
            if excinfo is not None:
                entry = excinfo.traceback[-1]
                where = f" at {entry.path}:{entry.lineno + 1}"
                detail = f"{excinfo.typename}: {escape(str(excinfo.value), 2000)}"
            else:
                detail = str(report.longrepr)[:2000]
            self._record(Outcome(item.nodeid, item_id, "grader_error",
                                 f"{item.nodeid} ({call.when}) raised {detail}{where}"))

    def pytest_runtest_setup(self, item):
        if self._observer is not None:
            self._observer.begin(item.nodeid, self.collected.get(item.nodeid))

    def pytest_runtest_teardown(self, item):
        if self._student is not None and self.outcomes and self.outcomes[-1].nodeid == item.nodeid:
            self.outcomes[-1].printed = self._student.take_printed()

    def _record(self, outcome: Outcome) -> None:
        # A test may report in setup, call and teardown; keep its first non-pass.
        for index, existing in enumerate(self.outcomes):
            if existing.nodeid == outcome.nodeid:
                if existing.status == "passed" and outcome.status != "passed":
                    self.outcomes[index] = outcome
                return
        self.outcomes.append(outcome)


class Relay:
    """The pytest plugin of one pytest session (:mod:`grader.session`), which may grade one
    submission after another: its fixtures and hooks pass everything on to ``current``, the
    :class:`GradingPlugin` of the submission being graded now. Every fixture is function-scoped,
    so no test ever sees an earlier submission's student, reference, seed or artifacts."""

    def __init__(self):
        self.current: GradingPlugin | None = None
        self.collection_failed = False  # a test file did not import: such a session is never kept

    # -- fixtures -------------------------------------------------------------
    @pytest.fixture
    def student(self):
        return self.current.student()

    @pytest.fixture
    def ref(self) -> Reference:
        return self.current.ref()

    @pytest.fixture
    def artifacts(self) -> Artifacts:
        return self.current.artifacts()

    @pytest.fixture
    def seed(self) -> int:
        return self.current.seed()

    @pytest.fixture
    def rng(self, request) -> np.random.Generator:
        return self.current.rng(request.node.nodeid)

    # -- hooks ----------------------------------------------------------------
    def pytest_configure(self, config):
        config.addinivalue_line("markers", "item(id): the rubric item this test serves")
        # Why: outcomes are read from the exception itself; building pytest's traceback
        # text costs ~25 ms per failing test and nobody reads it.
        config.option.tbstyle = "no"

    def pytest_collectreport(self, report):
        self.collection_failed = self.collection_failed or report.failed
        self.current.pytest_collectreport(report)

    def pytest_collection_modifyitems(self, items):
        self.current.pytest_collection_modifyitems(items)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        self.current.pytest_runtest_makereport(item, call, outcome.get_result())

    def pytest_runtest_setup(self, item):
        self.current.pytest_runtest_setup(item)

    def pytest_runtest_teardown(self, item):
        self.current.pytest_runtest_teardown(item)

    # A GradingPlugin may have these three (benchmarks/versus.py times the phases with them);
    # grader.session calls them on every grading, also when it reuses a session.
    def pytest_sessionstart(self, session):
        self._pass_on("pytest_sessionstart", session)

    def pytest_collection_finish(self, session):
        self._pass_on("pytest_collection_finish", session)

    def pytest_sessionfinish(self, session):
        self._pass_on("pytest_sessionfinish", session)

    def _pass_on(self, hook: str, session) -> None:
        method = getattr(self.current, hook, None)
        if method is not None:
            method(session)


# -- helper modules of the hidden tests ------------------------------------------------------
def helper_modules(hidden_tests: Path) -> dict[str, Path]:
    """{module name: file} of the helper modules the hidden tests in ``hidden_tests``
    (``rubrics/<assignment>/tests/``) may import: every ``*.py`` directly in that folder that
    is not a test file (``test_*.py``) nor ``conftest.py``, and every ``*.py`` directly in the
    course's ``rubrics/`` folder (shared by every assignment). Nothing in subfolders.

    A name found at both levels, or that is not a Python identifier, is a
    :class:`GraderError` (the course's fault)."""
    found: dict[str, Path] = {}
    for folder in (Path(hidden_tests), Path(hidden_tests).parent.parent):
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            name = path.stem
            if name.startswith("test_") or name == "conftest":
                continue
            if not name.isidentifier():
                raise GraderError(f"{path}: a helper module of the hidden tests needs a name Python can import "
                                  "(letters, digits and _); rename it")
            if name in found:
                raise GraderError(f"{path} and {found[name]}: two helper modules of the hidden tests named "
                                  f"{name!r}; rename one")
            found[name] = path.resolve()
    return found


class _HelperFinder(importlib.abc.MetaPathFinder):
    """Finds exactly the helper modules it was given, by name, and nothing else."""

    def __init__(self, modules: dict[str, Path]):
        self._modules = modules

    def find_spec(self, fullname, path=None, target=None):
        file = self._modules.get(fullname)
        return importlib.util.spec_from_file_location(fullname, file) if file is not None and path is None else None


@contextlib.contextmanager
def importable_helpers(hidden_tests: Path | None, kept: dict[str, types.ModuleType] | None = None):
    """While active, ``import <name>`` finds the helper modules of ``hidden_tests`` (see
    :func:`helper_modules`); ``None``: none (a run without hidden tests). Afterwards they are
    removed from ``sys.modules`` and no longer importable, so no helper leaks into another
    assignment's run or survives a change of the course.

    ``kept`` ({name: module}, of a session that grades again with test modules it imported
    earlier, :mod:`grader.session`): those helpers, still those files, are put back into
    ``sys.modules`` for the run, so a test module and an ``import`` at run time share one
    module, as in the run that first imported them; every helper loaded by the end is stored in it.

    Only the trusted process does this (workers never see ``rubrics/``). A helper named like
    a module Python already finds (``numpy.py``, ``layers.py`` of a loaded reference) would
    shadow it for the whole grader, so it is a :class:`GraderError` instead."""
    modules = helper_modules(hidden_tests) if hidden_tests is not None else {}
    for name, path in modules.items():
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            raise GraderError(f"{path}: a helper module of the hidden tests may not be named {name!r}: Python already "
                              "imports a module of that name here; rename the helper")
    finder = _HelperFinder(modules)
    if modules:
        sys.meta_path.insert(0, finder)
    for name, module in (kept or {}).items():
        if name in modules and getattr(module, "__file__", None) == str(modules[name]):
            sys.modules[name] = module
    try:
        yield modules
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for name in modules:
            module = sys.modules.pop(name, None)
            if kept is not None and module is not None:
                kept[name] = module
