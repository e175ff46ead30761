"""Probes: the calls a course's hidden tests make to the student's functions, recorded once
and replayed on other modules, so ``grade audit`` can tell which mutants change something
observable (and where) and which are equivalent to a correct answer.

**Recording** (trusted side). While the hidden tests grade the reference solution (in its
sandbox, like any student), a :class:`Recorder` is told each test's start and each call the
tests make through the ``student`` fixture. Per test it keeps a :class:`Probe`: the calls in
order, each with deep copies of its arguments. An argument that *is* (an element of) what an
earlier call of the same test returned, such as a layer's cache passed from the forward pass to
the backward pass, is kept as a :class:`Link` to it, so a replay threads the replayed module's
own cache. The recorder also keeps each comparison's relative error (``comparison.observing``),
for the tolerance calibration.

**Replaying** (trusted side, the audit's own processes). :func:`replay` makes the same calls,
in order, on a module loaded in this process: the reference, a catalogued correct variant, or
a mutant of the reference. Only course material runs here, never a student's file. Each call
gets fresh deep copies of its arguments (as a sandboxed call does), runs under a wall-clock
alarm, and reports its result and whether it changed its arguments.

**Scopes** (what each item is about, and whether a replay differs there from every correct
form) are in :mod:`grader.scope`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib.util
import io
import math
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np

from grader.protocol import Handle

# Why: agreeing to 1e-8 relative (check_array's metric: relative to each entry, with a floor
# of 1e-3 of the array's scale) is 100x below the tightest tolerance a hidden test uses
# (comparison.RTOL = 1e-6): no test could, or should, tell such a mutant from a correct answer
# (e.g. sigma(-30) computed as z / (2 + z): 5e-14 off where the array's scale is 1).
EQUIVALENCE_RTOL = 1e-8
# Why: the same scale floor as check_array (1e-3 of the array's largest entry, at least 1e-12).
FLOOR_FRACTION = 1e-3
ABS_FLOOR = 1e-12
# Why: links are looked up this deep in a returned value (a tuple holding a dict of arrays).
LINK_DEPTH = 3


@dataclasses.dataclass(frozen=True)
class Link:
    """An argument that is part of what call ``call`` of the same test returned (``path`` into it)."""

    call: int
    path: tuple


class Unreplayable:
    """An argument that cannot be rebuilt in a replay (an object the worker kept)."""


@dataclasses.dataclass
class Call:
    function: str
    args: list
    kwargs: dict
    error: str | None = None  # the reference raised (a test of a refused input)
    replayable: bool = True


@dataclasses.dataclass
class Probe:
    """What one test asked of the student's functions."""

    test: str
    item: str | None
    calls: list[Call] = dataclasses.field(default_factory=list)
    checks: list[tuple[str, float, float]] = dataclasses.field(default_factory=list)  # (name, rtol, error)


class Recorder:
    """The observer ``grading.grade`` hands to the plugin and the proxy during an audit."""

    def __init__(self, *, keep_calls: bool = True):
        self.keep_calls = keep_calls
        self.probes: list[Probe] = []
        self._results: list[Any] = []
        self._ids: dict[int, Link] = {}

    def begin(self, nodeid: str, item: str | None) -> None:
        self.probes.append(Probe(nodeid, item))
        self._results = []  # keeps the returned objects alive, so their ids stay theirs
        self._ids = {}

    def check(self, name: str, rtol: float, error: float) -> None:
        if self.probes:
            self.probes[-1].checks.append((name, float(rtol), float(error)))

    def call(self, name: str, args: tuple, kwargs: dict, result: Any, error: str | None) -> None:
        if not self.probes or not self.keep_calls:
            return
        probe = self.probes[-1]
        state = {"replayable": True}
        recorded = Call(name, self._record(list(args), state), self._record(dict(kwargs), state), error)
        recorded.replayable = state["replayable"]
        index = len(probe.calls)
        probe.calls.append(recorded)
        if error is None:
            self._results.append(result)
            self._index(result, index, (), LINK_DEPTH)

    def _index(self, value: Any, call: int, path: tuple, depth: int) -> None:
        if isinstance(value, (np.ndarray, Handle, tuple, list, dict)):
            self._ids.setdefault(id(value), Link(call, path))
        if depth <= 0:
            return
        if isinstance(value, (tuple, list)):
            for position, element in enumerate(value):
                self._index(element, call, path + (position,), depth - 1)
        elif isinstance(value, dict):
            for key, element in value.items():
                self._index(element, call, path + (key,), depth - 1)

    def _record(self, value: Any, state: dict) -> Any:
        link = self._ids.get(id(value))
        if link is not None:
            return link
        if isinstance(value, Handle):
            state["replayable"] = False
            return Unreplayable()
        if isinstance(value, tuple):
            return tuple(self._record(v, state) for v in value)
        if isinstance(value, list):
            return [self._record(v, state) for v in value]
        if isinstance(value, dict):
            return {k: self._record(v, state) for k, v in value.items()}
        return copy.deepcopy(value)


# -- loading course modules in this process ------------------------------------------------
@contextlib.contextmanager
def _temporary_modules(folder: Path):
    """``folder`` importable while loading (a variant's ``import layers``), forgotten after."""
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules.get(name), "__file__", "") or "").startswith(str(folder)):
                sys.modules.pop(name, None)


def load(path: Path, *, name: str) -> Any:
    """Import the course module at ``path`` (a mutant, variant or the reference, with its
    siblings beside it) under the private ``name``."""
    folder = path.resolve().parent
    with _temporary_modules(folder), contextlib.redirect_stdout(io.StringIO()):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


# -- replaying -------------------------------------------------------------------------------
class ReplayTimeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float):
    """Raise :class:`ReplayTimeout` in this (main) thread after ``seconds``."""
    def expire(signum, frame):
        raise ReplayTimeout(f"did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclasses.dataclass
class Outcome:
    """One replayed call: its result, or the error it raised; and which arguments it changed
    (positions, then keyword names)."""

    result: Any = None
    error: str | None = None
    mutated: tuple = ()


def _resolve(value: Any, outcomes: list[Outcome]) -> Any:
    if isinstance(value, Link):
        source = outcomes[value.call]
        if source.error is not None:
            raise LookupError(f"depends on call {value.call}, which raised")
        found = source.result
        for step in value.path:
            found = found[step]
        return copy.deepcopy(found)
    if isinstance(value, tuple):
        return tuple(_resolve(v, outcomes) for v in value)
    if isinstance(value, list):
        return [_resolve(v, outcomes) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, outcomes) for k, v in value.items()}
    return copy.deepcopy(value)


def replay(module: Any, probe: Probe, *, timeout: float) -> list[Outcome]:
    """The outcomes of ``probe``'s calls made on ``module``, in order."""
    outcomes: list[Outcome] = []
    for call in probe.calls:
        if not call.replayable:
            outcomes.append(Outcome(error="not replayable"))
            continue
        try:
            args = _resolve(call.args, outcomes)
            kwargs = _resolve(call.kwargs, outcomes)
        except (LookupError, IndexError, KeyError, TypeError) as exc:
            outcomes.append(Outcome(error=f"argument: {exc}"))
            continue
        before = copy.deepcopy((args, kwargs))
        try:
            function = getattr(module, call.function)
            with _alarm(timeout), contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
                result = function(*args, **kwargs)
        except ReplayTimeout as exc:
            outcomes.append(Outcome(error=f"timeout: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - a mutant may raise anything; that is its outcome
            outcomes.append(Outcome(error=f"{type(exc).__name__}: {exc}"[:300]))
            continue
        changed = [k for k, (was, now) in enumerate(zip(before[0], args)) if not same(was, now, rtol=0.0)]
        changed += [k for k in sorted(kwargs) if not same(before[1].get(k), kwargs[k], rtol=0.0)]
        outcomes.append(Outcome(result=result, mutated=tuple(changed)))
    return outcomes


# -- comparing -------------------------------------------------------------------------------
def _array_close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    if a.shape != b.shape or (a.dtype.kind in "fc") != (b.dtype.kind in "fc"):
        return False
    if a.dtype.kind not in "iufcb" or b.dtype.kind not in "iufcb":
        return a.tobytes() == b.tobytes() if a.dtype == b.dtype else False
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    finite = np.isfinite(a64) & np.isfinite(b64)
    if not np.array_equal(np.where(finite, 0.0, a64), np.where(finite, 0.0, b64), equal_nan=True):
        return False  # non-finite entries must match exactly, and where they are
    if rtol == 0.0:
        return bool(np.array_equal(a64[finite], b64[finite]))
    if not finite.any():
        return True
    scale = float(np.max(np.abs(a64[finite])))
    floor = max(FLOOR_FRACTION * scale, ABS_FLOOR)
    diff = np.abs(a64[finite] - b64[finite])
    return bool(np.all(diff <= rtol * np.maximum(np.abs(a64[finite]), floor)))


def same(a: Any, b: Any, *, rtol: float = EQUIVALENCE_RTOL) -> bool:
    """Whether two plain values agree (arrays entry by entry within ``rtol``, numbers likewise,
    containers element by element; ``rtol=0`` asks for bit-identical arrays)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return _array_close(a, b, rtol)
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return type(a) is type(b) and bool(a) == bool(b)
    numbers = (int, float, np.integer, np.floating)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if rtol == 0.0:
            return float(a) == float(b) or (math.isnan(float(a)) and math.isnan(float(b)))
        return _array_close(np.asarray(float(a)), np.asarray(float(b)), rtol)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y, rtol=rtol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol=rtol) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an odd object that cannot be compared is not the same
        return False
