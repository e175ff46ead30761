"""What a rubric item is about, for ``grade audit``, and whether a replayed call differs there
from every correct form (see :mod:`grader.probe` for the recording and the replays).

:func:`differs` compares two replays of an item's probes on what the item is
about: the outputs named by its scope (``affine_backward.dx``), every non-cache output of the
functions it names, or ``inputs`` (which arguments a call changed). Where the correct forms
themselves disagree (the value at a kink), anything between them is as good as theirs.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

import numpy as np

from grader.probe import ABS_FLOOR, EQUIVALENCE_RTOL, FLOOR_FRACTION, Outcome, Probe, same


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
