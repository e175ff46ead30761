"""Mutants of a reference solution, for mutation testing of the hidden tests.

A *mutant* is the source of a module with exactly ONE plausible bug planted in ONE
top-level function: ``axis=0`` where ``axis=1`` was meant, a ``/ N`` forgotten, an
input modified in place... Running the hidden tests against every mutant asks "does
the test suite catch plausible bugs?": a mutant the tests still pass *survives* and
points at a bug the tests cannot see (or at an equivalent rewrite).

``mutants(source)`` builds them from each function's AST. Every mutant compiles and
parses to a different AST than the original, and the rest of the file is
byte-identical: only the smallest enclosing statement (a compound statement's header
expression, a signature default) is rewritten, with ``ast.unparse``, so comments
inside that one statement may be lost and its quotes normalised. Docstrings are never
mutated. The operators, keys of ``OPERATORS`` in the order mutants are listed:

    arith           + <-> -, * <-> / (also +=, -=, *=, /=)
    constant        0->1; 1->0 and 1->2; 2->1; 0.5->1.0; an epsilon->0; else doubled (defaults too)
    axis            axis=0 <-> axis=1, axis=-1 -> axis=0; a keepdims=True dropped
    transpose       x.T -> x; a @ b -> a.T @ b and -> b @ a (np.dot(a, b) alike)
    drop_term       a + b -> a and -> b; a - b -> a
    batch_scale     e / N -> e and -> e / N / N (N like a batch size); e /= N -> e /= N * N
    reduction       np.sum <-> np.mean, .sum() <-> .mean()
    comparison      > <-> >=, < <-> <=
    branch          np.maximum <-> np.minimum; np.where's / a conditional's branches swapped
    inplace         t = P + E -> P += E; t = P (P a parameter; also P = P + E, P[k], return P + E)
    reorder_return  two adjacent elements of a returned tuple swapped
    swap_unpacked   two adjacent names of a tuple-unpacking assignment swapped
    zeros           every returned value v -> np.zeros_like(v) (if numpy is imported as np)
    identity        every returned value -> the function's first positional parameter
    negate          a unary minus dropped (-e -> e); one returned element negated (return a, b -> return -a, b)
    abs_dropped     np.abs(e) -> e (the builtin abs too)
    scale_argument  np.f(e) -> np.f(2 * e) and -> np.f(e / 2) for f in exp, expm1, log, log1p, tanh, sqrt, cos, sin
    copy_dropped    e.copy(), np.copy(e), np.array(e), copy.copy(e), copy.deepcopy(e) -> e (the result aliases e)
    ufunc_out       t = np.f(..., P, ...) -> t = np.f(..., P, ..., out=P) (P a parameter; f an elementwise ufunc)
    naive_form      a stable form made naive: np.log1p(e) -> np.log(1 + e), np.expm1(e) -> np.exp(e) - 1,
                    np.logaddexp(a, b) -> np.log(np.exp(a) + np.exp(b)); np.clip(e, lo, hi) -> e;
                    e - np.max(e, ...) -> e; np.exp(-np.abs(e)) -> np.exp(-e), np.exp(np.minimum(e, 0)) -> np.exp(e)
                    (the max shift and np.exp(-np.abs(e)) ones duplicate drop_term's and abs_dropped's: not kept)
    sign_quotient   np.sign(e) -> e / np.abs(e) (nan at e == 0)

The operators themselves, one generator per operator, are in grader/mutators.py (arith ... identity,
and the helpers all operators use) and grader/pitfalls.py (negate ... sign_quotient).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import io
import re
import warnings
from typing import Iterable

from grader.mutators import (_arith, _axis, _batch_scale, _branch, _code, _comparison, _constant, _drop_term, _Fn,
                             _identity, _inplace, _reduction, _reorder_return, _swap_unpacked, _transpose, _zeros)
from grader.pitfalls import (_abs_dropped, _copy_dropped, _naive_form, _negate, _scale_argument, _sign_quotient,
                             _ufunc_out)

__all__ = ["Mutant", "OPERATORS", "mutants"]

OPERATORS: dict[str, str] = {
    "arith": "a binary operator swapped: + <-> -, * <-> / (also +=, -=, *=, /=)",
    "constant": "a numeric constant nudged: 0->1, 1->0|2, 2->1, 0.5->1.0, epsilon->0, else doubled",
    "axis": "axis=0 <-> axis=1, axis=-1 -> axis=0, or a keepdims=True dropped",
    "transpose": "a .T dropped, a .T added to the left operand of @/np.dot, or their operands swapped",
    "drop_term": "a term dropped from a sum (a + b -> a, -> b) or a difference (a - b -> a)",
    "batch_scale": "a division by a batch-size-like N dropped or doubled (e / N -> e, -> e / N / N)",
    "reduction": "np.sum <-> np.mean (methods .sum() <-> .mean() too)",
    "comparison": "> <-> >=, < <-> <= in a comparison",
    "branch": "np.maximum <-> np.minimum, or the two branches of np.where / a conditional swapped",
    "inplace": "an input parameter updated in place (t = P + E -> P += E; t = P)",
    "reorder_return": "two adjacent elements of a returned tuple swapped",
    "swap_unpacked": "two adjacent names of a tuple-unpacking assignment swapped",
    "zeros": "the function's result replaced by zeros (np.zeros_like of each returned value)",
    "identity": "the function's result replaced by its first positional parameter",
    "negate": "a sign flipped: a unary minus dropped (-e -> e), or one returned element negated",
    "abs_dropped": "an absolute value dropped: np.abs(e) -> e (the builtin abs(e) too)",
    "scale_argument": "the argument of np.exp/expm1/log/log1p/tanh/sqrt/cos/sin scaled: np.f(2 * e), np.f(e / 2)",
    "copy_dropped": "an explicit copy dropped (e.copy(), np.copy(e), np.array(e), copy.copy(e) -> e): an alias",
    "ufunc_out": "an elementwise numpy call written into an input: t = np.f(P, ...) -> t = np.f(P, ..., out=P)",
    "naive_form": "a numerically stable form made naive: np.log1p(e) -> np.log(1 + e), a clip or max shift dropped",
    "sign_quotient": "np.sign(e) -> e / np.abs(e), which is nan at e == 0",
}


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str  # f"{function}/{operator}/{k}", k = 1, 2, ... per (function, operator) in source order
    function: str  # the top-level function whose body (or signature default) was changed
    operator: str  # a key of OPERATORS
    description: str  # one line, e.g. "line 42: axis=0 -> axis=1"
    line: int  # 1-based line of the change in the original source
    source: str  # the whole module source with this one change
    diff: str  # unified diff original -> mutant, 2 lines of context


_GENERATORS = dict(zip(OPERATORS, [_arith, _constant, _axis, _transpose, _drop_term, _batch_scale, _reduction,
                                   _comparison, _branch, _inplace, _reorder_return, _swap_unpacked, _zeros,
                                   _identity, _negate, _abs_dropped, _scale_argument, _copy_dropped, _ufunc_out,
                                   _naive_form, _sign_quotient]))


# -- splicing a change into the original text ----------------------------------------------
def _lines(text: str) -> list[str]:
    """Lines with their endings, split where the parser splits them (\\n, \\r\\n, \\r only)."""
    return io.StringIO(text, newline="").readlines()


def _unit(node: ast.AST, parents: dict) -> ast.AST | None:
    """The node whose source is rewritten when ``node`` changes: the smallest enclosing simple
    statement, compound-statement header expression or signature default (None if none)."""
    child = node
    while not isinstance(child, ast.stmt):
        if child not in parents:
            return None
        parent = parents[child][0]
        if isinstance(parent, ast.arguments) or (
                isinstance(parent, ast.withitem) and child is parent.context_expr) or (
                isinstance(parent, (ast.For, ast.AsyncFor)) and child is parent.iter) or (
                isinstance(parent, (ast.If, ast.While)) and child is parent.test):
            return child
        child = parent
    return None if hasattr(child, "body") or hasattr(child, "cases") else child


def _render(old: ast.AST, new, parents: dict) -> tuple[ast.AST, list[str]] | None:
    """(unit, the unit's new source as a list of statements) for ``old`` replaced by ``new``."""
    unit = _unit(old, parents)
    if unit is None:
        return None
    if unit is old:
        return unit, [_code(s) for s in (new if isinstance(new, list) else [new])]
    parent, field, index = parents[old]
    put = (lambda n: setattr(parent, field, n)) if index is None else (
        lambda n: getattr(parent, field).__setitem__(index, n))
    put(new)
    try:
        return unit, [_code(unit) if isinstance(unit, ast.stmt) else ast.unparse(unit)]
    finally:
        put(old)


def _apply(source: str, lines: list[str], starts: list[int], rendered: list) -> str:
    """``source`` with each unit's span replaced by its new text, re-indented (last span first)."""
    def offset(lineno: int, col: int) -> int:  # col counts UTF-8 bytes
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode(errors="ignore"))
    first_eol = re.search(r"\r\n|\r|\n", source)
    eol = first_eol.group() if first_eol else "\n"
    spans = []
    for unit, texts in rendered:
        indent = re.match(r"[ \t]*", lines[unit.lineno - 1]).group()
        start = offset(unit.lineno, unit.col_offset)
        if len(texts) > 1 and start != starts[unit.lineno - 1] + len(indent):
            raise ValueError("statements can only be added where a statement starts its line")
        spans.append((start, offset(unit.end_lineno, unit.end_col_offset), (eol + indent).join(texts)))
    spans.sort(reverse=True)
    for (start, end, text), later in zip(spans, [None, *spans]):
        if later is not None and end > later[0]:
            raise ValueError("overlapping edits")
        source = source[:start] + text + source[end:]
    return source


def _functions(tree: ast.Module, parents: dict) -> list[_Fn]:
    numpy = any(isinstance(n, ast.Import) and any(a.name == "numpy" and a.asname == "np" for a in n.names)
                for n in tree.body)
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
        nodes, todo = [], list(reversed(body))
        while todo:  # pre-order: a node before its children
            nodes.append(todo.pop())
            todo.extend(reversed(list(ast.iter_child_nodes(nodes[-1]))))
        nodes = sorted((n for n in nodes if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset))
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = [*zip(positional[len(positional) - len(args.defaults):], args.defaults),
                 *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)]
        defaults = {n: a.arg for a, d in pairs for n in ast.walk(d) if hasattr(n, "lineno")}
        found.append(_Fn(node, nodes, defaults, {a.arg for a in [*positional, *args.kwonlyargs]},
                         positional[0].arg if positional else None, numpy, parents))
    return found


def mutants(source: str, *, filename: str = "module.py", functions: Iterable[str] | None = None,
            per_function: int | None = None) -> list[Mutant]:
    """All single-change mutants of the module's top-level functions (or only those named in
    `functions`), in a deterministic order (function in source order, then operator order of
    OPERATORS, then position). With `per_function`, at most that many per function, chosen
    round-robin across operators (first mutant of each operator, then second of each, ...) so a
    cap keeps operator diversity; ids stay those of the uncapped list.

    Raises SyntaxError if ``source`` does not parse, and ValueError for a name in ``functions``
    that is not a top-level function of the module or for a negative ``per_function``.
    """
    if per_function is not None and per_function < 0:
        raise ValueError(f"per_function must be >= 0, got {per_function}")
    tree = ast.parse(source, filename)
    parents = {}
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            for index, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
                if isinstance(item, ast.AST):
                    parents[item] = (node, field, index)
    fns = _functions(tree, parents)
    if functions is not None:
        wanted = {functions} if isinstance(functions, str) else set(functions)
        unknown = sorted(wanted - {fn.node.name for fn in fns})
        if unknown:
            raise ValueError(f"not a top-level function of {filename}: {', '.join(unknown)}")
        fns = [fn for fn in fns if fn.node.name in wanted]
    lines = _lines(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    seen, result = {source}, []
    for fn in fns:
        at, found = tree.body.index(fn.node), []
        original = ast.dump(fn.node)
        for operator, generate in _GENERATORS.items():
            k = 0
            for anchor, edits, text in generate(fn):
                try:
                    rendered = [_render(old, new, parents) for old, new in edits]
                    if None in rendered:
                        continue
                    mutated = _apply(source, lines, starts, rendered)
                    if mutated in seen:  # a duplicate (or the original): the first one is kept
                        continue
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        changed = ast.parse(mutated, filename)
                        compile(changed, filename, "exec")  # the same checks as compiling the text
                    # Only this function's text changed, so only its AST can differ.
                    if len(changed.body) == len(tree.body) and ast.dump(changed.body[at]) == original:
                        continue
                except (SyntaxError, ValueError, TypeError, AttributeError, RecursionError):
                    continue
                seen.add(mutated)
                k += 1
                diff = difflib.unified_diff(lines, _lines(mutated), fromfile=f"a/{filename}",
                                            tofile=f"b/{filename}", n=2)
                found.append(Mutant(f"{fn.node.name}/{operator}/{k}", fn.node.name, operator,
                                    f"line {anchor.lineno}: {text}", anchor.lineno, mutated, "".join(diff)))
        result += _capped(found, per_function)
    return result


def _capped(found: list[Mutant], per_function: int | None) -> list[Mutant]:
    """At most ``per_function`` of one function's mutants, taken round-robin across operators."""
    if per_function is None or len(found) <= per_function:
        return found
    queues = [[m for m in found if m.operator == op] for op in OPERATORS]
    chosen: set[str] = set()
    for rank in range(max(map(len, queues))):
        for queue in queues:
            if rank < len(queue) and len(chosen) < per_function:
                chosen.add(queue[rank].id)
    return [m for m in found if m.id in chosen]
