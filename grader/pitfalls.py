"""The mutation operators that model classic numpy pitfalls, negate ... sign_quotient in the order
of OPERATORS: a sign flipped, an absolute value or a copy dropped, an argument scaled, an input
overwritten through ``out=``, and the numerically stable forms replaced by the naive formulas they
stand for. The same protocol as grader/mutators.py, whose helpers they use: each generator takes the
`_Fn` view of one top-level function and yields, without modifying its AST, candidate changes
``(anchor node, [(old node, new node or statements), ...], description)``. Imports go one way:
grader/mutation.py -> this module -> grader/mutators.py."""

from __future__ import annotations

import ast
import copy
from typing import Iterator

from grader.mutators import _attr, _bin, _Fn, _index_or_axis, _one, _src


_LITERALS = (ast.Constant, ast.Tuple, ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp,
             ast.GeneratorExp, ast.JoinedStr, ast.Lambda, ast.Starred)
_ELEMENTWISE = ("exp", "expm1", "log", "log1p", "tanh", "sqrt", "cos", "sin")
_UFUNCS = ("maximum", "minimum", "exp", "tanh", "multiply", "add", "subtract", "divide", "clip", "abs", "sqrt",
           "log", "log1p", "expm1")
_COPIES = {(m, f) for m in ("np", "numpy") for f in ("copy", "array")} | {("copy", "copy"), ("copy", "deepcopy")}


def _np_call(node: ast.AST, names: tuple) -> bool:
    """Whether ``node`` is a call ``np.f(...)`` (or ``numpy.f(...)``) with f in ``names``."""
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Attribute) and func.attr in names and isinstance(func.value, ast.Name) \
        and func.value.id in ("np", "numpy")


def _single(call: ast.Call) -> bool:
    """Whether a call has exactly one positional argument and no keyword."""
    return len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred)


def _sign_free(node: ast.AST, fn: _Fn) -> bool:
    """Whether negating ``node`` is no sign bug: a constant (the constant operator's), a tuple, a
    container literal or comprehension, a local name only ever bound to one of those (``grads = {}``)."""
    if not isinstance(node, ast.Name) or node.id in fn.params:
        return isinstance(node, _LITERALS)
    stores = sum(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == node.id for n in fn.body)
    values = [v for a in fn.body if isinstance(a, ast.Assign) for t in a.targets for n, v in (
        zip(t.elts, a.value.elts) if isinstance(t, ast.Tuple) and isinstance(a.value, ast.Tuple) else [(t, a.value)])
        if isinstance(n, ast.Name) and n.id == node.id]  # what ``node`` is bound to by assignments
    return 0 < len(values) == stores and all(isinstance(v, _LITERALS) for v in values)


def _negate(fn: _Fn) -> Iterator:
    """A sign flipped: a unary minus dropped (``-e`` -> ``e``; not that of an int literal or of
    an index, ``-1`` being an index, an axis or a shape), and each element ``e`` of a returned
    value negated (``return a, b`` -> ``return -a, b`` and -> ``return a, -b``), unless ``e`` is
    a constant, already ``-...``, or surely no number (``return grads`` after ``grads = {}``)."""
    for node in fn.body:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            if not (isinstance(node.operand, ast.Constant) and type(node.operand.value) is int) \
                    and not _index_or_axis(node, fn.parents):
                yield _one(node, node.operand, f"`-` dropped: `{_src(node)}` -> `{_src(node.operand)}`")
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            elts = value.elts if isinstance(value, ast.Tuple) else [value]
            for i, e in enumerate(elts):
                if _sign_free(e, fn) or (isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub)):
                    continue
                negated = ast.UnaryOp(op=ast.USub(), operand=e)
                new = ast.Tuple(elts=[*elts[:i], negated, *elts[i + 1:]], ctx=ast.Load()) \
                    if isinstance(value, ast.Tuple) else negated
                yield _one(value, new, f"returned `{_src(e)}` negated: `{_src(ast.Return(value=new))}`", node)


def _abs_dropped(fn: _Fn) -> Iterator:
    """An absolute value dropped: ``np.abs(e)`` (``np.absolute``, the builtin ``abs``) -> ``e``."""
    for node in fn.body:
        builtin = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "abs"
        if (builtin or _np_call(node, ("abs", "absolute"))) and _single(node):
            yield _one(node, node.args[0], f"`{_src(node.func)}` dropped: `{_src(node)}` -> `{_src(node.args[0])}`")


def _scale_argument(fn: _Fn) -> Iterator:
    """The argument of a one-argument elementwise numpy call scaled (tanh computed as tanh(x / 2)):
    ``np.f(e)`` -> ``np.f(2 * e)`` and -> ``np.f(e / 2)``, f one of exp, expm1, log, log1p, tanh,
    sqrt, cos, sin."""
    for node in fn.body:
        if _np_call(node, _ELEMENTWISE) and _single(node):
            e = node.args[0]
            for scaled in (_bin(ast.Constant(2), ast.Mult(), e), _bin(e, ast.Div(), ast.Constant(2))):
                new = ast.Call(func=node.func, args=[scaled], keywords=[])
                yield _one(node, new, f"argument of `{_src(node.func)}` scaled: `{_src(node)}` -> `{_src(new)}`")


def _copy_dropped(fn: _Fn) -> Iterator:
    """An explicit copy dropped, so the result aliases its input (``dx = dout`` then
    ``dx[x <= 0] = 0`` modifies ``dout``): ``e.copy()``, ``np.copy(e)``, ``np.array(e)`` (one
    argument, no keyword), ``copy.copy(e)`` and ``copy.deepcopy(e)`` -> ``e``."""
    for node in fn.body:
        func = node.func if isinstance(node, ast.Call) else None
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else None
        if isinstance(func, ast.Attribute) and func.attr == "copy" and owner not in ("np", "numpy", "copy") \
                and not node.args and not node.keywords:
            yield _one(node, func.value, f"`.copy()` dropped: `{_src(node)}` -> `{_src(func.value)}`")
        elif (owner, getattr(func, "attr", None)) in _COPIES and _single(node):
            yield _one(node, node.args[0], f"`{_src(func)}` dropped: `{_src(node)}` -> `{_src(node.args[0])}`")


def _ufunc_out(fn: _Fn) -> Iterator:
    """An elementwise numpy ufunc (f in _UFUNCS, np.clip included) written into an input: in a statement
    ``t = np.f(..., P, ...)``, P the first positional argument that is a parameter, ``out=P`` added
    (not to a call with an ``out=`` or a ``**kwargs`` already)."""
    for node in fn.body:
        call = node.value if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if not _np_call(call, _UFUNCS) or any(k.arg in ("out", None) for k in call.keywords):
            continue
        inputs = [a.id for a in call.args if isinstance(a, ast.Name) and a.id in fn.params]
        if inputs:
            out = ast.keyword(arg="out", value=ast.Name(id=inputs[0], ctx=ast.Load()))
            new = ast.Call(func=call.func, args=call.args, keywords=[*call.keywords, out])
            yield _one(call, new, f"`{_src(call)}` -> `{_src(new)}` (input `{inputs[0]}` overwritten in place)")


_BOUNDS = ("a_min", "a_max", "min", "max")  # np.clip's bound keywords (min=, max= since numpy 2.1)


def _zero(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == 0


def _max_of(node: ast.AST, e: ast.AST) -> bool:
    """Whether ``node`` is a max of the expression ``e``: ``np.max(e, ...)``, ``np.amax(e, ...)``, ``e.max(...)``."""
    if _np_call(node, ("max", "amax")):
        return bool(node.args) and ast.dump(node.args[0]) == ast.dump(e)
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Attribute) and func.attr == "max" and ast.dump(func.value) == ast.dump(e)


def _naive_form(fn: _Fn) -> Iterator:
    """A numerically stable form replaced by the naive formula it stands for, one mutant per
    occurrence: ``np.log1p(e)`` -> ``np.log(1 + e)``, ``np.expm1(e)`` -> ``np.exp(e) - 1``,
    ``np.logaddexp(a, b)`` -> ``np.log(np.exp(a) + np.exp(b))``; a clipping dropped,
    ``np.clip(e, lo, hi)`` (bounds a_min=, a_max= too) -> ``e``; a max shift dropped,
    ``e - np.max(e, ...)`` (``np.amax``, ``e.max(...)``) -> ``e``; the bound that keeps exp's
    argument <= 0 dropped, ``np.exp(-np.abs(e))`` -> ``np.exp(-e)`` and ``np.exp(np.minimum(e, 0))``
    (``np.minimum(0, e)``) -> ``np.exp(e)``. The max shift and ``np.exp(-np.abs(e))`` ones are
    the very mutants drop_term and abs_dropped make, which come first: mutation.py keeps theirs."""
    for node in fn.body:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _max_of(node.right, node.left):
            yield _one(node, node.left, f"max shift dropped: `{_src(node)}` -> `{_src(node.left)}`")
            continue
        if not _np_call(node, ("log1p", "expm1", "logaddexp", "clip", "exp")) \
                or any(isinstance(a, ast.Starred) for a in node.args):
            continue
        name, args, new = node.func.attr, node.args, None
        call = lambda f, *a: ast.Call(func=_attr(node.func.value, f), args=list(a), keywords=[])  # noqa: E731
        if name == "clip":
            if args and len(args) + len(node.keywords) == 3 and all(k.arg in _BOUNDS for k in node.keywords):
                yield _one(node, args[0], f"clipping dropped: `{_src(node)}` -> `{_src(args[0])}`")
            continue
        if name == "logaddexp" and len(args) == 2 and not node.keywords:
            new = call("log", _bin(call("exp", args[0]), ast.Add(), call("exp", args[1])))
        elif name != "logaddexp" and _single(node):
            e = args[0]
            if name == "log1p":
                new = call("log", _bin(ast.Constant(1), ast.Add(), e))
            elif name == "expm1":
                new = _bin(call("exp", e), ast.Sub(), ast.Constant(1))
            elif isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) \
                    and _np_call(e.operand, ("abs", "absolute")) and _single(e.operand):
                new = call("exp", ast.UnaryOp(op=ast.USub(), operand=e.operand.args[0]))
            elif _np_call(e, ("minimum",)) and len(e.args) == 2 and not e.keywords and any(map(_zero, e.args)):
                new = call("exp", e.args[1] if _zero(e.args[0]) else e.args[0])
        if new is not None:
            yield _one(node, new, f"`{_src(node)}` -> `{_src(new)}` (naive form)")


def _sign_quotient(fn: _Fn) -> Iterator:
    """``np.sign(e)`` -> ``e / np.abs(e)``: equal but at e == 0 (the kink), where it is nan."""
    for node in fn.body:
        if _np_call(node, ("sign",)) and _single(node):
            e = node.args[0]  # a copy inside np.abs: ast.unparse would keep the parentheses of `(a - b) / ...`
            abs_e = ast.Call(func=_attr(node.func.value, "abs"), args=[copy.deepcopy(e)], keywords=[])
            new = _bin(e, ast.Div(), abs_e)
            yield _one(node, new, f"`{_src(node)}` -> `{_src(new)}` (nan at 0)")
