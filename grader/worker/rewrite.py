"""A definition rewritten so that defining it runs none of the student's code (worker side).

UNTRUSTED SIDE (:mod:`grader.worker`): only decorators from imports are kept, a default
value that is not a constant expression is computed at each call, class bodies keep only
definitions, annotations stay text. Imports only :mod:`grader.worker.definition`.
"""

from __future__ import annotations

import __future__
import ast
import copy
import dataclasses

from grader.worker.definition import bound_names, is_constant, is_definition

# Builtins that may decorate: they wrap the function and never call it.
SAFE_BUILTIN_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})
# Why: the property protocol in a class body, ``@x.setter`` after ``@property def x``.
PROPERTY_ACCESSORS = frozenset({"setter", "getter", "deleter"})
# A default value that is not a constant expression is replaced by this name and
# computed in the function's body when the argument is missing.
DEFERRED = "__nngrade_default__"
# Annotations are kept as text and never evaluated (PEP 563).
ANNOTATIONS_AS_TEXT = __future__.annotations.compiler_flag


@dataclasses.dataclass(frozen=True)
class Scope:
    """What the planner knows at one statement: names bound so far, and which came from imports."""

    known: set[str] | frozenset[str]
    imported: set[str] | frozenset[str]  # bound by an import (``from m import *`` adds "*")
    student: set[str] | frozenset[str]   # bound by anything else: a def, a class, an assignment
    methods: frozenset[str] = frozenset()  # in a class body: the defs so far (for @x.setter)

    def from_import(self, name: str) -> bool:
        if name in self.student:
            return False
        return (name in self.imported or name in SAFE_BUILTIN_DECORATORS
                or ("*" in self.imported and name not in self.known))

    def library_decorator(self, node: ast.expr) -> bool:
        """A name or attribute chain from an import (or a safe builtin), or a call of one whose
        arguments are constant expressions: ``@njit``, ``@functools.lru_cache(maxsize=None)``,
        ``@dataclasses.dataclass(frozen=True)``; in a class body also ``@x.setter``."""
        target = node.func if isinstance(node, ast.Call) else node
        if isinstance(node, ast.Call) and not (
                all(is_constant(arg, self.known) for arg in node.args)
                and all(is_constant(keyword.value, self.known) for keyword in node.keywords)):
            return False
        chain = target
        while isinstance(chain, ast.Attribute):
            chain = chain.value
        if not isinstance(chain, ast.Name):
            return False
        if (chain.id in self.methods and isinstance(target, ast.Attribute) and target.value is chain
                and target.attr in PROPERTY_ACCESSORS and not isinstance(node, ast.Call)):
            return True
        return self.from_import(chain.id)

    def inner(self, names: set[str], methods: set[str]) -> "Scope":
        """The scope further down a class body, once ``names`` are bound in it."""
        return Scope(known=self.known | names, imported=self.imported, student=self.student | names,
                      methods=frozenset(methods))


def prepare(stmt: ast.stmt, scope: Scope, notes: list) -> ast.stmt:
    """``stmt`` (a definition) changed so that defining it runs none of the student's code:
    only decorators from imports are kept, defaults that are not constant expressions are
    computed at each call, class bodies keep only definitions. Changes are added to
    ``notes`` as (line, kind). The statement is copied, never changed in place."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _prepare_function(stmt, scope, notes)
    if isinstance(stmt, ast.ClassDef):
        return _prepare_class(stmt, scope, notes)
    if isinstance(stmt, ast.If):
        new = copy.copy(stmt)
        new.body = [prepare(s, scope, notes) for s in stmt.body]
        new.orelse = [prepare(s, scope, notes) for s in stmt.orelse]
        return new
    if isinstance(stmt, ast.Try):
        new = copy.copy(stmt)
        new.body = [prepare(s, scope, notes) for s in stmt.body]
        new.orelse = [prepare(s, scope, notes) for s in stmt.orelse]
        new.finalbody = [prepare(s, scope, notes) for s in stmt.finalbody]
        new.handlers = []
        for handler in stmt.handlers:
            handler = copy.copy(handler)
            handler.body = [prepare(s, scope, notes) for s in handler.body]
            new.handlers.append(handler)
        return new
    return stmt


def _decorators(node: ast.stmt, scope: Scope, notes: list) -> list[ast.expr]:
    kept = []
    for decorator in node.decorator_list:
        if scope.library_decorator(decorator):
            kept.append(decorator)
        else:
            notes.append((decorator.lineno, "decorator"))
    return kept


def _prepare_function(node: ast.stmt, scope: Scope, notes: list) -> ast.stmt:
    new = copy.copy(node)
    new.decorator_list = _decorators(node, scope, notes)
    args = copy.copy(node.args)
    positional = args.posonlyargs + args.args
    defaults = list(args.defaults)
    kw_defaults = list(args.kw_defaults)
    deferred = []  # (parameter name, default expression)
    for i, default in enumerate(defaults):
        if not is_constant(default, scope.known):
            deferred.append((positional[len(positional) - len(defaults) + i].arg, default))
            defaults[i] = ast.copy_location(ast.Name(id=DEFERRED, ctx=ast.Load()), default)
    for i, default in enumerate(kw_defaults):
        if default is not None and not is_constant(default, scope.known):
            deferred.append((args.kwonlyargs[i].arg, default))
            kw_defaults[i] = ast.copy_location(ast.Name(id=DEFERRED, ctx=ast.Load()), default)
    args.defaults, args.kw_defaults = defaults, kw_defaults
    new.args = args
    if deferred:
        prologue = []
        for name, default in deferred:
            if (default.lineno, "default") not in notes:
                notes.append((default.lineno, "default"))
            parameter, sentinel = ast.Name(id=name, ctx=ast.Load()), ast.Name(id=DEFERRED, ctx=ast.Load())
            test = ast.Compare(left=parameter, ops=[ast.Is()], comparators=[sentinel])
            target = ast.Name(id=name, ctx=ast.Store())
            assign = ast.Assign(targets=[target], value=default)
            check = ast.If(test=test, body=[assign], orelse=[])
            for part in (parameter, sentinel, test, target, assign, check):
                ast.copy_location(part, default)  # a traceback points at the default, in the def line
            prologue.append(ast.fix_missing_locations(check))
        body = list(node.body)
        docstring = (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                     and isinstance(body[0].value.value, str))
        at = 1 if docstring else 0
        new.body = body[:at] + prologue + body[at:]
    return new


def _prepare_class(node: ast.ClassDef, scope: Scope, notes: list) -> ast.ClassDef:
    new = copy.copy(node)
    new.decorator_list = _decorators(node, scope, notes)
    body: list[ast.stmt] = []
    names: set[str] = set()
    methods: set[str] = set()
    for stmt in node.body:
        inner = scope.inner(names, methods)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body.append(_prepare_function(stmt, inner, notes))
            methods.add(stmt.name)
        elif is_definition(stmt, inner.known):
            body.append(prepare(stmt, inner, notes))
        else:
            notes.append((stmt.lineno, "class_body"))
            continue
        names |= bound_names(stmt)
    if not body:
        body = [ast.copy_location(ast.Pass(), node)]
    new.body = body
    return new


class Deferred:
    """The value of :data:`DEFERRED`: stands for a default value computed at each call."""

    def __repr__(self) -> str:
        return "<default computed when the function is called>"
