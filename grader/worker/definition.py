"""Which top-level statements of a notebook are *definitions* (worker side).

UNTRUSTED SIDE (:mod:`grader.worker`). In definitions mode only definitions run
(:mod:`grader.worker.notebook` has the full list): imports, ``def``, ``class`` with
constant bases, assignments of constant expressions, and ``if``/``try`` blocks of them.
How a definition is then changed so that defining it runs none of the student's code
is :mod:`grader.worker.rewrite`. Imports nothing of the grader's.
"""

from __future__ import annotations

import ast
import dataclasses


def is_constant(node: ast.AST | None, known: set[str], calls: "Calls | None" = None) -> bool:
    """Whether evaluating ``node`` is a constant expression (:mod:`grader.worker.notebook` lists them).

    With ``calls``, a call of a library function with constant arguments counts too
    (:meth:`Calls.allows`): only for the value of a top-level assignment."""
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in known or "*" in known
    if isinstance(node, ast.Attribute):
        return is_constant(node.value, known, calls)
    if isinstance(node, ast.Subscript):
        return is_constant(node.value, known, calls) and is_constant(node.slice, known, calls)
    if isinstance(node, ast.Slice):
        return all(is_constant(part, known, calls) for part in (node.lower, node.upper, node.step))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(is_constant(element, known, calls) for element in node.elts)
    if isinstance(node, ast.Starred):
        return is_constant(node.value, known, calls)
    if isinstance(node, ast.Dict):
        return all(is_constant(part, known, calls) for part in (*node.keys, *node.values))
    if isinstance(node, ast.UnaryOp):
        return is_constant(node.operand, known, calls)
    if isinstance(node, ast.BinOp):
        return is_constant(node.left, known, calls) and is_constant(node.right, known, calls)
    if isinstance(node, ast.BoolOp):
        return all(is_constant(value, known, calls) for value in node.values)
    if isinstance(node, ast.Compare):
        return all(is_constant(part, known, calls) for part in (node.left, *node.comparators))
    if isinstance(node, ast.IfExp):
        return all(is_constant(part, known, calls) for part in (node.test, node.body, node.orelse))
    if isinstance(node, ast.JoinedStr):
        return all(is_constant(value, known, calls) for value in node.values)
    if isinstance(node, ast.FormattedValue):
        return is_constant(node.value, known, calls) and is_constant(node.format_spec, known, calls)
    if isinstance(node, ast.Lambda):  # the body runs only when called
        return all(is_constant(default, known, calls) for default in (*node.args.defaults, *node.args.kw_defaults))
    if isinstance(node, ast.Call) and calls is not None and calls.allows(node.func):
        return (all(is_constant(arg, known, calls) for arg in node.args)
                and all(is_constant(keyword.value, known, calls) for keyword in node.keywords))
    return False  # other calls, comprehensions, await, yield, :=


# Builtins that compute a value from their arguments and nothing else (no I/O, no student code
# unless an argument is the student's object, which a constant argument cannot be).
PURE_BUILTINS = frozenset({"abs", "bool", "complex", "divmod", "float", "frozenset", "int", "len", "max", "min",
                           "pow", "range", "round", "slice", "str", "sum", "tuple"})


@dataclasses.dataclass(frozen=True)
class Calls:
    """Which callees a top-level assignment's value may call: a name or attribute chain from an
    import of a library (not a module of the submission), or a builtin of PURE_BUILTINS, neither
    rebound by the student."""

    imported: set[str] | frozenset[str]
    student: set[str] | frozenset[str]
    local: set[str] | frozenset[str]  # names bound by importing a module of the submission
    needed: set[str] | frozenset[str] = frozenset()  # names the notebook's functions and classes read

    def allows(self, func: ast.expr) -> bool:
        chain = func
        while isinstance(chain, ast.Attribute):
            chain = chain.value
        if not isinstance(chain, ast.Name) or chain.id in self.student or chain.id in self.local:
            return False
        if chain is func and chain.id in PURE_BUILTINS and chain.id not in self.imported:
            return True
        return chain.id in self.imported


def _is_plain_target(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_is_plain_target(element) for element in node.elts)
    return isinstance(node, ast.Starred) and _is_plain_target(node.value)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom, ast.Pass)
if hasattr(ast, "TypeAlias"):  # Python 3.12: type X = ... (its value is evaluated only when used)
    _DEFINITIONS += (ast.TypeAlias,)


def is_definition(stmt: ast.stmt, known: set[str], calls: "Calls | None" = None) -> bool:
    """Whether a top-level statement runs in ``definitions`` mode (:mod:`grader.worker.notebook`).

    ``known`` holds the names bound by the definitions before it (and builtins).
    A ``def`` always runs, changed where needed (:func:`grader.worker.rewrite.prepare`); a ``class``
    runs if its bases and keywords are constant expressions (the class cannot be
    made without them); annotations are never evaluated, so they do not count.
    With ``calls`` (top level only), an assignment whose value calls a library function
    with constant arguments runs if it binds a name a function or class of the notebook
    uses (``calls.needed``): ``SCALE = np.sqrt(2.0)``."""
    if isinstance(stmt, _DEFINITIONS):
        return True
    if isinstance(stmt, ast.ClassDef):
        return all(is_constant(base, known) for base in stmt.bases) and all(
            is_constant(keyword.value, known) for keyword in stmt.keywords)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        if isinstance(stmt, ast.Assign) and not all(_is_plain_target(t) for t in stmt.targets):
            return False
        if isinstance(stmt, ast.AnnAssign) and not isinstance(stmt.target, ast.Name):
            return False
        if is_constant(stmt.value, known):
            return True
        return (calls is not None and bool(bound_names(stmt) & calls.needed)
                and is_constant(stmt.value, known, calls))
    if isinstance(stmt, ast.If):
        return is_constant(stmt.test, known) and all(is_definition(s, known, calls) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Try):
        handlers_ok = all(is_constant(h.type, known) and all(is_definition(s, known, calls) for s in h.body)
                          for h in stmt.handlers)
        return handlers_ok and all(is_definition(s, known, calls)
                                   for s in stmt.body + stmt.orelse + stmt.finalbody)
    return False


def used_globals(tree: ast.Module) -> set[str]:
    """Names read inside the functions, classes and lambdas of ``tree`` (bodies, defaults, decorators)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))
    return names


def bound_names(stmt: ast.stmt) -> set[str]:
    """Names a definition binds at top level ("*" after ``from m import *``)."""
    names: set[str] = set()
    if isinstance(stmt, ast.Import):
        names.update(a.asname or a.name.split(".")[0] for a in stmt.names)
    elif isinstance(stmt, ast.ImportFrom):
        names.update(a.asname or a.name for a in stmt.names)
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(stmt.name)
    elif hasattr(ast, "TypeAlias") and isinstance(stmt, ast.TypeAlias):
        names.add(stmt.name.id)
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    elif isinstance(stmt, (ast.If, ast.Try)):
        blocks = [stmt.body, stmt.orelse]
        if isinstance(stmt, ast.Try):
            blocks += [stmt.finalbody] + [h.body for h in stmt.handlers]
            names.update(h.name for h in stmt.handlers if h.name)
        for block in blocks:
            for inner in block:
                names |= bound_names(inner)
    return names


def import_bindings(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    """(names a definition binds by an import, names it binds any other way)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return bound_names(stmt), set()
    if isinstance(stmt, (ast.If, ast.Try)):
        imported: set[str] = set()
        other: set[str] = set()
        blocks = [stmt.body, stmt.orelse]
        if isinstance(stmt, ast.Try):
            blocks += [stmt.finalbody] + [h.body for h in stmt.handlers]
            other.update(h.name for h in stmt.handlers if h.name)
        for block in blocks:
            for inner in block:
                more, less = import_bindings(inner)
                imported |= more
                other |= less
        return imported, other
    return set(), bound_names(stmt)
