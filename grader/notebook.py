"""Notebook (``.ipynb``) submissions: turned into the student's module inside the worker.

A notebook is never converted or run in the trusted process. The staged
``<module>.ipynb`` is read, converted and run by the worker (:func:`import_notebook`,
called from :meth:`grader.worker.Worker.op_import`), under the same sandbox and
limits as a ``.py`` file. What comes back is plain data: the list of functions,
as for a ``.py`` file, and a *report* of what was skipped or neutralized, which
the trusted side checks and escapes (:class:`Report`) before it shows it.

Reading
    As JSON, notebook format 4 (any minor version; nbformat is not imported). Invalid JSON, a
    format 3 notebook, a notebook without code and a malformed cell each get
    their own message. Only the ``source`` of code cells is used: stored
    outputs (even one that prints "score: 100/100"), execution counts, cell
    and notebook metadata (``nbgrader`` points, kernelspec) are ignored;
    points come only from the rubric.

Cell numbers
    ``cell 7`` is the 7th cell from the top of the notebook, markdown cells
    included; ``line 2`` is the line within that cell. Syntax errors, skipped
    statements and tracebacks all use this form.

What runs: mode ``definitions`` (the default)
    Only the *definitions* among each cell's top-level statements run, in
    notebook order, and defining them runs none of the student's own code, so a
    notebook that trains for ten minutes at the bottom still grades in seconds.
    ``docs/notebooks.md`` has the table of every construct and why. A definition is:

    * ``import`` and ``from ... import`` (an import that fails with
      ImportError, e.g. ``import matplotlib`` where it is not installed, is
      skipped and reported instead of failing the whole notebook). A helper
      module of the submission (``import my_helpers``) runs its top-level code,
      as it would for a ``.py`` submission that imports it;
    * ``def`` and ``async def``, changed so that defining them runs nothing of
      the student's: a decorator is applied only if it is a name or attribute
      chain from an import (``@njit``, ``@functools.cache``; also
      ``staticmethod``, ``classmethod``, ``property`` and ``@x.setter``), or a
      call of one with constant arguments (``@dataclass(frozen=True)``); others
      are dropped and reported. A default value that is not a constant
      expression (``out=np.zeros(3)``) is computed when the function is called
      without it, not at the ``def`` (reported). Annotations are never
      evaluated (PEP 563: they are kept as text);
    * ``class``, if its bases and keywords (``metaclass=``) are constant
      expressions, with the same rules for its decorators and methods; its
      body keeps only definitions (methods, constant assignments, docstrings,
      nested classes); any other statement in it is removed and reported;
    * an assignment of a *constant expression* to plain names
      (``EPS = 1e-12``, ``SIZES = (2, 3)``, ``D = H * W``, ``DTYPE = np.float64``,
      ``relu = lambda x: ...``): literals, names already defined by an earlier
      definition (or builtins), attribute and subscript access on those,
      operators, containers, conditional expressions, f-strings and lambdas;
      **no calls** and no comprehensions. ``x: T = value`` likewise;
    * an assignment whose value calls a library function with constant arguments
      (``SCALE = np.sqrt(2.0)``), if a function or class of the notebook reads a name
      it assigns (:class:`_Calls`, ``docs/notebooks.md``);
    * ``if``/``try`` statements whose conditions are constant expressions and
      whose every branch holds only definitions (``try: import numba``
      ``except ImportError: numba = None``);
    * ``pass`` and bare string literals.

    Everything else at top level (calls such as a training run, ``plt.plot``
    or ``print``, loops, ``with``, augmented assignments, assignments of call
    results such as ``rng = np.random.default_rng(0)``) is skipped and listed
    in the feedback with its cell, line and first line of code.

    While a definition runs, a guard (:class:`_Guard`, a trace function)
    refuses to enter any *function* of the student's, from the notebook or a
    ``.py`` of the submission, unless a helper module's own import called it.
    What would run one anyway (a metaclass, ``__init_subclass__``, a property
    of a metaclass read by a "constant", ``__set_name__``, ``__class_getitem__``,
    a library decorator that calls the function, ``@interact``) is caught: a
    def or class is then defined without its decorators, or else skipped; both
    are reported. A definition that raises is skipped and reported too; the
    rest of the notebook still runs.

What runs: mode ``execute`` (``--execute``)
    Every code cell runs in order, as "Run All" would, with ``__name__`` set
    to ``"__main__"`` while the cells run. An exception stops the run there
    and is the submission's error, as an exception at import is for a ``.py``.

Steps, time limit and restarts
    The import runs one unit at a time (a definition, or in execute mode a
    cell: :func:`import_notebook`), all within the import time limit. If one
    does not finish in time, or crashes the worker, a fresh worker imports the
    notebook again: in execute mode it is graded on its definitions only ("cell
    12 did not finish within 10 s; graded the notebook's definitions only"); in
    definitions mode that one definition is skipped. At most
    :data:`MAX_IMPORT_RESTARTS` restarts, each with the import time limit
    (:class:`NotebookSandbox`); later workers import the same way.

IPython syntax, in both modes
    Line magics (``%time``), cell magics (``%%bash``: the rest of the cell),
    shell escapes (``!rm -rf ~``, ``files = !ls``), help (``x?``, ``?x``) and
    the other IPython escapes (``/f x``, ``,f a b``, ``;f a b``) at the start
    of a logical line never reach a shell: the line becomes ``pass`` (line
    numbers stay as they were) and is reported. ``get_ipython()`` is a stub
    whose every method does nothing; its calls are reported too. ``display()``
    exists, as in Jupyter, and does nothing.
"""

from __future__ import annotations

import __future__
import ast
import builtins
import copy
import hashlib
import dataclasses
import functools
import json
import linecache
import os
import re
import sys
import time
import types

from grader.failure import GraderError, escape
from grader.sandbox import Sandbox, WorkerDied, WorkerProcess, WorkerTimeout

MODES = ("definitions", "execute")
# Why: a report names what was skipped; past 50 entries more lines only bury the first ones.
MAX_REPORTED = 50
# Why: the feedback lists at most this many of each kind, then says how many more.
MAX_LISTED = 20
CODE_CHARS = 120  # characters of a line of code quoted in feedback
EXTENSION = ".ipynb"
# Why: the plan reply lists every unit (about 16 bytes each without code) and must stay far
# below the protocol's cap on the JSON part of a message; no real notebook comes near.
MAX_UNITS = 20_000
MAX_QUOTED_UNITS = 2000  # above this many units, the plan reply quotes no code (it stays small)
UNIT_CHARS = 60  # characters of a unit's code quoted in the plan reply


# =============================================================================
# Worker side (untrusted process): read, neutralize, plan, run.
# =============================================================================

class NotebookProblem(Exception):
    """The notebook cannot be turned into a module (the student's problem)."""

    def __init__(self, kind: str, detail: str = "", *, cell: int = 0, line: int = 0, code: str = ""):
        super().__init__(detail)
        self.kind, self.detail, self.cell, self.line, self.code = kind, detail, cell, line, code

    def as_dict(self) -> dict:
        return {"kind": self.kind, "detail": self.detail[:1000], "cell": self.cell, "line": self.line,
                "code": self.code.strip()[:CODE_CHARS]}


def read_cells(data: bytes) -> list[tuple[int, str]]:
    """(cell number, source) of every code cell; cells are numbered from 1 at the top,
    markdown cells included. Raises :class:`NotebookProblem`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookProblem("not_utf8", f"byte {exc.start}") from None
    try:
        raw = json.loads(text)
    except RecursionError:
        raise NotebookProblem("invalid_json", "nested too deeply") from None
    except ValueError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise NotebookProblem("invalid_json", where) from None
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        raise NotebookProblem("not_notebook")
    major = raw.get("nbformat")
    if major != 4 or isinstance(major, bool):
        kind = "old_format" if major in (1, 2, 3) or "worksheets" in raw else "unknown_format"
        raise NotebookProblem(kind, str(major)[:20])
    # The JSON as it is: nbformat's reader adds nothing the grader needs for format 4 (it would
    # only wrap it), and importing nbformat costs about 90 ms, more than the rest of the import.
    notebook = raw
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookProblem("not_notebook")
    found = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookProblem("bad_cell", cell=number)
        found.append((number, source))
    if not any(source.strip() for _, source in found):
        raise NotebookProblem("no_code")
    return found


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Python's own line breaks (str.splitlines knows more)
_MAGIC_ASSIGNMENT = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*([!%])")


def _escape_kind(stripped: str) -> str | None:
    """The kind of IPython syntax a logical line starts with, or None for Python."""
    if stripped.startswith("%%"):
        return "cell_magic"
    if stripped[0] == "!":
        return "shell"
    if stripped[0] == "%":
        return "magic"
    if stripped[0] in "?/,;":
        return "ipython"
    match = _MAGIC_ASSIGNMENT.match(stripped)
    if match:
        return "shell" if match.group(2) == "!" else "magic"
    return None


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None, bool, int]:
    """Follow brackets and strings through one physical line.

    Returns (bracket depth, open quote or None, whether a backslash continues
    the line, index where a comment starts or len(line))."""
    i, n, code_end = 0, len(line), len(line)
    while i < n:
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if c == "#":
            code_end = i
            break
        if c in "'\"":
            quote = c * 3 if line.startswith(c * 3, i) else c
            i += len(quote)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    if quote is not None and len(quote) == 1 and i <= n:
        quote = None  # an unterminated one-line string: the parser reports it
    continued = quote is None and code_end == n and line.endswith("\\")
    return depth, quote, continued, code_end


def neutralize(source: str) -> tuple[str, list[tuple[int, str, str]]]:
    """Replace IPython syntax at the start of a logical line by ``pass`` (a cell
    magic: the rest of the cell by blank lines). Line numbers do not change.

    Returns the new source and (line, kind, text) for each replacement."""
    lines = _LINE_BREAK.split(source)
    out: list[str] = []
    notes: list[tuple[int, str, str]] = []
    depth, quote, continued, in_cell_magic = 0, None, False, False
    for number, line in enumerate(lines, start=1):
        if in_cell_magic:
            out.append("")
            continue
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        at_start = depth == 0 and quote is None and not continued
        kind = _escape_kind(stripped) if at_start and stripped else None
        if kind == "cell_magic":
            in_cell_magic = True
            notes.append((number, kind, stripped))
            out.append("")
            continue
        if kind:
            notes.append((number, kind, stripped))
            out.append(indent + "pass")
            continue
        depth, quote, continued, code_end = _scan(line, depth, quote)
        complete = depth == 0 and quote is None and not continued
        if at_start and complete and line[:code_end].rstrip().endswith("?"):
            notes.append((number, "help", stripped))  # x? and x?? ask IPython for help
            out.append(indent + "pass")
            continue
        out.append(line)
    return "\n".join(out), notes


def _is_constant(node: ast.AST | None, known: set[str], calls: "_Calls | None" = None) -> bool:
    """Whether evaluating ``node`` is a constant expression (see the module docstring).

    With ``calls``, a call of a library function with constant arguments counts too
    (:meth:`_Calls.allows`): only for the value of a top-level assignment."""
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in known or "*" in known
    if isinstance(node, ast.Attribute):
        return _is_constant(node.value, known, calls)
    if isinstance(node, ast.Subscript):
        return _is_constant(node.value, known, calls) and _is_constant(node.slice, known, calls)
    if isinstance(node, ast.Slice):
        return all(_is_constant(part, known, calls) for part in (node.lower, node.upper, node.step))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_constant(element, known, calls) for element in node.elts)
    if isinstance(node, ast.Starred):
        return _is_constant(node.value, known, calls)
    if isinstance(node, ast.Dict):
        return all(_is_constant(part, known, calls) for part in (*node.keys, *node.values))
    if isinstance(node, ast.UnaryOp):
        return _is_constant(node.operand, known, calls)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, known, calls) and _is_constant(node.right, known, calls)
    if isinstance(node, ast.BoolOp):
        return all(_is_constant(value, known, calls) for value in node.values)
    if isinstance(node, ast.Compare):
        return all(_is_constant(part, known, calls) for part in (node.left, *node.comparators))
    if isinstance(node, ast.IfExp):
        return all(_is_constant(part, known, calls) for part in (node.test, node.body, node.orelse))
    if isinstance(node, ast.JoinedStr):
        return all(_is_constant(value, known, calls) for value in node.values)
    if isinstance(node, ast.FormattedValue):
        return _is_constant(node.value, known, calls) and _is_constant(node.format_spec, known, calls)
    if isinstance(node, ast.Lambda):  # the body runs only when called
        return all(_is_constant(default, known, calls) for default in (*node.args.defaults, *node.args.kw_defaults))
    if isinstance(node, ast.Call) and calls is not None and calls.allows(node.func):
        return (all(_is_constant(arg, known, calls) for arg in node.args)
                and all(_is_constant(keyword.value, known, calls) for keyword in node.keywords))
    return False  # other calls, comprehensions, await, yield, :=


# Builtins that compute a value from their arguments and nothing else (no I/O, no student code
# unless an argument is the student's object, which a constant argument cannot be).
PURE_BUILTINS = frozenset({"abs", "bool", "complex", "divmod", "float", "frozenset", "int", "len", "max", "min",
                           "pow", "range", "round", "slice", "str", "sum", "tuple"})


@dataclasses.dataclass(frozen=True)
class _Calls:
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


def is_definition(stmt: ast.stmt, known: set[str], calls: "_Calls | None" = None) -> bool:
    """Whether a top-level statement runs in ``definitions`` mode (see the module docstring).

    ``known`` holds the names bound by the definitions before it (and builtins).
    A ``def`` always runs, changed where needed (:func:`_prepare`); a ``class``
    runs if its bases and keywords are constant expressions (the class cannot be
    made without them); annotations are never evaluated, so they do not count.
    With ``calls`` (top level only), an assignment whose value calls a library function
    with constant arguments runs if it binds a name a function or class of the notebook
    uses (``calls.needed``): ``SCALE = np.sqrt(2.0)``."""
    if isinstance(stmt, _DEFINITIONS):
        return True
    if isinstance(stmt, ast.ClassDef):
        return all(_is_constant(base, known) for base in stmt.bases) and all(
            _is_constant(keyword.value, known) for keyword in stmt.keywords)
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        if isinstance(stmt, ast.Assign) and not all(_is_plain_target(t) for t in stmt.targets):
            return False
        if isinstance(stmt, ast.AnnAssign) and not isinstance(stmt.target, ast.Name):
            return False
        if _is_constant(stmt.value, known):
            return True
        return (calls is not None and bool(bound_names(stmt) & calls.needed)
                and _is_constant(stmt.value, known, calls))
    if isinstance(stmt, ast.If):
        return _is_constant(stmt.test, known) and all(is_definition(s, known, calls) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Try):
        handlers_ok = all(_is_constant(h.type, known) and all(is_definition(s, known, calls) for s in h.body)
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


def _import_bindings(stmt: ast.stmt) -> tuple[set[str], set[str]]:
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
                more, less = _import_bindings(inner)
                imported |= more
                other |= less
        return imported, other
    return set(), bound_names(stmt)


# -- making a definition run none of the student's code ---------------------------
# Builtins that may decorate: they wrap the function and never call it.
SAFE_BUILTIN_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})
# Why: the property protocol in a class body, ``@x.setter`` after ``@property def x``.
PROPERTY_ACCESSORS = frozenset({"setter", "getter", "deleter"})
# A default value that is not a constant expression is replaced by this name and
# computed in the function's body when the argument is missing.
DEFERRED = "__nngrade_default__"
# Annotations are kept as text and never evaluated (PEP 563).
_ANNOTATIONS_AS_TEXT = __future__.annotations.compiler_flag


@dataclasses.dataclass(frozen=True)
class _Scope:
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
                all(_is_constant(arg, self.known) for arg in node.args)
                and all(_is_constant(keyword.value, self.known) for keyword in node.keywords)):
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

    def inner(self, names: set[str], methods: set[str]) -> "_Scope":
        """The scope further down a class body, once ``names`` are bound in it."""
        return _Scope(known=self.known | names, imported=self.imported, student=self.student | names,
                      methods=frozenset(methods))


def _prepare(stmt: ast.stmt, scope: _Scope, notes: list) -> ast.stmt:
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
        new.body = [_prepare(s, scope, notes) for s in stmt.body]
        new.orelse = [_prepare(s, scope, notes) for s in stmt.orelse]
        return new
    if isinstance(stmt, ast.Try):
        new = copy.copy(stmt)
        new.body = [_prepare(s, scope, notes) for s in stmt.body]
        new.orelse = [_prepare(s, scope, notes) for s in stmt.orelse]
        new.finalbody = [_prepare(s, scope, notes) for s in stmt.finalbody]
        new.handlers = []
        for handler in stmt.handlers:
            handler = copy.copy(handler)
            handler.body = [_prepare(s, scope, notes) for s in handler.body]
            new.handlers.append(handler)
        return new
    return stmt


def _decorators(node: ast.stmt, scope: _Scope, notes: list) -> list[ast.expr]:
    kept = []
    for decorator in node.decorator_list:
        if scope.library_decorator(decorator):
            kept.append(decorator)
        else:
            notes.append((decorator.lineno, "decorator"))
    return kept


def _prepare_function(node: ast.stmt, scope: _Scope, notes: list) -> ast.stmt:
    new = copy.copy(node)
    new.decorator_list = _decorators(node, scope, notes)
    args = copy.copy(node.args)
    positional = args.posonlyargs + args.args
    defaults = list(args.defaults)
    kw_defaults = list(args.kw_defaults)
    deferred = []  # (parameter name, default expression)
    for i, default in enumerate(defaults):
        if not _is_constant(default, scope.known):
            deferred.append((positional[len(positional) - len(defaults) + i].arg, default))
            defaults[i] = ast.copy_location(ast.Name(id=DEFERRED, ctx=ast.Load()), default)
    for i, default in enumerate(kw_defaults):
        if default is not None and not _is_constant(default, scope.known):
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


def _prepare_class(node: ast.ClassDef, scope: _Scope, notes: list) -> ast.ClassDef:
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
            body.append(_prepare(stmt, inner, notes))
        else:
            notes.append((stmt.lineno, "class_body"))
            continue
        names |= bound_names(stmt)
    if not body:
        body = [ast.copy_location(ast.Pass(), node)]
    new.body = body
    return new


def _future_flags(statements: list[ast.stmt]) -> int:
    flags = 0
    for stmt in statements:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


@dataclasses.dataclass
class Unit:
    """One piece of code to run: a whole cell (execute) or one top-level definition."""

    cell: int
    line: int
    code: types.CodeType
    is_import: bool
    text: str
    # definitions mode: the same def or class without its decorators (run if applying them fails)
    bare: types.CodeType | None = None
    first: int = 0  # the line of its first decorator (else ``line``)
    first_text: str = ""


@dataclasses.dataclass
class Plan:
    units: list[Unit]
    skipped: list[dict]
    neutralized: list[dict]
    sources: dict[str, str]  # filename -> original source, for tracebacks
    changed: list[dict] = dataclasses.field(default_factory=list)
    # definitions mode: name -> the skipped statement that would have bound it (and nothing else does)
    unbound: dict[str, dict] = dataclasses.field(default_factory=dict)


def statement_key(stmt: ast.stmt) -> str:
    """A short digest of a statement's code (not of its position or comments): how the trusted
    side recognizes a skipped statement of the course's own starter notebook."""
    return hashlib.sha256(ast.dump(stmt).encode()).hexdigest()[:16]


def _skip_reason(stmt: ast.stmt) -> str:
    """Why a top-level statement is not a definition, in a few words."""
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return "a loop"
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return "a with block"
    if isinstance(stmt, ast.If):
        return "an if block that is not only definitions"
    if isinstance(stmt, ast.AugAssign):
        return "an augmented assignment"
    if isinstance(stmt, ast.Expr):
        return "a call, not a definition" if isinstance(stmt.value, ast.Call) else "not a definition"
    if getattr(stmt, "value", None) is not None and any(isinstance(n, ast.Call) for n in ast.walk(stmt)):
        return ("it calls your own code, or a library with arguments that are not constant, or no function "
                "uses what it sets")
    if any(isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) for n in ast.walk(stmt)):
        return "a comprehension"
    return "not a definition"


def _stored_names(stmt: ast.stmt) -> set[str]:
    names = bound_names(stmt)
    names.update(n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def _local_modules(path: str) -> set[str]:
    """Modules of the submission beside the notebook (a .py file or a package folder)."""
    try:
        entries = os.listdir(os.path.dirname(path) or ".")
    except OSError:
        return set()
    return {e[:-3] for e in entries if e.endswith(".py")} | {e for e in entries if "." not in e}


def _dedupe(notes: list[dict]) -> list[dict]:
    """``notes`` without repeats (same cell, line, kind and code), in order."""
    seen, out = set(), []
    for note in notes:
        key = (note.get("cell"), note.get("line"), note.get("kind", ""), note.get("code"))
        if key not in seen:
            seen.add(key)
            out.append(note)
    return out


def _first_line(lines: list[str], number: int) -> str:
    return lines[number - 1].strip()[:CODE_CHARS] if 0 < number <= len(lines) else ""


def make_plan(cells: list[tuple[int, str]], *, execute: bool, path: str) -> Plan:
    """Neutralize, parse and compile every cell (no code runs here); decide what runs.

    Raises :class:`NotebookProblem` for the first cell that does not compile."""
    plan = Plan(units=[], skipped=[], neutralized=[], sources={})
    known = set(dir(builtins)) | set(JUPYTER_NAMES)
    imported: set[str] = set()
    student: set[str] = set()
    local: set[str] = set()
    flags = 0
    parsed = []  # (number, lines, tree, whole code) of each cell
    for number, original in cells:
        filename = f"{path}, cell {number}"
        plan.sources[filename] = original
        lines = _LINE_BREAK.split(original)
        source, replaced = neutralize(original)
        plan.neutralized += [{"cell": number, "line": line, "kind": kind, "code": text[:CODE_CHARS]}
                             for line, kind, text in replaced]
        try:
            tree = compile(source, filename, "exec", flags=flags | ast.PyCF_ONLY_AST, dont_inherit=True)
            whole = compile(tree, filename, "exec", flags=flags, dont_inherit=True) if execute else None
        except SyntaxError as exc:
            line = exc.lineno or 0
            code = exc.text if exc.text is not None else _first_line(lines, line)
            raise NotebookProblem("syntax", f"{type(exc).__name__}: {exc.msg}", cell=number, line=line,
                                  code=code or "") from None
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            raise NotebookProblem("syntax", f"{type(exc).__name__}: {exc}", cell=number) from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython":
                plan.neutralized.append({"cell": number, "line": node.lineno, "kind": "get_ipython",
                                         "code": _first_line(lines, node.lineno)})
        flags |= _future_flags(tree.body)
        parsed.append((number, lines, tree, whole))
    plan.neutralized = _dedupe(sorted(plan.neutralized, key=lambda note: (note["cell"], note["line"])))
    if execute:
        plan.units = [Unit(number, 1, whole, False, _first_line(lines, 1)) for number, lines, _, whole in parsed]
        return plan
    needed: set[str] = set()
    for _, _, tree, _ in parsed:
        needed |= used_globals(tree)
    modules = _local_modules(path)
    flags = 0
    would_bind: dict[str, dict] = {}
    for number, lines, tree, _ in parsed:
        filename = f"{path}, cell {number}"
        for stmt in tree.body:
            calls = _Calls(imported=imported, student=student, local=local, needed=needed)
            if not is_definition(stmt, known, calls):
                why = _skip_reason(stmt)
                missing = sorted({n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                                  and isinstance(n.ctx, ast.Load) and n.id in would_bind and n.id not in known})
                if missing:  # it needs what an earlier skipped statement would have set
                    earlier = would_bind[missing[0]]
                    why = (f"it uses {missing[0]}, set only by cell {earlier['cell']}, line {earlier['line']}, "
                           "which was skipped")
                note = {"cell": number, "line": stmt.lineno, "code": _first_line(lines, stmt.lineno),
                        "key": statement_key(stmt), "why": why}
                plan.skipped.append(note)
                for name in _stored_names(stmt):
                    would_bind[name] = note
                continue
            notes: list[tuple[int, str]] = []
            scope = _Scope(known=known, imported=imported, student=student)  # read only, not copied
            prepared = _prepare(stmt, scope, notes)
            plan.changed += [{"cell": number, "line": line, "kind": kind, "code": _first_line(lines, line)}
                             for line, kind in sorted(set(notes))]
            unit_flags = flags | _ANNOTATIONS_AS_TEXT
            try:
                code = compile(ast.Module(body=[prepared], type_ignores=[]), filename, "exec",
                               flags=unit_flags, dont_inherit=True)
                bare = None
                if getattr(prepared, "decorator_list", None):
                    undecorated = copy.copy(prepared)
                    undecorated.decorator_list = []
                    bare = compile(ast.Module(body=[undecorated], type_ignores=[]), filename, "exec",
                                   flags=unit_flags, dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
                # What compiled as written and not once changed (none known): the student's
                # definition is listed as skipped rather than failing the whole notebook.
                plan.skipped.append({"cell": number, "line": stmt.lineno, "code": _first_line(lines, stmt.lineno),
                                     "key": statement_key(stmt), "why": "it could not be compiled once changed"})
                continue
            is_import = isinstance(stmt, (ast.Import, ast.ImportFrom)) and getattr(stmt, "module", "") != "__future__"
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            plan.units.append(Unit(number, stmt.lineno, code, is_import, _first_line(lines, stmt.lineno),
                                   bare=bare, first=first, first_text=_first_line(lines, first)))
            names = bound_names(stmt)
            known |= names
            more, less = _import_bindings(stmt)
            imported |= more
            student |= less
            local |= {alias.asname or alias.name.split(".")[0] for alias in getattr(stmt, "names", ())
                      if isinstance(stmt, ast.Import) and alias.name.split(".")[0] in modules}
            if isinstance(stmt, ast.ImportFrom) and (stmt.level or (stmt.module or "").split(".")[0] in modules):
                local |= more
            flags |= _future_flags([stmt])
    plan.skipped = _dedupe(plan.skipped)
    plan.changed = _dedupe(plan.changed)
    plan.unbound = {name: note for name, note in would_bind.items() if name not in known}
    return plan


class _NoIPython:
    """Stands in for IPython's shell in grading: every method does nothing and returns None."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None

    def __repr__(self) -> str:
        return "<no IPython shell: grading runs plain Python>"


def _get_ipython() -> _NoIPython:
    return _NoIPython()


def _display(*objects, **options) -> None:
    """Jupyter's display(): there is nothing to show in grading."""


# Names Jupyter provides without an import; in grading they do nothing.
JUPYTER_NAMES = {"get_ipython": _get_ipython, "display": _display}


class _Deferred:
    """The value of :data:`DEFERRED`: stands for a default value computed at each call."""

    def __repr__(self) -> str:
        return "<default computed when the function is called>"


# Taken when this module is imported, before any student code runs: a helper module
# that replaces sys.settrace does not turn the guard off.
_settrace, _gettrace = sys.settrace, sys.gettrace
_CO_OPTIMIZED = 0x0001  # inspect.CO_OPTIMIZED: the code of a function (not of a module or class body)


class _Blocked(BaseException):
    """Raised where a definition would call a function of the student's; a BaseException,
    so that a library's ``except Exception`` between the two does not swallow it."""


class _Guard:
    """A trace function that refuses to enter any function of the student's while a
    definition runs: one defined in the notebook or in a ``.py`` file of the submission.

    Class bodies and the top-level code of a module are not functions and run; a helper
    module being imported runs as it would for a ``.py`` (everything below its top-level
    code is let through)."""

    def __init__(self, submission_dir: str, notebook_path: str, unbound: dict | None = None):
        self.unbound = unbound or {}  # Plan.unbound: for the hint of a NameError
        self.roots = tuple({os.path.join(submission_dir, ""), os.path.join(os.path.realpath(submission_dir), "")})
        self.cells = notebook_path + ", cell "

    def _helper_module(self, code: types.CodeType) -> bool:
        return (code.co_name == "<module>" and code.co_filename.startswith(self.roots)
                and not code.co_filename.startswith(self.cells))

    def __call__(self, frame, event, arg):
        if event != "call":
            return None
        code = frame.f_code
        if not code.co_flags & _CO_OPTIMIZED or not code.co_filename.startswith(self.roots):
            return None
        if code.co_name.startswith("<generic parameters of"):  # Python 3.12: def f[T](): ...
            return None
        caller = frame.f_back
        while caller is not None:
            if self._helper_module(caller.f_code):
                return None
            caller = caller.f_back
        raise _Blocked(getattr(code, "co_qualname", code.co_name))

    def run(self, code: types.CodeType, namespace: dict) -> None:
        previous = _gettrace()
        _settrace(self)
        try:
            exec(code, namespace)
        finally:
            _settrace(previous)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:200]
    except Exception:  # a hostile __str__
        return "<message could not be read>"


def unbound_hint(exc: BaseException, unbound: dict) -> str:
    """For a NameError naming what only a skipped statement would have bound: where that is, and why."""
    name = getattr(exc, "name", None) if isinstance(exc, NameError) else None
    if not isinstance(name, str) or name not in unbound:
        return ""
    note = unbound[name]
    return (f"{name} is set only by cell {note['cell']}, line {note['line']} ({note['code'][:60]}), which was "
            f"skipped in definitions-only mode: {note['why']}")


def _failure(exc: BaseException, unbound: dict | None = None) -> tuple[str, str]:
    """(note kind, text) for why a definition could not run."""
    cause, seen = exc, 0
    while cause is not None and seen < 10:  # Python 3.11 wraps a failing __set_name__ in a RuntimeError
        if isinstance(cause, _Blocked):
            return "blocked", _message(cause)
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    hint = unbound_hint(exc, unbound or {})
    return "raised", f"{type(exc).__name__}: {_message(exc)}"[:200] + (f" ({hint})" if hint else "")


def run_definition(unit: Unit, namespace: dict, guard: _Guard, report: dict) -> None:
    """Run one definition (definitions mode) under ``guard``. An import that raises
    ImportError goes to ``failed_imports``; a definition that would run the student's code
    or raises is tried again without its decorators (if it has any), else skipped; both are
    noted in ``report["failed"]``. SystemExit, KeyboardInterrupt and the like propagate."""
    try:
        if unit.is_import:
            # An import runs library code, or a helper module as it would run for a .py: the
            # guard would only slow a large library's import down.
            exec(unit.code, namespace)
        else:
            guard.run(unit.code, namespace)
        return
    except ImportError as exc:
        if not unit.is_import:
            kind, text = _failure(exc, guard.unbound)
        else:
            report["failed_imports"].append({"cell": unit.cell, "line": unit.line, "code": unit.text,
                                             "error": _message(exc)})
            return
    except (_Blocked, Exception) as exc:
        kind, text = _failure(exc, guard.unbound)
    if unit.bare is not None:
        try:
            guard.run(unit.bare, namespace)
        except (_Blocked, Exception) as exc:
            kind, text = _failure(exc, guard.unbound)
        else:
            text = f"applying them would run your code: {text}" if kind == "blocked" else text
            report["failed"].append({"cell": unit.cell, "line": unit.first, "code": unit.first_text,
                                     "kind": "undecorated", "error": text})
            return
    report["failed"].append({"cell": unit.cell, "line": unit.line, "code": unit.text, "kind": kind, "error": text})


def _remember_sources(plan: Plan) -> None:
    for filename, source in plan.sources.items():
        # Why: tracebacks of the student's functions show their code, cell and line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def run_unit(unit: Unit, namespace: dict, *, execute: bool, guard: _Guard, report: dict) -> None:
    """Run one unit: in execute mode a whole cell, whose exceptions propagate; else one
    definition (:func:`run_definition`)."""
    if not execute:
        run_definition(unit, namespace, guard, report)
        return
    name = namespace["__name__"]
    namespace["__name__"] = "__main__"  # as in Jupyter, where "Run All" runs in __main__
    try:
        exec(unit.code, namespace)
    finally:
        namespace["__name__"] = name


@dataclasses.dataclass
class _Session:
    """A notebook being imported in this worker, between the steps of ``import``."""

    name: str
    plan: Plan
    module: types.ModuleType
    report: dict
    execute: bool
    guard: _Guard


def _capped(report: dict) -> dict:
    """The report as sent: each list cut to MAX_REPORTED entries, with its total."""
    out = dict(report)
    for key in ("skipped", "changed", "neutralized", "failed", "failed_imports"):
        out[key] = report[key][:MAX_REPORTED]
    for key in ("changed", "neutralized", "failed"):
        out[f"{key}_total"] = len(report[key])
    return out


def import_notebook(worker, message: dict) -> dict:
    """The worker's ``import`` operation for ``<module>.ipynb``; sets ``worker.module``.

    The reply is the one for a ``.py`` file (``ok``: the public callables, or
    ``error``) plus ``notebook``: the report, plain data, checked by :class:`Report`.

    The trusted side asks in steps (``notebook_step``), so that it knows which cell
    or definition was running should one never finish: ``plan`` reads and plans the
    notebook and answers ``units`` ([cell, line, code] of each); ``run`` runs unit
    ``notebook_unit`` and answers ``ran`` (or the error that stops the import);
    ``finish`` answers as above. Without ``notebook_step`` all three happen at once."""
    step = message.get("notebook_step")
    if step == "run":
        return _run_step(worker, message.get("notebook_unit"))
    if step == "finish":
        return _finish(worker)
    reply = _start(worker, message)
    if step == "plan" or "error" in reply:
        return reply
    for index in range(len(worker.notebook_session.plan.units)):
        reply = _run_step(worker, index)
        if "error" in reply:
            return reply
    return _finish(worker)


def _start(worker, message: dict) -> dict:
    name = message["module"]
    path = os.path.join(worker.submission_dir, name + EXTENSION)
    execute = message.get("notebook_execute") is True
    report: dict = {"mode": MODES[1] if execute else MODES[0], "skipped": [], "skipped_total": 0, "changed": [],
                    "neutralized": [], "failed_imports": [], "failed": [], "problem": None}
    try:
        with open(path, "rb") as f:
            data = f.read()
        plan = make_plan(read_cells(data), execute=execute, path=path)
        if len(plan.units) > MAX_UNITS:
            raise NotebookProblem("too_large", str(len(plan.units)))
    except (NotebookProblem, OSError, MemoryError) as exc:
        problem = exc if isinstance(exc, NotebookProblem) else NotebookProblem("unreadable", type(exc).__name__)
        report["problem"] = problem.as_dict()
        where = [{"file": f"{name}{EXTENSION}, cell {problem.cell}", "line": problem.line, "function": "",
                  "code": problem.code.strip()[:200]}] if problem.cell else []
        error = {"kind": "syntax" if problem.kind == "syntax" else "notebook", "type": "NotebookError",
                 "message": f"{problem.kind}: {problem.detail}"[:2000], "where": where}
        return {"error": error, "notebook": _capped(report)}
    report.update(skipped=plan.skipped, skipped_total=len(plan.skipped), changed=plan.changed,
                  neutralized=plan.neutralized)
    # Appended, not prepended, as for a .py: helper modules import, numpy is never shadowed.
    if worker.submission_dir not in sys.path:
        sys.path.append(worker.submission_dir)
    module = types.ModuleType(name)
    module.__file__ = path
    vars(module).update(JUPYTER_NAMES)
    if not execute:
        vars(module)[DEFERRED] = _Deferred()
    sys.modules[name] = module
    _remember_sources(plan)
    worker.notebook_session = _Session(name=name, plan=plan, module=module, report=report, execute=execute,
                                       guard=_Guard(worker.submission_dir, path, plan.unbound))
    # The code of each unit is quoted only for a notebook of a sane size (the reply stays small).
    quote = len(plan.units) <= MAX_QUOTED_UNITS
    return {"units": [[u.cell, u.line, u.text[:UNIT_CHARS] if quote else ""] for u in plan.units]}


def _run_step(worker, index) -> dict:
    session = getattr(worker, "notebook_session", None)
    if session is None or not isinstance(index, int) or not 0 <= index < len(session.plan.units):
        return {"error": {"kind": "protocol", "type": "", "message": f"no notebook unit {index!r}", "where": []}}
    try:
        run_unit(session.plan.units[index], session.module.__dict__, execute=session.execute, guard=session.guard,
                 report=session.report)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
        return {**worker.error("import", exc), "notebook": _capped(session.report)}
    return {"ran": index}


class _Hinting:
    """What the worker calls into when some names were bound only by skipped statements: the
    module, whose functions, when a call raises NameError for one of those names, add to its
    message where the skipped statement is and why it was skipped."""

    def __init__(self, module: types.ModuleType, unbound: dict):
        self._module, self._unbound = module, unbound

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not isinstance(value, types.FunctionType):
            return value
        unbound = self._unbound

        def call(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except NameError as exc:
                hint = unbound_hint(exc, unbound)
                if hint and exc.args and isinstance(exc.args[0], str) and hint not in exc.args[0]:
                    exc.args = (f"{exc.args[0]} ({hint})", *exc.args[1:])
                raise

        return call


def _finish(worker) -> dict:
    session = getattr(worker, "notebook_session", None)
    if session is None:
        return {"error": {"kind": "protocol", "type": "", "message": "no notebook is being imported", "where": []}}
    module = session.module
    worker.module = _Hinting(module, session.guard.unbound) if session.guard.unbound else module
    functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                       and JUPYTER_NAMES.get(n) is not v)
    return {"ok": functions, "notebook": _capped(session.report)}


# =============================================================================
# Trusted side: pass the mode to the worker, check its report, word the feedback.
# =============================================================================

PROBLEM_KINDS = ("not_utf8", "invalid_json", "not_notebook", "old_format", "unknown_format", "unreadable",
                 "bad_cell", "no_code", "syntax", "too_large")
NOTE_KINDS = {"shell": "shell command", "magic": "IPython magic", "cell_magic": "cell magic (the rest of the cell)",
              "ipython": "IPython syntax", "help": "IPython help", "get_ipython": "get_ipython() call (does nothing)",
              # definitions mode: what was changed so that defining runs none of the student's code
              "decorator": "decorator not applied: only a decorator from an import is applied",
              "default": "default value computed when the function is called without it, not when it is defined",
              "class_body": "removed from its class body: not a definition",
              # definitions mode: what could not run as written
              "undecorated": "defined without its decorators",
              "blocked": "skipped: defining it would run your code",
              "raised": "skipped: it raised an exception"}


@dataclasses.dataclass(frozen=True)
class Note:
    cell: int
    line: int
    code: str
    kind: str = ""
    error: str = ""
    key: str = ""  # skipped statements: statement_key() of its code
    why: str = ""  # skipped statements: why it is not a definition


@dataclasses.dataclass(frozen=True)
class Report:
    """What the worker says it did with a notebook, checked and escaped (it is untrusted)."""

    mode: str
    skipped: tuple[Note, ...]
    skipped_total: int
    neutralized: tuple[Note, ...]
    neutralized_total: int
    failed_imports: tuple[Note, ...]
    problem: dict | None
    changed: tuple[Note, ...] = ()
    changed_total: int = 0
    failed: tuple[Note, ...] = ()
    failed_total: int = 0

    @classmethod
    def from_worker(cls, raw) -> "Report | None":
        """The report in a worker's reply, or None if it is missing or malformed."""
        try:
            if not isinstance(raw, dict) or raw.get("mode") not in MODES:
                return None
            problem = raw.get("problem")
            if problem is not None:
                if not isinstance(problem, dict) or problem.get("kind") not in PROBLEM_KINDS:
                    return None
                problem = {"kind": problem["kind"], "detail": escape(_text(problem.get("detail")), 500),
                           "cell": _count(problem.get("cell")), "line": _count(problem.get("line")),
                           "code": escape(_text(problem.get("code")), CODE_CHARS)}
            return cls(mode=raw["mode"], skipped=_notes(raw.get("skipped")),
                       skipped_total=_count(raw.get("skipped_total")),
                       neutralized=_notes(raw.get("neutralized")),
                       neutralized_total=_count(raw.get("neutralized_total")),
                       failed_imports=_notes(raw.get("failed_imports")), problem=problem,
                       changed=_notes(raw.get("changed", [])), changed_total=_count(raw.get("changed_total", 0)),
                       failed=_notes(raw.get("failed", [])), failed_total=_count(raw.get("failed_total", 0)))
        except (TypeError, ValueError, KeyError):
            return None

    def problem_text(self, module: str) -> str:
        """Why the notebook could not be graded, for the student ("" if it could)."""
        if self.problem is None:
            return ""
        kind, detail, cell, line, code = (self.problem[k] for k in ("kind", "detail", "cell", "line", "code"))
        name = f"{module}{EXTENSION}"
        if kind == "syntax":
            text = f"{name} does not compile: cell {cell}, line {line}: {detail}"
            return text + (f"\n    {code}" if code else "") + (
                "\n    (cells are counted from the top of the notebook, markdown cells included)")
        return {
            "not_utf8": f"{name} is not a notebook: it is not UTF-8 text ({detail})",
            "invalid_json": f"{name} is not a valid notebook: it is not valid JSON ({detail}); the file may "
                            "be cut short or edited by hand. Open it in Jupyter, save it, and submit it again",
            "not_notebook": f"{name} is JSON but not a Jupyter notebook (it has no list of cells)",
            "old_format": f"{name} is in the old notebook format {detail} (Jupyter before 2015); open it in a "
                          "current Jupyter and save it (that converts it to format 4), then submit it again",
            "unknown_format": f"{name} says it is in notebook format {detail}; only format 4 can be graded",
            "unreadable": f"{name} cannot be read as a notebook ({detail})",
            "bad_cell": f"{name}: cell {cell} is malformed (its source is not text)",
            "too_large": f"{name} has {detail} top-level definitions (or cells, with --execute); at most "
                         f"{MAX_UNITS} can be graded",
            "no_code": f"{name} has no code: none of its code cells holds any. Write your functions in code "
                       "cells, not markdown cells",
        }[kind]

    def feedback(self, module: str, starter_keys: frozenset[str] = frozenset()) -> str:
        """What was skipped, changed or neutralized, for the student ("" if nothing was).
        Skipped statements that are in the course's starter notebook (``starter_keys``) are not listed."""
        name = f"{module}{EXTENSION}"
        parts = []
        skipped = tuple(note for note in self.skipped if not (note.key and note.key in starter_keys))
        total = self.skipped_total - (len(self.skipped) - len(skipped))
        if self.mode == "definitions" and total > 0:
            parts.append(f"{name}: only definitions were run (imports, def, class, assignments of "
                         f"constants); these {total} top-level statements were skipped, and "
                         "your functions must not depend on them:")
            parts += _listed(skipped, total)
        elif self.mode == "execute":
            parts.append(f"{name}: every code cell was run in order.")
        if self.mode == "definitions" and self.changed_total:
            parts.append(f"{name}: so that defining your functions and classes runs none of your code, "
                         f"{_plural(self.changed_total, 'part of them was', 'parts of them were')} changed:")
            parts += _listed(self.changed, self.changed_total)
        if self.mode == "definitions" and self.failed_total:
            parts.append(f"{name}: {_plural(self.failed_total, 'definition', 'definitions')} could not be run "
                         "as written:")
            parts += _listed(self.failed, self.failed_total)
        if self.neutralized_total:
            parts.append(f"{name}: IPython commands never run in grading; these {self.neutralized_total} "
                         "were not run:")
            parts += _listed(self.neutralized, self.neutralized_total)
        if self.failed_imports:
            parts.append(f"{name}: these imports failed and were skipped:")
            parts += _listed(self.failed_imports, len(self.failed_imports))
        return "\n".join(parts)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be printed


def _count(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("not a count")
    return value


def _notes(raw) -> tuple[Note, ...]:
    if not isinstance(raw, list):
        raise TypeError("not a list")
    notes = []
    for entry in raw[:MAX_REPORTED]:
        if not isinstance(entry, dict):
            raise TypeError("not a note")
        kind = entry.get("kind", "")
        if kind and kind not in NOTE_KINDS:
            raise ValueError("unknown note kind")
        key = _text(entry.get("key", ""))
        if not re.fullmatch(r"[0-9a-f]{0,16}", key):
            raise ValueError("not a statement key")
        note = Note(cell=_count(entry.get("cell")), line=_count(entry.get("line")),
                    code=escape(_text(entry.get("code", "")), CODE_CHARS), kind=kind,
                    error=escape(_text(entry.get("error", "")), 300), key=key,
                    why=escape(_text(entry.get("why", "")), 120))
        if note not in notes:  # the same line is listed once
            notes.append(note)
    return tuple(notes)


def _listed(notes: tuple[Note, ...], total: int) -> list[str]:
    lines = []
    for note in notes[:MAX_LISTED]:
        text = f"    cell {note.cell}, line {note.line}: {note.code}"
        if note.kind:
            text += f"   [{NOTE_KINDS[note.kind]}]"
        if note.error:
            text += f"   ({note.error})"
        if note.why:
            text += f"   ({note.why})"
        lines.append(text)
    if total > len(lines):
        lines.append(f"    ... and {total - len(lines)} more")
    return lines


# Why 2: each restart waits out the import time limit once more; two bound a notebook's
# import to three times that limit (the fallback from --execute plus one definition that
# never finishes, or two such definitions), and more are rarely of any use.
MAX_IMPORT_RESTARTS = 2


class _Interrupted(Exception):
    """A unit of the notebook did not finish (timeout) or took the worker with it (crash)."""

    def __init__(self, index: int, cell: int, line: int, code: str, cause: Exception):
        super().__init__(str(cause))
        self.index, self.cell, self.line, self.code, self.cause = index, cell, line, code, cause


class NotebookSandbox(Sandbox):
    """A :class:`Sandbox` for a notebook submission: its workers are told the mode
    with each ``import`` request and the first report they send back is kept.

    The import runs in steps, one unit (a definition, or in execute mode a cell) at a
    time, so that when one never finishes or crashes the worker, the grader knows which:
    in execute mode the notebook is then graded on its definitions only; in definitions
    mode that definition is skipped. Either way a fresh worker imports the notebook again
    (at most :data:`MAX_IMPORT_RESTARTS` times per submission, each with the import time
    limit), and every later worker (after a call that timed out) imports it the same way."""

    def __init__(self, *, execute: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.execute = execute
        self.report: Report | None = None
        self.fallback = ""  # why --execute fell back to the definitions (trusted text), or ""
        self.interrupted: list[str] = []  # definitions skipped because they never finished (trusted text)
        self.skipped_units: set[int] = set()
        self.import_restarts = 0  # workers restarted while importing (not counted by the proxy)
        self.import_timeouts = 0
        self.stopped = ""  # why the import failed after the last restart (trusted text), or ""

    @classmethod
    def like(cls, sandbox: Sandbox, *, execute: bool) -> "NotebookSandbox":
        return cls(submission_dir=sandbox.submission_dir, limits=sandbox.limits, backend=sandbox.backend,
                   hidden_paths=sandbox.hidden_paths, execute=execute)

    def start(self) -> "_NotebookWorker":
        return _NotebookWorker(self)

    def start_plain(self) -> WorkerProcess:
        """A worker as a :class:`Sandbox` starts it (the notebook worker wraps one)."""
        return Sandbox.start(self)

    def recover(self, stop: _Interrupted, timeout: float) -> bool:
        """Decide what to do about a unit that did not finish; False: give up (the import fails)."""
        if self.import_restarts >= MAX_IMPORT_RESTARTS:
            return False
        self.import_restarts += 1
        if isinstance(stop.cause, WorkerTimeout):
            self.import_timeouts += 1
            what = f"did not finish within {timeout:g} s"
        else:
            what = f"crashed the process running it ({escape(str(stop.cause), 300)})"
        if self.execute:
            self.execute = False
            self.fallback = f"cell {stop.cell} {what}; graded the notebook's definitions only."
        else:
            self.skipped_units.add(stop.index)
            code = f" ({stop.code})" if stop.code else ""
            self.interrupted.append(f"cell {stop.cell}, line {stop.line}{code} {what}; it was skipped and the "
                                    "notebook's other definitions were run again without it.")
        return True

    def failure(self, module: str, stop: _Interrupted) -> str:
        """Why the import failed, once no more restarts are allowed (for the student)."""
        where = f"cell {stop.cell}" + (f", line {stop.line}" if not self.execute else "")
        code = f" ({stop.code})" if stop.code and not self.execute else ""
        if isinstance(stop.cause, WorkerTimeout):
            self.stopped = (f"{module}{EXTENSION}: {where}{code} did not finish within the import time limit "
                            f"(an infinite loop or a long computation?), after {self.import_restarts} restarts "
                            "of the import")
        else:
            self.stopped = (f"{module}{EXTENSION}: {where}{code} crashed the process running it "
                            f"({escape(str(stop.cause), 300)}), after {self.import_restarts} restarts of the import")
        return self.stopped

    def starter_keys(self, module: str) -> frozenset[str]:
        """Keys of the top-level statements of the course's own starter notebook
        (``assignments/<a>/<module>.ipynb`` of the course whose ``solutions/`` the worker may not see)."""
        for hidden in self.hidden_paths:
            if hidden.name == "solutions":
                for starter in sorted((hidden.parent / "assignments").glob(f"*/{module}{EXTENSION}")):
                    return starter_keys(str(starter))
        return frozenset()

    def fall_back(self, stop: "_MissingLibrary") -> None:
        """--execute: a cell's import failed (a library the grader lacks): grade the definitions only."""
        self.execute = False
        self.fallback = (f"cell {stop.cell} raised {stop.error}; the grader does not have that library, so "
                         "the notebook's definitions only were graded.")

    def feedback(self, module: str) -> str:
        """Notes for the result's output: the fallback, interrupted definitions, the report's notes."""
        name = f"{module}{EXTENSION}"
        parts = [f"{name}: {self.fallback}"] if self.fallback else []
        parts += [f"{name}: {text}" for text in self.interrupted]
        if self.report is not None:
            parts.append(self.report.feedback(module, self.starter_keys(module)))
        return "\n".join(part for part in parts if part)


@functools.lru_cache(maxsize=16)
def starter_keys(path: str) -> frozenset[str]:
    """:func:`statement_key` of each top-level statement of a notebook of the course (trusted)."""
    keys = set()
    try:
        with open(path, "rb") as f:
            cells = read_cells(f.read())
    except (OSError, NotebookProblem):
        return frozenset()
    for _, source in cells:
        try:
            tree = ast.parse(neutralize(source)[0])
        except (SyntaxError, ValueError):
            continue
        keys.update(statement_key(stmt) for stmt in tree.body)
    return frozenset(keys)


class _MissingLibrary(Exception):
    """--execute: a cell raised ImportError (``import matplotlib`` where it is not installed)."""

    def __init__(self, cell: int, error: str):
        super().__init__(error)
        self.cell, self.error = cell, error


IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")


def _plan_units(reply) -> list[tuple[int, int, str]] | None:
    """The units of a ``plan`` reply ([cell, line, code] each), or None if it is not one."""
    units = reply.get("units") if isinstance(reply, dict) and "error" not in reply else None
    if not isinstance(units, list) or len(units) > MAX_UNITS:
        return None
    checked = []
    try:
        for unit in units:
            if not isinstance(unit, list) or len(unit) != 3:
                return None
            checked.append((_count(unit[0]), _count(unit[1]), escape(_text(unit[2]), UNIT_CHARS)))
    except (TypeError, ValueError):
        return None
    return checked


class _NotebookWorker:
    """A worker that imports a notebook in steps, and starts a fresh one (see
    :class:`NotebookSandbox`) when a unit never finishes. It stands in for the
    :class:`WorkerProcess` it wraps: every other request and attribute goes to that one."""

    def __init__(self, sandbox: NotebookSandbox):
        self._notebook = sandbox
        self._carried: tuple[str, int] = ("", 0)  # output of a worker replaced during the import
        self._inner = sandbox.start_plain()

    def __getattr__(self, name: str):
        inner = self.__dict__.get("_inner")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    @property
    def dead(self) -> bool:
        return self._inner.dead

    def kill(self) -> None:
        self._inner.kill()

    close = kill

    def take_output(self) -> tuple[str, int]:
        text, total = self._inner.take_output()
        (before, before_total), self._carried = self._carried, ("", 0)
        return (before + text)[:max(self._notebook.limits.output_bytes, 0)], before_total + total

    def request(self, message: dict, blobs: list | None = None, *, timeout: float) -> tuple[dict, list]:
        if message.get("op") != "import":
            return self._inner.request(message, blobs, timeout=timeout)
        while True:
            try:
                reply, reply_blobs = self._import(message, timeout)
                break
            except _MissingLibrary as stop:
                self._notebook.fall_back(stop)
                self._restart()
                continue
            except _Interrupted as stop:
                if not self._notebook.recover(stop, timeout):
                    # The import fails as it would for a .py, in words that name the cell.
                    if isinstance(stop.cause, WorkerTimeout):
                        raise WorkerTimeout(self._notebook.failure(message.get("module", ""), stop)) from None
                    raise WorkerDied(self._notebook.failure(message.get("module", ""), stop)) from None
                self._restart()
        report = Report.from_worker(reply.pop("notebook", None)) if isinstance(reply, dict) else None
        if self._notebook.report is None:
            self._notebook.report = report
        return reply, reply_blobs

    def _import(self, message: dict, timeout: float) -> tuple[dict, list]:
        deadline = time.monotonic() + timeout
        execute = self._notebook.execute
        base = {**message, "notebook_execute": execute}
        reply, reply_blobs = self._inner.request({**base, "notebook_step": "plan"}, timeout=timeout)
        units = _plan_units(reply)
        if units is None:  # a problem with the notebook (or not a plan at all): the answer to the import
            return reply, reply_blobs
        for index, (cell, line, code) in enumerate(units):
            if index in self._notebook.skipped_units and not execute:
                continue
            try:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._inner.kill()
                    raise WorkerTimeout(f"no answer within {timeout:g} s")
                reply, reply_blobs = self._inner.request({**base, "notebook_step": "run", "notebook_unit": index},
                                                         timeout=remaining)
            except (WorkerTimeout, WorkerDied) as exc:
                raise _Interrupted(index, cell, line, code, exc) from None
            if not isinstance(reply, dict) or reply.get("ran") != index:
                error = reply.get("error") if isinstance(reply, dict) else None
                if execute and isinstance(error, dict) and error.get("type") in IMPORT_ERRORS:
                    text = escape(_text(error.get("message", "")) if isinstance(error.get("message"), str) else "", 200)
                    raise _MissingLibrary(cell, f"{error['type']}: {text}")
                return reply, reply_blobs  # the error that stops the import
        # No student code runs here: it only lists the module's functions.
        return self._inner.request({**base, "notebook_step": "finish"},
                                   timeout=max(deadline - time.monotonic(), 1.0))

    def _restart(self) -> None:
        self._inner.kill()
        text, total = self._inner.take_output()
        before, before_total = self._carried
        self._carried = (before + text, before_total + total)
        try:
            self._inner = self._notebook.start_plain()
        except (WorkerDied, WorkerTimeout, OSError) as exc:
            # No student code has run in it yet: a worker that cannot start is our fault.
            raise GraderError(f"could not restart the sandboxed worker ({self._notebook.backend}): {exc}") from exc


def problem(sandbox, module: str, message: str) -> str:
    """Why the submission could not be graded: ``message`` (the proxy's words), or for a
    notebook the report's own words, else ``message`` naming the notebook, not a .py."""
    if not isinstance(sandbox, NotebookSandbox):
        return message
    if sandbox.stopped:
        return sandbox.stopped
    if sandbox.report is not None and sandbox.report.problem is not None:
        return sandbox.report.problem_text(module)
    return message.replace(f"{module}.py", f"{module}{EXTENSION}")


def feedback(sandbox, module: str) -> str:
    """Notes on skipped, changed and neutralized code to add to the result's output ("" if none)."""
    return sandbox.feedback(module) if isinstance(sandbox, NotebookSandbox) else ""
