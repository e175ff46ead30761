"""What of a notebook runs, and in what pieces (worker side): :func:`make_plan`.

UNTRUSTED SIDE (:mod:`grader.worker`). Every cell is neutralized, parsed and compiled
here, and no code runs: in execute mode each cell is one unit; in definitions mode each
top-level definition is one, rewritten (:mod:`grader.worker.rewrite`) so that defining
it runs none of the student's code, and every other statement is listed as skipped,
with why. Imports only modules of :mod:`grader.worker`.
"""

from __future__ import annotations

import __future__
import ast
import builtins
import copy
import dataclasses
import os
import types

from grader.worker.cells import CODE_CHARS, LINE_BREAK, NotebookProblem, neutralize, statement_key
from grader.worker.definition import Calls, bound_names, import_bindings, is_definition, used_globals
from grader.worker.jupyter import JUPYTER_NAMES
from grader.worker.rewrite import ANNOTATIONS_AS_TEXT, Scope, prepare


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
        lines = LINE_BREAK.split(original)
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
            calls = Calls(imported=imported, student=student, local=local, needed=needed)
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
            scope = Scope(known=known, imported=imported, student=student)  # read only, not copied
            prepared = prepare(stmt, scope, notes)
            plan.changed += [{"cell": number, "line": line, "kind": kind, "code": _first_line(lines, line)}
                             for line, kind in sorted(set(notes))]
            unit_flags = flags | ANNOTATIONS_AS_TEXT
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
            more, less = import_bindings(stmt)
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
