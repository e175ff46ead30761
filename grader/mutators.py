"""The mutation operators arith ... identity, one generator per operator, and the helpers all
operators use (grader/pitfalls.py has the others; grader/mutation.py applies them). Each takes the
`_Fn` view of one top-level function and yields, without modifying its AST, candidate changes
``(anchor node, [(old node, new node or statements), ...], description)``. This module imports no
other module of the grader."""

from __future__ import annotations

import ast
import dataclasses
from typing import Iterator


_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_COMPARE = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Gt: ">", ast.GtE: ">=",
           ast.Lt: "<", ast.LtE: "<="}


@dataclasses.dataclass
class _Fn:
    """What the operators see of one top-level function."""
    node: ast.FunctionDef
    body: list  # every node of the body (docstring excluded) with a position, in source order
    defaults: dict  # every node of the signature defaults -> the name of its parameter
    params: set  # the parameter names
    first: str | None  # the first positional parameter
    numpy: bool  # whether the module does `import numpy as np`
    parents: dict  # node -> (parent, field, index or None), for the whole module


def _code(node: ast.AST) -> str:
    """``ast.unparse``, without the parentheses it puts around a bare tuple (``return a, b``)."""
    def bare(n: ast.AST) -> str:
        return ", ".join(map(ast.unparse, n.elts)) if isinstance(n, ast.Tuple) and len(n.elts) > 1 else ast.unparse(n)
    if isinstance(node, ast.Return) and node.value is not None:
        return "return " + bare(node.value)
    if isinstance(node, ast.Assign):
        return " = ".join(bare(t) for t in [*node.targets, node.value])
    return bare(node)


def _src(node: ast.AST, limit: int = 60) -> str:
    text = _code(node).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one(old: ast.AST, new, text: str, anchor: ast.AST | None = None):
    """A candidate: ``old`` replaced by ``new`` (a node, or a list of statements for a statement)."""
    return anchor or old, [(old, new)], text


def _bin(left: ast.AST, op: ast.operator, right: ast.AST) -> ast.BinOp:
    return ast.BinOp(left=left, op=op, right=right)


def _attr(value: ast.AST, attr: str) -> ast.Attribute:
    return ast.Attribute(value=value, attr=attr, ctx=ast.Load())


# -- operators: each yields (anchor node, [(old node, new node or statements), ...], description)
def _arith(fn: _Fn) -> Iterator:
    """``+`` <-> ``-`` and ``*`` <-> ``/`` in a binary operation or an augmented assignment."""
    for node in fn.body:
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _SWAP:
            new = type(node)(**{**vars(node), "op": _SWAP[type(node.op)]()})
            eq = "=" if isinstance(node, ast.AugAssign) else ""
            yield _one(node, new, f"`{_SYMBOL[type(node.op)]}{eq}` -> `{_SYMBOL[type(new.op)]}{eq}` in `{_src(node)}`")


def _nudges(value: int | float) -> list:
    """The values a number is nudged to (the constant operator's table)."""
    if value in (0, 1, 2, 0.5):
        return {0: [1], 1: [0, 2], 2: [1], 0.5: [1.0]}[value]
    return [0] if abs(value) < 1e-3 else [2 * value]


def _index_or_axis(node: ast.AST, parents: dict) -> bool:
    """Whether a constant is a subscript index (``a[1]``, ``a[1:]``, ``a[:, -1]``) or an axis= value."""
    child, parent = node, parents.get(node, (None,))[0]
    for kind in (ast.UnaryOp, ast.Slice, ast.Tuple):
        if isinstance(parent, kind):
            child, parent = parent, parents.get(parent, (None,))[0]
    if isinstance(parent, ast.keyword):
        return parent.arg == "axis"
    return isinstance(parent, ast.Subscript) and parent.slice is child


def _constant(fn: _Fn) -> Iterator:
    """A number nudged (0 -> 1, 1 -> 0 and 2, 2 -> 1, 0.5 -> 1.0, 0 < |c| < 1e-3 -> 0, else
    doubled), in the body and in the function's own signature defaults."""
    for node in sorted([*fn.defaults, *fn.body], key=lambda n: (n.lineno, n.col_offset)):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or _index_or_axis(node, fn.parents):
            continue
        where = f" (default of `{fn.defaults[node]}`)" if node in fn.defaults else ""
        for new in map(type(value), _nudges(value)):
            eps = " (eps dropped)" if new == 0 and 0 < abs(value) < 1e-3 else ""
            yield _one(node, ast.Constant(new), f"{value!r} -> {new!r}{eps}{where}")


def _int(node: ast.AST) -> int | None:
    """The value of an int literal (``-1`` included), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int(node.operand) is not None:
        return -_int(node.operand)
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _axis(fn: _Fn) -> Iterator:
    """``axis=0`` <-> ``axis=1``, ``axis=-1`` -> ``axis=0``; a ``keepdims=True`` removed."""
    for node in fn.body:
        if isinstance(node, ast.keyword) and node.arg == "axis" and _int(node.value) in (0, 1, -1):
            old = _int(node.value)
            new = {0: 1, 1: 0, -1: 0}[old]
            yield _one(node.value, ast.Constant(new), f"axis={old} -> axis={new}", node)
        elif isinstance(node, ast.keyword) and node.arg == "keepdims" and getattr(node.value, "value", None) is True:
            call = fn.parents[node][0]
            new = ast.Call(func=call.func, args=call.args, keywords=[k for k in call.keywords if k is not node])
            yield _one(call, new, f"keepdims=True dropped from `{_src(call)}`", node)


def _called(call: ast.AST) -> str | None:
    """The name a call calls (``f`` of ``f(...)``, ``g`` of ``np.g(...)``), else None."""
    func = getattr(call, "func", None) if isinstance(call, ast.Call) else None
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _transpose(fn: _Fn) -> Iterator:
    """A ``.T`` dropped; a ``.T`` added to the left operand of ``@`` (first argument of
    ``np.dot``); the two operands of ``@`` (arguments of ``np.dot``) swapped."""
    is_t = lambda n: isinstance(n, ast.Attribute) and n.attr == "T"  # noqa: E731
    for node in fn.body:
        if is_t(node) and isinstance(node.ctx, ast.Load):
            yield _one(node, node.value, f"`.T` dropped: `{_src(node)}` -> `{_src(node.value)}`")
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            a, b = node.left, node.right
            make = lambda x, y: _bin(x, ast.MatMult(), y)  # noqa: E731
        elif _called(node) in ("dot", "matmul") and len(node.args) == 2 and not node.keywords:
            a, b = node.args
            make = lambda x, y, f=node.func: ast.Call(func=f, args=[x, y], keywords=[])  # noqa: E731
        else:
            continue
        for new in ([] if is_t(a) else [make(_attr(a, "T"), b)]) + [make(b, a)]:
            yield _one(node, new, f"`{_src(node)}` -> `{_src(new)}`")


def _drop_term(fn: _Fn) -> Iterator:
    """A term dropped: ``a + b`` -> ``a`` and -> ``b``; ``a - b`` -> ``a``."""
    for node in fn.body:
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            for term in [node.left, node.right] if isinstance(node.op, ast.Add) else [node.left]:
                yield _one(node, term, f"`{_src(node)}` -> `{_src(term)}`")


def _batch_like(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in ("len", "float", "int")
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


def _batch_scale(fn: _Fn) -> Iterator:
    """A division by a batch-size-like ``N`` dropped (``e / N`` -> ``e``) or doubled (-> ``e / N / N``;
    ``e /= N`` -> ``e /= N * N``). Divisions by a literal are the constant operator's."""
    for node in fn.body:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _batch_like(node.right):
            n = _src(node.right)
            yield _one(node, node.left, f"`/ {n}` dropped from `{_src(node)}`")
            yield _one(node, _bin(node, ast.Div(), node.right), f"`/ {n}` doubled to `/ {n} / {n}`")
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div) and _batch_like(node.value):
            new = ast.AugAssign(target=node.target, op=ast.Div(), value=_bin(node.value, ast.Mult(), node.value))
            yield _one(node, new, f"`{_src(node)}` -> `{_src(new)}`")


def _reduction(fn: _Fn) -> Iterator:
    """``np.sum`` <-> ``np.mean`` and ``.sum()`` <-> ``.mean()`` (the builtin ``sum`` is left alone)."""
    for node in fn.body:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("sum", "mean"):
            new = _attr(node.func.value, "mean" if node.func.attr == "sum" else "sum")
            yield _one(node.func, new, f"`{_src(node.func)}` -> `{_src(new)}`")


def _comparison(fn: _Fn) -> Iterator:
    """``>`` <-> ``>=`` and ``<`` <-> ``<=``, one mutant per operator of a comparison."""
    for node in fn.body:
        for i, op in enumerate(node.ops if isinstance(node, ast.Compare) else []):
            if type(op) in _COMPARE:
                ops = [*node.ops[:i], _COMPARE[type(op)](), *node.ops[i + 1:]]
                new = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
                yield _one(node, new, f"`{_SYMBOL[type(op)]}` -> `{_SYMBOL[type(ops[i])]}` in `{_src(node)}`")


def _branch(fn: _Fn) -> Iterator:
    """``np.maximum`` <-> ``np.minimum``; ``np.where(c, a, b)`` -> ``np.where(c, b, a)``;
    ``a if c else b`` -> ``b if c else a``."""
    for node in fn.body:
        if _called(node) in ("maximum", "minimum") and isinstance(node.func, ast.Attribute):
            new = _attr(node.func.value, "minimum" if node.func.attr == "maximum" else "maximum")
            yield _one(node.func, new, f"`{_src(node.func)}` -> `{_src(new)}`")
        elif _called(node) == "where" and len(node.args) == 3 and not node.keywords:
            c, a, b = node.args
            new = ast.Call(func=node.func, args=[c, b, a], keywords=[])
            yield _one(node, new, f"branches of `{_src(node.func)}` swapped: `{_src(new)}`")
        elif isinstance(node, ast.IfExp):
            new = ast.IfExp(test=node.test, body=node.orelse, orelse=node.body)
            yield _one(node, new, f"branches swapped: `{_src(node)}` -> `{_src(new)}`")


def _inplace(fn: _Fn) -> Iterator:
    """An input updated in place, ``P`` a parameter (or an item ``P[k]`` of one) and op one of
    + - * /: ``t = P op E`` -> ``P op= E`` then ``t = P``; ``P = P op E`` -> ``P op= E``;
    ``return P op E, ...`` -> ``P op= E`` then ``return P, ...``."""
    def update(e: ast.AST) -> bool:
        p = e.left.value if isinstance(e, ast.BinOp) and isinstance(e.left, ast.Subscript) else getattr(e, "left", None)
        return type(getattr(e, "op", None)) in _SWAP and isinstance(p, ast.Name) and p.id in fn.params
    for node in fn.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and update(node.value):
            value = node.value
            after = ast.Assign(targets=node.targets, value=value.left, lineno=node.lineno)
            if ast.unparse(node.targets[0]) == ast.unparse(value.left):
                after = None  # P = P op E: the update alone
        elif isinstance(node, ast.Return) and node.value is not None:
            elts = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            hits = [i for i, e in enumerate(elts) if update(e)]
            if not hits:
                continue
            i, value = hits[0], elts[hits[0]]
            rest = [*elts[:i], value.left, *elts[i + 1:]]
            after = ast.Return(value=ast.Tuple(elts=rest, ctx=ast.Load()) if len(elts) > 1 else value.left)
        else:
            continue
        target = ast.parse(ast.unparse(value.left), mode="eval").body
        target.ctx = ast.Store()
        aug = ast.AugAssign(target=target, op=value.op, value=value.right)
        then = f" then `{_src(after)}`" if after else ""
        yield _one(node, [aug] + ([after] if after else []),
                   f"`{_src(node)}` -> `{_src(aug)}`{then} (input `{_src(value.left)}` modified in place)")


def _reorder_return(fn: _Fn) -> Iterator:
    """``return a, b, ...``: each adjacent pair of elements swapped (the first two first)."""
    for node in fn.body:
        elts = node.value.elts if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) else []
        for i in range(len(elts) - 1):
            new = ast.Tuple(elts=[*elts[:i], elts[i + 1], elts[i], *elts[i + 2:]], ctx=ast.Load())
            yield _one(node.value, new, f"returned `{_src(elts[i])}` and `{_src(elts[i + 1])}` swapped")


def _swap_unpacked(fn: _Fn) -> Iterator:
    """``a, b, c = t``: each adjacent pair of target names swapped (``x`` used for the cached ``out``)."""
    for node in fn.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else []
        if len(elts) < 2 or not all(isinstance(e, ast.Name) for e in elts):
            continue
        for i in range(len(elts) - 1):
            new = type(target)(elts=[*elts[:i], elts[i + 1], elts[i], *elts[i + 2:]], ctx=ast.Store())
            yield _one(target, new, f"unpacked `{elts[i].id}` and `{elts[i + 1].id}` swapped: "
                                    f"`{_src(node)}` -> `{_src(new)} = ...`")


def _whole_result(fn: _Fn, wrap, text: str) -> Iterator:
    """Every ``return E`` of the function itself (not of nested scopes, not ``return None``)
    with E, or each element of a tuple E, replaced by ``wrap(E)``: one mutant."""
    returns, todo = [], list(fn.node.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, ast.Return):
            if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
                returns.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo[:0] = ast.iter_child_nodes(node)
    edits = [(r.value, ast.Tuple(elts=[wrap(e) for e in r.value.elts], ctx=ast.Load())
              if isinstance(r.value, ast.Tuple) else wrap(r.value)) for r in returns]
    if edits:
        more = len(edits) - 1
        first = f"`return {_src(edits[0][1])}`" + (f" (and {more} more return{'s' * (more > 1)})" if more else "")
        yield returns[0], edits, f"{text}: {first}"


def _zeros(fn: _Fn) -> Iterator:
    """Every returned value ``v`` (each element of a returned tuple) -> ``np.zeros_like(v)``."""
    if fn.numpy:
        zeros_like = _attr(ast.Name(id="np", ctx=ast.Load()), "zeros_like")
        yield from _whole_result(fn, lambda e: ast.Call(func=zeros_like, args=[e], keywords=[]),
                                 "result replaced by zeros")


def _identity(fn: _Fn) -> Iterator:
    """Every returned value (each element of a returned tuple) -> the first positional parameter."""
    if fn.first is not None:
        yield from _whole_result(fn, lambda e: ast.Name(id=fn.first, ctx=ast.Load()),
                                 f"result replaced by the input `{fn.first}`")
