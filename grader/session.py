"""The pytest session of a grading, kept for the next grading in the same process.

A batch's pool process grades one submission after another with the same test files.
pytest's start-up (configuration, plugins, fixture manager: ~12 ms) and the collection
(importing the test files, parametrizing: ~5-20 ms) come out the same every time, so a
process keeps the session: the next grading, when nothing it was built from has changed,
runs the collected tests again with the new submission's
:class:`grader.plugin.GradingPlugin` (through the session's :class:`grader.plugin.Relay`).

What a run of a kept session keeps the same as a fresh ``pytest.main(args, plugins=[...])``,
so that results are identical apart from timings (``tests/test_session_reuse.py``):

- the tests, their ids (the ``rng`` seeds) and their order; fixtures of every scope are set up
  anew for each submission and all torn down at its end (the last test's teardown, then
  ``pytest_sessionfinish``), as are ``setup_module`` functions; the exit code;
- the process around the run: the ``PYTEST_*`` variables, warning filters, working directory,
  ``pytest.mark``'s configuration and ``pdb.set_trace`` are put back after every run; test
  modules, their folders' empty packages and the helper modules are in ``sys.modules`` only
  while a run is on (:func:`grader.plugin.importable_helpers`), as with ``pytest.main``.

What it reuses: the imported test modules and helper modules. So they must keep no state of
one run in module globals (none of the course's four assignments does: they hold constants,
functions and ``mlp_data``; per-run state belongs in fixtures).

A session is built afresh, and the kept one closed, when the options, the test files or the
working directory differ, or when a watched file changed: path, size, mtime_ns and SHA-256 of
the test files, their helper modules and the course modules the test modules hold (such as
``mlp_data.py``); files a test module reads as it imports are not watched. A session is not
kept after a collection error, an interrupt, an internal error or a run without tests; a
collect-only run and a grading nested in a running one get a session of their own. A process
keeps at most :data:`CAPACITY` sessions and closes them newest first, so pytest's global
changes (``pytest_configure``) are undone in order.

pytest internals used: ``_pytest.config._prepareconfig``, ``Config._do_configure`` and
``_ensure_unconfigure``, ``pytest.mark._config``, ``_pytest.debugging.pytestPDB`` and
``config._tmp_path_factory._basetemp``; :meth:`PytestSession._protocol` mirrors
``_pytest.main.wrap_session`` and ``_main``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pdb
import sys
import types
import warnings
from pathlib import Path

import pytest
from _pytest.config import _prepareconfig
from _pytest.debugging import pytestPDB

from grader.failure import GraderError
from grader.plugin import GradingPlugin, Relay, helper_modules, importable_helpers

# pytest's global state that its plugins' pytest_configure set and pytest_unconfigure undo:
# put back after every run of a kept session, set again before the next.
_GLOBALS = ((pytest.mark, "_config"), (pdb, "set_trace"), (pytestPDB, "_pluginmanager"), (pytestPDB, "_config"))
_MISSING = object()

# Why 2: a process that alternates two sets of test files (two assignments, or public and
# hidden tests) keeps both; each kept session holds its configuration, tests and modules.
CAPACITY = 2
_kept: list[PytestSession] = []  # the sessions this process keeps, oldest first
_depth = 0  # runs on now: a grading nested in another one touches no kept session


def run(*, args: list[str], root: Path, hidden: Path | None, test_files: list[Path], plugin: GradingPlugin,
        keep: bool) -> int:
    """Run pytest with ``args`` for ``plugin``; return the exit code ``pytest.main`` would.
    ``root``: the course (``--rootdir``); ``hidden``: the hidden tests' folder whose helper
    modules are importable, or ``None``. With ``keep``, a session kept by an earlier run is
    used if nothing it was built from changed, and this one is kept for the next."""
    global _depth
    key = (tuple(args), os.getcwd(), str(hidden))
    nested = _depth > 0
    session = None
    if not nested:
        for index, kept in enumerate(_kept):
            if kept.key == key:
                if kept.unchanged():
                    session = kept
                else:
                    _close_from(index)
                break
        if session is None and keep and len(_kept) >= CAPACITY:
            _close_from(0)
    if session is None:
        session = PytestSession(key=key, args=args, root=root, hidden=hidden, test_files=test_files)
    _depth += 1
    try:
        return session.run(plugin)
    finally:
        _depth -= 1
        if session in _kept:
            if not session.reusable:
                _close_from(_kept.index(session))
        elif keep and not nested and session.reusable:
            _kept.append(session)
        else:
            session.close()


def kept_sessions() -> list[PytestSession]:
    """The sessions this process keeps now, oldest first."""
    return list(_kept)


def close_all() -> None:
    """Close every kept session: the next grading starts pytest afresh."""
    _close_from(0)


def _close_from(index: int) -> None:
    """Close the kept sessions from ``index`` on, newest first: pytest_unconfigure undoes its
    global changes (monkeypatched classes, ``pdb``) in the reverse order of pytest_configure."""
    while len(_kept) > index:
        _kept.pop().close()


def fingerprint(paths) -> tuple:
    """(path, size, mtime_ns, SHA-256) of each file; a file that cannot be read counts as changed."""
    found = []
    for path in paths:
        try:
            status = os.stat(path)
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return (object(),)  # equal to no other fingerprint
        found.append((str(path), status.st_size, status.st_mtime_ns, digest))
    return tuple(found)


@contextlib.contextmanager
def _pytest_environment():
    """Keep the caller's PYTEST_* settings and third-party plugins out of the run; set
    ``PYTEST_VERSION`` during it, as ``pytest.main`` does."""
    saved = {k: os.environ.pop(k) for k in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS") if k in os.environ}
    previous = {k: os.environ.get(k) for k in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_VERSION")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ["PYTEST_VERSION"] = pytest.__version__
    try:
        yield
    finally:
        os.environ.update(saved)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _read_globals() -> list:
    return [getattr(owner, name, _MISSING) for owner, name in _GLOBALS]


def _write_globals(values: list) -> None:
    for (owner, name), value in zip(_GLOBALS, values):
        if value is _MISSING:
            if hasattr(owner, name):
                delattr(owner, name)
        else:
            setattr(owner, name, value)


class PytestSession:
    """One pytest configuration and its collected tests, run for one submission after another."""

    def __init__(self, *, key: tuple, args: list[str], root: Path, hidden: Path | None, test_files: list[Path]):
        self.key = key
        self.runs = 0  # gradings run in this session
        self.reusable = False  # the last run may be repeated
        self._args = list(args)
        self._root = Path(root).resolve()
        self._hidden = hidden
        self._roots = tuple(str(Path(p).parent) for p in test_files)
        self._relay = Relay()
        self._config = None
        self._session = None
        self._closed = False
        self._inside: list | None = None  # _GLOBALS as this session's configuration set them
        self._modules: dict[str, types.ModuleType] = {}  # test modules and their packages
        self._helpers: dict[str, types.ModuleType] = {}
        self._collected: set[str] | None = None  # sys.modules right after the first collection
        self._recorded = False  # the modules to reuse are known
        self._helper_files = self._current_helpers()
        self._watched = [Path(p) for p in test_files] + self._helper_files
        self._fingerprint = fingerprint(self._watched)  # before anything is imported

    def unchanged(self) -> bool:
        """Whether the next run may reuse this session: none of its files changed."""
        return (not self._closed and self._current_helpers() == self._helper_files
                and not any(name in sys.modules for name in self._modules)
                and fingerprint(self._watched) == self._fingerprint)

    def run(self, plugin: GradingPlugin) -> int:
        self.reusable = False
        self.runs += 1
        self._relay.current = plugin
        try:
            with self._active():
                if self._config is None:
                    return self._first_run()
                code = self._protocol(first=False)
                self.reusable = code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
                return code
        finally:
            self._relay.current = None

    def close(self) -> None:
        """pytest_unconfigure and the cleanups of the configuration (once)."""
        if self._closed:
            return
        self._closed, self.reusable = True, False
        if self._config is not None:
            with self._globals_swapped():
                self._config._ensure_unconfigure()

    # -- one run ------------------------------------------------------------------------
    def _first_run(self) -> int:
        try:
            self._config = _prepareconfig(list(self._args), plugins=[self._relay])
            self._session = pytest.Session.from_config(self._config)
            code = self._protocol(first=True)
        except pytest.UsageError as exc:  # as pytest.main reports it
            for message in exc.args:
                sys.stderr.write(f"ERROR: {message}\n\n")
            return int(pytest.ExitCode.USAGE_ERROR)
        self.reusable = code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and not self._relay.collection_failed
        return code

    def _protocol(self, *, first: bool) -> int:
        """``_pytest.main.wrap_session`` with ``_main``; a later run starts at the run of the tests."""
        config, session, relay = self._config, self._session, self._relay
        session.exitstatus = pytest.ExitCode.OK
        started = False
        try:
            try:
                if first:
                    config._do_configure()
                    config.hook.pytest_sessionstart(session=session)
                    started = True
                    config.hook.pytest_collection(session=session)
                    self._collected = set(sys.modules)
                else:
                    self._prepare_again()
                    started = True
                    relay.pytest_sessionstart(session)
                    relay.pytest_collection_modifyitems(session.items)
                    relay.pytest_collection_finish(session)
                config.hook.pytest_runtestloop(session=session)
                session.exitstatus = (pytest.ExitCode.TESTS_FAILED if session.testsfailed else
                                      pytest.ExitCode.NO_TESTS_COLLECTED if session.testscollected == 0 else
                                      pytest.ExitCode.OK)
            except pytest.UsageError:
                session.exitstatus = pytest.ExitCode.USAGE_ERROR
                raise
            except session.Failed:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            except (KeyboardInterrupt, pytest.exit.Exception):
                excinfo = pytest.ExceptionInfo.from_current()
                status = pytest.ExitCode.INTERRUPTED
                if isinstance(excinfo.value, pytest.exit.Exception):
                    if excinfo.value.returncode is not None:
                        status = excinfo.value.returncode
                    if not started:
                        sys.stderr.write(f"{excinfo.typename}: {excinfo.value.msg}\n")
                config.hook.pytest_keyboard_interrupt(excinfo=excinfo)
                session.exitstatus = status
            except BaseException:
                session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
                excinfo = pytest.ExceptionInfo.from_current()
                try:
                    config.notify_exception(excinfo, config.option)
                except pytest.exit.Exception as exc:
                    if exc.returncode is not None:
                        session.exitstatus = exc.returncode
                    sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
                else:
                    if isinstance(excinfo.value, SystemExit):
                        sys.stderr.write("mainloop: caught unexpected SystemExit!\n")
        finally:
            excinfo = None  # noqa: F841  (breaks the reference cycle, as pytest does)
            if started:
                try:
                    config.hook.pytest_sessionfinish(session=session, exitstatus=session.exitstatus)
                except pytest.exit.Exception as exc:
                    if exc.returncode is not None:
                        session.exitstatus = exc.returncode
                    sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return int(session.exitstatus)

    def _prepare_again(self) -> None:
        """What a fresh session would start from: no failures counted, a new temporary
        folder for ``tmp_path`` (pytest-N), no report sections or properties of the last run,
        and a new instance of its class for each test method."""
        session = self._session
        session.testsfailed = 0
        session.shouldfail = session.shouldstop = False
        factory = getattr(self._config, "_tmp_path_factory", None)
        if factory is not None:
            factory._basetemp = None
        for item in session.items:
            item.user_properties.clear()
            getattr(item, "_report_sections", []).clear()
            if isinstance(item.parent, pytest.Class):
                for cached in ("_instance", "_obj"):  # made again from a new instance when asked
                    item.__dict__.pop(cached, None)

    # -- the process around a run ------------------------------------------------------------
    @contextlib.contextmanager
    def _active(self):
        before = set(sys.modules)
        cwd = os.getcwd()
        helpers = dict(self._helpers)
        try:
            with _pytest_environment(), warnings.catch_warnings(), importable_helpers(self._hidden, kept=helpers):
                for name, module in self._modules.items():
                    sys.modules.setdefault(name, module)
                with self._globals_swapped():
                    yield
        finally:
            os.chdir(cwd)  # as pytest.main: back to where it started
            forgotten = self._forget(before)
            if self._collected is not None and not self._recorded:
                self._recorded = True
                self._modules = {name: m for name, m in forgotten.items() if name in self._collected}
                self._helpers = {name: m for name, m in helpers.items() if name in self._collected}
                self._watch_held_modules()

    @contextlib.contextmanager
    def _globals_swapped(self):
        outside = _read_globals()
        if self._inside is not None:
            _write_globals(self._inside)
        try:
            yield
        finally:
            if self._config is not None and not self._closed:
                self._inside = _read_globals()
            _write_globals(outside)

    def _forget(self, before: set[str]) -> dict[str, types.ModuleType]:
        """Take the test modules out of ``sys.modules``, so a changed or different course is
        re-read by a new session; so are the empty packages pytest's importlib mode makes for
        their folders (``rubrics.layers.tests``)."""
        forgotten = {}
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules.get(name), "__file__", None) or ""
            if module_file.startswith(self._roots):
                forgotten[name] = sys.modules.pop(name)
        for name in set(sys.modules) - before:
            if getattr(sys.modules[name], "__file__", None) is None \
                    and any(test.startswith(name + ".") for test in forgotten):
                forgotten[name] = sys.modules.pop(name)
        return forgotten

    def _current_helpers(self) -> list[Path]:
        try:
            return sorted(helper_modules(self._hidden).values()) if self._hidden is not None else []
        except GraderError:
            return [Path("<a helper module with a bad name>")]

    def _watch_held_modules(self) -> None:
        """Watch also the course's modules that the test modules hold and a new session would
        load again: those in the course that ``sys.modules`` does not hold (``mlp_data``)."""
        held = set()
        for module in (*self._modules.values(), *self._helpers.values()):
            for value in list(vars(module).values()):
                if not isinstance(value, types.ModuleType) or sys.modules.get(value.__name__) is value:
                    continue
                file = getattr(value, "__file__", None)
                if file and Path(file).resolve().is_relative_to(self._root):
                    held.add(Path(file).resolve())
        held -= {Path(p).resolve() for p in self._watched}
        self._watched += sorted(held)
        self._fingerprint += fingerprint(sorted(held))
