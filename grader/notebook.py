"""Notebook (``.ipynb``) submissions: turned into the student's module inside the worker.

A notebook is never converted or run in the trusted process. The staged
``<module>.ipynb`` is read, converted and run by the worker (:func:`import_notebook`,
called from :meth:`grader.worker.Worker.op_import`), under the same sandbox and
limits as a ``.py`` file. What comes back is plain data: the list of functions,
as for a ``.py`` file, and a *report* of what was skipped or neutralized, which
the trusted side checks and escapes (:class:`Report`) before it shows it.

Reading
    With nbformat, notebook format 4 (any minor version). Invalid JSON, a
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
    notebook order, so a notebook that trains for ten minutes at the bottom
    still grades in seconds. A definition is:

    * ``import`` and ``from ... import`` (an import that fails with
      ImportError, e.g. ``import matplotlib`` where it is not installed, is
      skipped and reported instead of failing the whole notebook);
    * ``def``, ``async def`` and ``class`` (run as Python runs them:
      decorators, default values and class bodies are evaluated);
    * an assignment of a *constant expression* to plain names
      (``EPS = 1e-12``, ``SIZES = (2, 3)``, ``D = H * W``, ``DTYPE = np.float64``,
      ``relu = lambda x: ...``): literals, names already defined by an earlier
      definition (or builtins), attribute and subscript access on those,
      operators, containers, conditional expressions, f-strings and lambdas;
      **no calls** and no comprehensions. ``x: T = value`` likewise;
    * ``if``/``try`` statements whose conditions are constant expressions and
      whose every branch holds only definitions (``try: import numba``
      ``except ImportError: numba = None``);
    * ``pass`` and bare string literals.

    Everything else at top level (calls such as a training run, ``plt.plot``
    or ``print``, loops, ``with``, augmented assignments, assignments of call
    results such as ``rng = np.random.default_rng(0)``) is skipped and listed
    in the feedback with its cell, line and first line of code.

What runs: mode ``execute`` (``--execute``)
    Every code cell runs in order, as "Run All" would, with ``__name__`` set
    to ``"__main__"`` while the cells run. An exception stops the run there
    and is the submission's error, as an exception at import is for a ``.py``.

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
import dataclasses
import json
import linecache
import os
import re
import sys
import types

from grader.failure import escape
from grader.sandbox import Sandbox, WorkerProcess

MODES = ("definitions", "execute")
# Why: a report names what was skipped; past 50 entries more lines only bury the first ones.
MAX_REPORTED = 50
# Why: the feedback lists at most this many of each kind, then says how many more.
MAX_LISTED = 20
CODE_CHARS = 120  # characters of a line of code quoted in feedback
EXTENSION = ".ipynb"


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
    import nbformat  # here, not at the top: only notebook submissions pay for it

    try:
        # nbformat's reader, without its schema validation: the grader needs only
        # the code cells' sources, and validation costs more than the whole import.
        notebook = nbformat.reader.reads(text)
    except Exception as exc:  # nbformat raises many kinds for malformed notebooks
        raise NotebookProblem("unreadable", f"{type(exc).__name__}: {exc}") from None
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


def _is_constant(node: ast.AST | None, known: set[str]) -> bool:
    """Whether evaluating ``node`` is a constant expression (see the module docstring)."""
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in known or "*" in known
    if isinstance(node, ast.Attribute):
        return _is_constant(node.value, known)
    if isinstance(node, ast.Subscript):
        return _is_constant(node.value, known) and _is_constant(node.slice, known)
    if isinstance(node, ast.Slice):
        return all(_is_constant(part, known) for part in (node.lower, node.upper, node.step))
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_constant(element, known) for element in node.elts)
    if isinstance(node, ast.Starred):
        return _is_constant(node.value, known)
    if isinstance(node, ast.Dict):
        return all(_is_constant(part, known) for part in (*node.keys, *node.values))
    if isinstance(node, ast.UnaryOp):
        return _is_constant(node.operand, known)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, known) and _is_constant(node.right, known)
    if isinstance(node, ast.BoolOp):
        return all(_is_constant(value, known) for value in node.values)
    if isinstance(node, ast.Compare):
        return all(_is_constant(part, known) for part in (node.left, *node.comparators))
    if isinstance(node, ast.IfExp):
        return all(_is_constant(part, known) for part in (node.test, node.body, node.orelse))
    if isinstance(node, ast.JoinedStr):
        return all(_is_constant(value, known) for value in node.values)
    if isinstance(node, ast.FormattedValue):
        return _is_constant(node.value, known) and _is_constant(node.format_spec, known)
    if isinstance(node, ast.Lambda):  # the body runs only when called
        return all(_is_constant(default, known) for default in (*node.args.defaults, *node.args.kw_defaults))
    return False  # calls, comprehensions, await, yield, :=


def _is_plain_target(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_is_plain_target(element) for element in node.elts)
    return isinstance(node, ast.Starred) and _is_plain_target(node.value)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass)
if hasattr(ast, "TypeAlias"):  # Python 3.12: type X = ...
    _DEFINITIONS += (ast.TypeAlias,)


def is_definition(stmt: ast.stmt, known: set[str]) -> bool:
    """Whether a top-level statement runs in ``definitions`` mode (see the module docstring).

    ``known`` holds the names bound by the definitions before it (and builtins)."""
    if isinstance(stmt, _DEFINITIONS):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant)
    if isinstance(stmt, ast.Assign):
        return all(_is_plain_target(t) for t in stmt.targets) and _is_constant(stmt.value, known)
    if isinstance(stmt, ast.AnnAssign):
        return (isinstance(stmt.target, ast.Name) and _is_constant(stmt.annotation, known)
                and _is_constant(stmt.value, known))
    if isinstance(stmt, ast.If):
        return _is_constant(stmt.test, known) and all(is_definition(s, known) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, ast.Try):
        handlers_ok = all(_is_constant(h.type, known) and all(is_definition(s, known) for s in h.body)
                          for h in stmt.handlers)
        return handlers_ok and all(is_definition(s, known) for s in stmt.body + stmt.orelse + stmt.finalbody)
    return False


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


@dataclasses.dataclass
class Plan:
    units: list[Unit]
    skipped: list[dict]
    neutralized: list[dict]
    sources: dict[str, str]  # filename -> original source, for tracebacks


def _first_line(lines: list[str], number: int) -> str:
    return lines[number - 1].strip()[:CODE_CHARS] if 0 < number <= len(lines) else ""


def make_plan(cells: list[tuple[int, str]], *, execute: bool, path: str) -> Plan:
    """Neutralize, parse and compile every cell (no code runs here); decide what runs.

    Raises :class:`NotebookProblem` for the first cell that does not compile."""
    plan = Plan(units=[], skipped=[], neutralized=[], sources={})
    known = set(dir(builtins)) | set(JUPYTER_NAMES)
    flags = 0
    for number, original in cells:
        filename = f"{path}, cell {number}"
        plan.sources[filename] = original
        lines = _LINE_BREAK.split(original)
        source, replaced = neutralize(original)
        plan.neutralized += [{"cell": number, "line": line, "kind": kind, "code": text[:CODE_CHARS]}
                             for line, kind, text in replaced]
        try:
            tree = compile(source, filename, "exec", flags=flags | ast.PyCF_ONLY_AST, dont_inherit=True)
            whole = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
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
        if execute:
            plan.units.append(Unit(number, 1, whole, False, ""))
            flags |= _future_flags(tree.body)
            continue
        for stmt in tree.body:
            if not is_definition(stmt, known):
                plan.skipped.append({"cell": number, "line": stmt.lineno, "code": _first_line(lines, stmt.lineno)})
                continue
            single = ast.Module(body=[stmt], type_ignores=[])
            code = compile(single, filename, "exec", flags=flags, dont_inherit=True)
            is_import = isinstance(stmt, (ast.Import, ast.ImportFrom)) and getattr(stmt, "module", "") != "__future__"
            plan.units.append(Unit(number, stmt.lineno, code, is_import, _first_line(lines, stmt.lineno)))
            known |= bound_names(stmt)
            flags |= _future_flags([stmt])
    plan.neutralized.sort(key=lambda note: (note["cell"], note["line"]))
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


def run_plan(plan: Plan, namespace: dict, *, execute: bool, failed_imports: list) -> None:
    """Run the planned code in ``namespace``; an ImportError of a definitions-mode
    import is recorded in ``failed_imports``, any other exception propagates."""
    for filename, source in plan.sources.items():
        # Why: tracebacks of the student's functions show their code, cell and line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    name = namespace["__name__"]
    if execute:
        namespace["__name__"] = "__main__"  # as in Jupyter, where "Run All" runs in __main__
    try:
        for unit in plan.units:
            if unit.is_import and not execute:
                try:
                    exec(unit.code, namespace)
                except ImportError as exc:
                    failed_imports.append({"cell": unit.cell, "line": unit.line, "code": unit.text,
                                           "error": str(exc)[:200]})
                continue
            exec(unit.code, namespace)
    finally:
        namespace["__name__"] = name


def import_notebook(worker, message: dict) -> dict:
    """The worker's ``import`` operation for ``<module>.ipynb``; sets ``worker.module``.

    The reply is the one for a ``.py`` file (``ok``: the public callables, or
    ``error``) plus ``notebook``: the report, plain data, checked by :class:`Report`."""
    name = message["module"]
    path = os.path.join(worker.submission_dir, name + EXTENSION)
    execute = message.get("notebook_execute") is True
    report: dict = {"mode": MODES[1] if execute else MODES[0], "skipped": [], "skipped_total": 0,
                    "neutralized": [], "neutralized_total": 0, "failed_imports": [], "problem": None}
    try:
        with open(path, "rb") as f:
            data = f.read()
        plan = make_plan(read_cells(data), execute=execute, path=path)
    except (NotebookProblem, OSError, MemoryError) as exc:
        problem = exc if isinstance(exc, NotebookProblem) else NotebookProblem("unreadable", type(exc).__name__)
        report["problem"] = problem.as_dict()
        where = [{"file": f"{name}{EXTENSION}, cell {problem.cell}", "line": problem.line, "function": "",
                  "code": problem.code.strip()[:200]}] if problem.cell else []
        error = {"kind": "syntax" if problem.kind == "syntax" else "notebook", "type": "NotebookError",
                 "message": f"{problem.kind}: {problem.detail}"[:2000], "where": where}
        return {"error": error, "notebook": report}
    report.update(skipped=plan.skipped[:MAX_REPORTED], skipped_total=len(plan.skipped),
                  neutralized=plan.neutralized[:MAX_REPORTED], neutralized_total=len(plan.neutralized))
    # Appended, not prepended, as for a .py: helper modules import, numpy is never shadowed.
    if worker.submission_dir not in sys.path:
        sys.path.append(worker.submission_dir)
    module = types.ModuleType(name)
    module.__file__ = path
    vars(module).update(JUPYTER_NAMES)
    sys.modules[name] = module
    try:
        run_plan(plan, module.__dict__, execute=execute, failed_imports=report["failed_imports"])
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
        report["failed_imports"] = report["failed_imports"][:MAX_REPORTED]
        return {**worker.error("import", exc), "notebook": report}
    report["failed_imports"] = report["failed_imports"][:MAX_REPORTED]
    worker.module = module
    functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                       and JUPYTER_NAMES.get(n) is not v)
    return {"ok": functions, "notebook": report}


# =============================================================================
# Trusted side: pass the mode to the worker, check its report, word the feedback.
# =============================================================================

PROBLEM_KINDS = ("not_utf8", "invalid_json", "not_notebook", "old_format", "unknown_format", "unreadable",
                 "bad_cell", "no_code", "syntax")
NOTE_KINDS = {"shell": "shell command", "magic": "IPython magic", "cell_magic": "cell magic (the rest of the cell)",
              "ipython": "IPython syntax", "help": "IPython help", "get_ipython": "get_ipython() call (does nothing)"}


@dataclasses.dataclass(frozen=True)
class Note:
    cell: int
    line: int
    code: str
    kind: str = ""
    error: str = ""


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
                       failed_imports=_notes(raw.get("failed_imports")), problem=problem)
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
            "no_code": f"{name} has no code: none of its code cells holds any. Write your functions in code "
                       "cells, not markdown cells",
        }[kind]

    def feedback(self, module: str) -> str:
        """What was skipped or neutralized, for the student ("" if nothing was)."""
        name = f"{module}{EXTENSION}"
        parts = []
        if self.mode == "definitions" and self.skipped_total:
            parts.append(f"{name}: only definitions were run (imports, def, class and assignments of "
                         f"constants); these {self.skipped_total} top-level statements were skipped, and "
                         "your functions must not depend on them:")
            parts += _listed(self.skipped, self.skipped_total)
        elif self.mode == "execute":
            parts.append(f"{name}: every code cell was run in order.")
        if self.neutralized_total:
            parts.append(f"{name}: IPython commands never run in grading; these {self.neutralized_total} "
                         "were not run:")
            parts += _listed(self.neutralized, self.neutralized_total)
        if self.failed_imports:
            parts.append(f"{name}: these imports failed and were skipped:")
            parts += _listed(self.failed_imports, len(self.failed_imports))
        return "\n".join(parts)


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
        notes.append(Note(cell=_count(entry.get("cell")), line=_count(entry.get("line")),
                          code=escape(_text(entry.get("code", "")), CODE_CHARS), kind=kind,
                          error=escape(_text(entry.get("error", "")), 200)))
    return tuple(notes)


def _listed(notes: tuple[Note, ...], total: int) -> list[str]:
    lines = []
    for note in notes[:MAX_LISTED]:
        text = f"    cell {note.cell}, line {note.line}: {note.code}"
        if note.kind:
            text += f"   [{NOTE_KINDS[note.kind]}]"
        if note.error:
            text += f"   ({note.error})"
        lines.append(text)
    if total > len(lines):
        lines.append(f"    ... and {total - len(lines)} more")
    return lines


class NotebookSandbox(Sandbox):
    """A :class:`Sandbox` for a notebook submission: its workers are told the mode
    with each ``import`` request and the first report they send back is kept."""

    def __init__(self, *, execute: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.execute = execute
        self.report: Report | None = None

    @classmethod
    def like(cls, sandbox: Sandbox, *, execute: bool) -> "NotebookSandbox":
        return cls(submission_dir=sandbox.submission_dir, limits=sandbox.limits, backend=sandbox.backend,
                   hidden_paths=sandbox.hidden_paths, execute=execute)

    def start(self) -> WorkerProcess:
        return _NotebookWorker(self)


class _NotebookWorker(WorkerProcess):
    def __init__(self, sandbox: NotebookSandbox):
        self._notebook = sandbox
        super().__init__(sandbox)

    def request(self, message: dict, blobs: list | None = None, *, timeout: float) -> tuple[dict, list]:
        importing = message.get("op") == "import"
        if importing:
            message = {**message, "notebook_execute": self._notebook.execute}
        reply, reply_blobs = super().request(message, blobs, timeout=timeout)
        if importing:
            report = Report.from_worker(reply.pop("notebook", None))
            if self._notebook.report is None:
                self._notebook.report = report
        return reply, reply_blobs


def problem(sandbox, module: str, message: str) -> str:
    """Why the submission could not be graded: ``message`` (the proxy's words), or for a
    notebook the report's own words, else ``message`` naming the notebook, not a .py."""
    if not isinstance(sandbox, NotebookSandbox):
        return message
    if sandbox.report is not None and sandbox.report.problem is not None:
        return sandbox.report.problem_text(module)
    return message.replace(f"{module}.py", f"{module}{EXTENSION}")


def feedback(sandbox, module: str) -> str:
    """Notes on skipped and neutralized code to add to the result's output ("" if none)."""
    report = getattr(sandbox, "report", None) if isinstance(sandbox, NotebookSandbox) else None
    return report.feedback(module) if report is not None else ""
