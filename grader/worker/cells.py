"""Reading a notebook's code cells and neutralizing IPython syntax in them (worker side).

UNTRUSTED SIDE (:mod:`grader.worker`): it runs in the worker, before the student's code.
The trusted side also reads the course's own notebooks with it (the starter's statement
keys, :func:`grader.notebook.starter_keys`), never a submission. Imports nothing of the grader's.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re

CODE_CHARS = 120  # characters of a line of code quoted in feedback


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


LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Python's own line breaks (str.splitlines knows more)
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
    lines = LINE_BREAK.split(source)
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


def statement_key(stmt: ast.stmt) -> str:
    """A short digest of a statement's code (not of its position or comments): how the trusted
    side recognizes a skipped statement of the course's own starter notebook."""
    return hashlib.sha256(ast.dump(stmt).encode()).hexdigest()[:16]
