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

**Scopes.** :func:`differs` compares two replays of an item's probes on what the item is
about: the outputs named by its scope (``affine_backward.dx``), every non-cache output of the
functions it names, or ``inputs`` (which arguments a call changed). Where the correct forms
themselves disagree (the value at a kink), anything between them is as good as theirs.
"""

from __future__ import annotations

import ast
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


def output_names(source: str) -> dict[str, list[str | None]]:
    """{function: names of the elements it returns} read off the reference's ``return``
    statements: ``return dx, dw, db`` names three outputs; an expression has no name."""
    names: dict[str, list[str | None]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        found: list[str | None] | None = None
        for inner in ast.walk(node):
            if isinstance(inner, ast.Return) and inner.value is not None:
                elements = inner.value.elts if isinstance(inner.value, ast.Tuple) else [inner.value]
                candidate = [e.id if isinstance(e, ast.Name) else None for e in elements]
                if found is None or (len(candidate) > len(found)):
                    found = candidate
        names[node.name] = found or []
    return names


@dataclasses.dataclass(frozen=True)
class Scope:
    """What an item is about: ``inputs`` (arguments changed in place), or outputs of functions
    (``{function: selectors}``; a selector is (position, keys into a returned dict); ``None`` =
    every output not named like a cache). ``unless``: items whose scope, when a mutant is in it,
    takes the mutant out of this one (an edge item is about what the ordinary items miss)."""

    inputs: bool = False
    outputs: tuple = ()  # ((function, selectors or None), ...)
    unless: tuple = ()
    tests: tuple = ()  # only probes of tests whose id holds one of these (empty: every test of the item)

    def covers(self, test: str) -> bool:
        return not self.tests or any(fragment in test for fragment in self.tests)

    def selectors(self, function: str):
        for name, selectors in self.outputs:
            if name == function:
                return selectors if selectors is not None else "all"
        return None


def parse_scope(entries: list[str], names: dict[str, list[str | None]]) -> Scope:
    """A scope from rubric strings: ``inputs``; ``function``; ``function.output`` (an output's
    name in the reference's ``return``, or its position), optionally followed by ``.key``s into
    a returned dict (``sgd_momentum.config.learning_rate``); ``unless:<item>``; ``test:<fragment>``
    (only the item's tests whose id holds it: the ones that check values, not properties).
    ``inputs`` may stand with output entries: either kind of difference counts."""
    unless = tuple(e.partition(":")[2] for e in entries if e.startswith("unless:"))
    tests = tuple(e.partition(":")[2] for e in entries if e.startswith("test:"))
    inputs = "inputs" in entries
    entries = [e for e in entries if not e.startswith(("unless:", "test:")) and e != "inputs"]
    outputs: dict[str, list | None] = {}
    for entry in entries:
        function, _, rest = entry.partition(".")
        if not rest:
            outputs[function] = None
            continue
        output, *keys = rest.split(".")
        known = names.get(function, [])
        position = int(output) if output.isdigit() else (known.index(output) if output in known else None)
        if position is None:
            raise ValueError(f"{entry!r}: {function} returns {known}, no output {output!r}")
        if function not in outputs or outputs[function] is not None:
            outputs.setdefault(function, []).append((position, tuple(keys)))
    return Scope(inputs=inputs, outputs=tuple((f, None if p is None else tuple(p)) for f, p in outputs.items()),
                 unless=unless, tests=tests)


def derive_scope(item: str, called: set[str], names: dict[str, list[str | None]]) -> Scope:
    """The default scope of an item from its id and the functions its tests call:
    ``affine_backward_dw`` -> ``affine_backward.dw``; ``relu_edge_cases`` -> every relu
    function; otherwise every function its tests call."""
    matches = sorted((f for f in called if item == f or item.startswith(f + "_")), key=len, reverse=True)
    if matches:
        function = matches[0]
        rest = item[len(function) + 1:]
        known = names.get(function, [])
        if rest in known:
            return Scope(outputs=((function, ((known.index(rest), ()),)),))
        return Scope(outputs=((function, None),))
    stem = item.split("_")[0]
    family = sorted(f for f in called if f.startswith(stem + "_") or f == stem)
    chosen = family or sorted(called)
    return Scope(outputs=tuple((f, None) for f in chosen))


_MISSING = ("<missing output>",)


def _components(result: Any, selectors, names: list[str | None]) -> list:
    elements = list(result) if isinstance(result, (tuple, list)) and len(names) > 1 else [result]
    if selectors == "all":
        return [elements[i] for i in range(len(elements))
                if not (i < len(names) and names[i] and "cache" in names[i])]
    found = []
    for position, keys in selectors:
        value = elements[position] if position < len(elements) else _MISSING
        for key in keys:
            value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
        found.append(value)
    return found


def _hull(mine: Any, forms: list, rtol: float) -> bool:
    """Whether ``mine`` is what the correct forms (``forms[0]`` the reference) give, allowing
    anything between them where they disagree: at a kink the reference, a variant taking the
    other one-sided slope and one taking the midpoint span the subgradients a test accepts."""
    reference = forms[0]
    if isinstance(reference, np.ndarray):
        if not isinstance(mine, np.ndarray) or mine.shape != reference.shape \
                or (mine.dtype.kind == "f") != (reference.dtype.kind == "f"):
            return False
        if reference.dtype.kind not in "iuf" or mine.dtype.kind not in "iufb":
            return same(mine, reference, rtol=rtol)
        peers = [f.astype(np.float64) for f in forms if isinstance(f, np.ndarray) and f.shape == reference.shape
                 and f.dtype.kind in "iufb"]
        stack = np.stack(peers)
        value = mine.astype(np.float64)
        finite = np.isfinite(stack).all(axis=0)
        # Where a correct form is not finite, the value must be one of theirs exactly.
        if not finite.all():
            odd = ~finite
            if not any(np.array_equal(value[odd], peer[odd], equal_nan=True) for peer in peers):
                return False
        if not finite.any():
            return True
        low, high = stack.min(axis=0)[finite], stack.max(axis=0)[finite]
        scale = float(np.max(np.abs(stack[:, finite])))
        slack = rtol * np.maximum(np.maximum(np.abs(low), np.abs(high)), max(FLOOR_FRACTION * scale, ABS_FLOOR))
        inner = value[finite]
        with np.errstate(invalid="ignore"):
            return bool(np.all((inner >= low - slack) & (inner <= high + slack)))
    numbers = (int, float, np.integer, np.floating)
    if isinstance(reference, numbers) and not isinstance(reference, (bool, np.bool_)):
        if not isinstance(mine, numbers) or isinstance(mine, (bool, np.bool_)):
            return False
        return _hull(np.asarray(float(mine)), [np.asarray(float(f)) for f in forms if isinstance(f, numbers)], rtol)
    if isinstance(reference, (tuple, list)):
        if not isinstance(mine, (tuple, list)) or len(mine) != len(reference):
            return False
        peers = [f for f in forms if isinstance(f, (tuple, list)) and len(f) == len(reference)]
        return all(_hull(mine[k], [f[k] for f in peers], rtol) for k in range(len(reference)))
    if isinstance(reference, dict):
        if not isinstance(mine, dict) or mine.keys() != reference.keys():
            return False
        peers = [f for f in forms if isinstance(f, dict) and f.keys() == reference.keys()]
        return all(_hull(mine[k], [f[k] for f in peers], rtol) for k in reference)
    return any(same(mine, f, rtol=rtol) for f in forms)


def differs(scope: Scope, probe: Probe, mine: list[Outcome], forms: list[list[Outcome]],
            names: dict[str, list[str | None]]) -> bool:
    """Whether a replay of ``probe`` (``mine``) differs, on what ``scope`` is about, from every
    correct form's replay (``forms[0]`` the reference's; see :func:`_hull`)."""
    for index, call in enumerate(probe.calls):
        a = mine[index]
        theirs = [form[index] for form in forms]
        if scope.inputs:
            returned = [o for o in theirs if o.error is None]
            if a.error is None and returned and all(a.mutated != o.mutated for o in returned):
                return True
        positions = scope.selectors(call.function)
        if positions is None:
            continue
        if a.error is not None:
            if all(o.error is None for o in theirs):
                return True
            continue
        returned = [o for o in theirs if o.error is None]
        if not returned:
            return True  # every correct form refuses this call, and it answered
        output = names.get(call.function, [])
        if not _hull(_components(a.result, positions, output),
                     [_components(o.result, positions, output) for o in returned], EQUIVALENCE_RTOL):
            return True
    return False


def affected(source: str, function: str) -> set[str]:
    """The module's functions whose behaviour a change to ``function`` can reach: itself and
    every function that calls it, directly or through others (by name, in this module)."""
    calls: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            calls[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    reached = {function}
    changed = True
    while changed:
        changed = False
        for name, used in calls.items():
            if name not in reached and used & reached:
                reached.add(name)
                changed = True
    return reached
