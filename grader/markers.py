"""The markers of an annotated reference solution, and the starter code they leave.

The conventions otter-grader and nbgrader users know, as comment lines of their own:

``# BEGIN SOLUTION`` / ``# END SOLUTION`` (or nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``)
    Solution code. In a function body the block becomes, at the indentation of its
    BEGIN line, the PROMPT block directly before it (if any) followed by
    ``raise NotImplementedError("<function> is not implemented yet")``; no raise is
    added when the prompt holds code. At module level (a private helper, an import
    the starter does without, a remark for course staff) the block is removed, and
    the PROMPT before it, if any, takes its place.
``# BEGIN PROMPT`` / ``# END PROMPT``
    What the starter shows instead of the SOLUTION block that must follow it (only
    blank lines between them): its lines verbatim, typically ``# TODO: ...``
    comments. A line ``# STARTER: <code>`` is starter-only code: the starter gets
    ``<code>`` at the comment's indentation (``import layers`` where the reference
    loads its own copy by path); in the solution it stays a comment. Any other
    line that is not a comment is code of both the solution and the starter.
``# BEGIN NOTEBOOK`` / ``# END NOTEBOOK``
    Module level only, every line a comment: cells the starter *notebook* gets
    after the functions (experiments, a demo), never the starter module. The
    lines, with ``# `` removed, are in jupytext's percent format: ``%%`` starts a
    code cell, ``%% [markdown]`` a markdown cell.

Markers are only ever comments (found with :mod:`tokenize`, so text in a string
is never one), and never appear in the starter. Blocks do not nest, each END is
indented like its BEGIN, and what is left must still parse; otherwise
:class:`StarterError`, naming the solution file and line.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize

from grader.failure import GraderError

MARKER = re.compile(r"(#|###) (BEGIN|END) (SOLUTION|PROMPT|NOTEBOOK)\s*")
NEAR_MISS = re.compile(r"#+\s*(BEGIN|END)\s*(SOLUTION|PROMPT|NOTEBOOK)S?\s*", re.IGNORECASE)
STARTER_LINE = re.compile(r"(\s*)# STARTER: (.*)")
CELL_LINE = re.compile(r"%%( \[markdown\])?\s*")


class StarterError(GraderError):
    """The annotated solution's markers are wrong (the course author's to fix): the message
    names the solution file and line."""


@dataclasses.dataclass(frozen=True)
class Block:
    kind: str  # "SOLUTION", "PROMPT" or "NOTEBOOK"
    begin: int  # line of the BEGIN marker (1-based)
    end: int  # line of the END marker
    indent: int  # column of the BEGIN marker
    function: str | None  # the innermost function whose body holds it; None at module level


@dataclasses.dataclass(frozen=True)
class Stripped:
    """What the markers of a solution leave."""

    source: str  # the starter module (the solution's docstring first, no header comment yet)
    raised: dict  # {function: BEGIN line} of the functions given ``raise NotImplementedError``
    prompt_lines: frozenset  # the starter's lines that come from PROMPT blocks
    solution_lines: dict  # {line: number} of the solution's secret code: SOLUTION blocks, function bodies
    notebook: tuple  # (cell type, source) of the NOTEBOOK blocks' cells


def _functions(tree: ast.Module) -> list[tuple[str, int, int, int]]:
    """(name, def line, column, last line) of every function, the last line running to just
    before the next statement outside it (so comments after its last statement belong to it)."""
    statements = sorted((node.lineno, node.col_offset) for node in ast.walk(tree) if isinstance(node, ast.stmt))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            after = [line for line, col in statements if line > node.end_lineno and col <= node.col_offset]
            found.append((node.name, node.lineno, node.col_offset, after[0] - 1 if after else 10**9))
    return found


def _comments(source: str, path: str) -> list[tuple[int, int, str]]:
    """(line, column, text) of every comment alone on its line."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.line.strip() == token.string.strip():
                found.append((token.start[0], token.start[1], token.string.rstrip()))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise StarterError(f"{path}: the annotated solution cannot be read as Python: {exc}") from None
    return found


def parse(source: str, *, path: str) -> list[Block]:
    """The marked blocks of an annotated solution, checked: balanced, not nested, each PROMPT
    followed by a SOLUTION block, NOTEBOOK blocks at module level and made of comments."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise StarterError(f"{path}:{exc.lineno}: the annotated solution does not parse: {exc.msg}") from None
    functions = _functions(tree)
    lines = source.splitlines()
    blocks: list[Block] = []
    opened: tuple[str, int, int] | None = None  # kind, line, column
    for line, column, text in _comments(source, path):
        match = MARKER.fullmatch(text)
        if match is None:
            if NEAR_MISS.fullmatch(text):
                raise StarterError(f"{path}:{line}: `{text}` in the annotated solution looks like a marker but is "
                                   "not one: write `# BEGIN SOLUTION`, `# END PROMPT`... (upper case, one space)")
            continue
        edge, kind = match.group(2), match.group(3)
        if edge == "BEGIN":
            if opened is not None:
                raise StarterError(f"{path}:{line}: `{text}` in the annotated solution is inside the {opened[0]} "
                                   f"block opened at line {opened[1]}: marked blocks cannot nest")
            opened = (kind, line, column)
            continue
        if opened is None:
            raise StarterError(f"{path}:{line}: `{text}` in the annotated solution has no `# BEGIN {kind}` before it")
        if kind != opened[0]:
            raise StarterError(f"{path}:{line}: `{text}` in the annotated solution closes the {opened[0]} block "
                               f"opened at line {opened[1]}: end it with `# END {opened[0]}`")
        if column != opened[2]:
            raise StarterError(f"{path}:{line}: `{text}` in the annotated solution is not indented like its "
                               f"`# BEGIN {kind}` at line {opened[1]} (column {column}, not {opened[2]})")
        owner = [f for f in functions if f[1] < opened[1] <= f[3] and opened[2] > f[2]]
        function = max(owner, key=lambda f: f[1])[0] if owner else None
        blocks.append(Block(kind, opened[1], line, opened[2], function))
        opened = None
    if opened is not None:
        raise StarterError(f"{path}:{opened[1]}: `# BEGIN {opened[0]}` in the annotated solution is never closed "
                           f"with `# END {opened[0]}`")
    starts = {block.begin: block for block in blocks}
    for block in blocks:
        if block.kind == "PROMPT":
            following = block.end + 1
            while following <= len(lines) and not lines[following - 1].strip():
                following += 1
            after = starts.get(following)
            if after is None or after.kind != "SOLUTION":
                raise StarterError(f"{path}:{block.begin}: the PROMPT block (lines {block.begin}-{block.end}) of the "
                                   "annotated solution is not followed by a SOLUTION block: a prompt stands in "
                                   "for the solution code right after it")
        if block.kind == "NOTEBOOK":
            if block.function is not None or block.indent:
                raise StarterError(f"{path}:{block.begin}: the NOTEBOOK block of the annotated solution is not at "
                                   "module level: its cells come after the functions")
            for number in range(block.begin + 1, block.end):
                if lines[number - 1].strip() and not lines[number - 1].lstrip().startswith("#"):
                    raise StarterError(f"{path}:{number}: the NOTEBOOK block of the annotated solution holds code; "
                                       "write its cells as comments (`# x = 1`), so the solution never runs them")
    return blocks


def _notebook_cells(lines: list[str]) -> list[tuple[str, str]]:
    """Cells of a NOTEBOOK block's comment lines (percent format, ``# `` removed)."""
    cells: list[tuple[str, list[str]]] = []
    for line in lines:
        text = line.strip()
        text = text[2:] if text.startswith("# ") else text[1:]
        marker = CELL_LINE.fullmatch(text)
        if marker:
            cells.append(("markdown" if marker.group(1) else "code", []))
        else:
            if not cells:
                cells.append(("code", []))
            cells[-1][1].append(text)
    return [(kind, "\n".join(body).strip("\n")) for kind, body in cells if "".join(body).strip()]


def _collapse(out: list) -> list[str]:
    """Lines with the removal points (``None``) dropped: the blank lines around one become as
    many as the larger run on either side of it, at most two."""
    result: list[str] = []
    index = 0
    while index < len(out):
        if out[index] is not None and out[index] != "":
            result.append(out[index])
            index += 1
            continue
        runs, end = [0], index
        while end < len(out) and (out[end] is None or out[end] == ""):
            if out[end] is None:
                runs.append(0)
            else:
                runs[-1] += 1
            end += 1
        result += [""] * (min(max(runs), 2) if len(runs) > 1 else runs[0])
        index = end
    return result


def strip(source: str, *, path: str) -> Stripped:
    """The starter module the markers of ``source`` leave (see the module docstring)."""
    blocks = parse(source, path=path)
    lines = source.splitlines()
    starts = {block.begin: block for block in blocks}
    out: list = []  # str, or None where a module-level block was removed
    origin: list[int] = []  # solution line of each item of out
    raised: dict[str, int] = {}
    prompt_lines: set[str] = set()
    cells: list[tuple[str, str]] = []
    pending: list[str] | None = None  # the lines of the PROMPT block waiting for its SOLUTION block
    number = 1
    while number <= len(lines):
        block = starts.get(number)
        if block is None:
            if pending is None or lines[number - 1].strip():  # blank lines between PROMPT and SOLUTION go
                out.append(lines[number - 1])
                origin.append(number)
            number += 1
            continue
        inner = lines[block.begin:block.end - 1]
        if block.kind == "PROMPT":
            pending = [STARTER_LINE.sub(r"\1\2", line) for line in inner]
        elif block.kind == "NOTEBOOK":
            cells += _notebook_cells(inner)
            out.append(None)
            origin.append(number)
        else:
            shown = pending or []
            prompt_lines.update(line for line in shown if line.strip())
            out += shown
            origin += [number] * len(shown)
            if block.function is None:
                out.append(None)
                origin.append(number)
            elif not any(line.strip() and not line.lstrip().startswith("#") for line in shown):
                out.append(" " * block.indent + f'raise NotImplementedError("{block.function} is not implemented yet")')
                origin.append(number)
                raised.setdefault(block.function, number)
            pending = None
        number = block.end + 1
    starter = "\n".join(_collapse(out)).rstrip("\n") + "\n"
    try:
        ast.parse("\n".join("" if item is None else item for item in out))
    except SyntaxError as exc:
        at = origin[min(max((exc.lineno or 1) - 1, 0), len(origin) - 1)] if origin else 1
        blame = max((b for b in blocks if b.kind != "PROMPT" and b.begin <= at), key=lambda b: b.begin,
                    default=blocks[0] if blocks else None)
        where = f"{blame.begin}: the {blame.kind} block (lines {blame.begin}-{blame.end})" if blame else "1: a block"
        raise StarterError(f"{path}:{where} of the annotated solution leaves a starter that does not parse "
                           f"({exc.msg}, at the solution's line {at})") from None
    return Stripped(source=starter, raised=raised, prompt_lines=frozenset(prompt_lines),
                    solution_lines=_solution_lines(source, blocks), notebook=tuple(cells))


def _solution_lines(source: str, blocks: list[Block]) -> dict[str, int]:
    """{line: number} of the solution's code students must not get: every line of a SOLUTION
    block and every line of a function body (its docstring aside) outside PROMPT blocks."""
    lines = source.splitlines()
    marked = {n for b in blocks for n in (b.begin, b.end)}
    prompted = {n for b in blocks if b.kind == "PROMPT" for n in range(b.begin, b.end + 1)}
    numbers = {n for b in blocks if b.kind == "SOLUTION" for n in range(b.begin + 1, b.end)}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
            if body:
                numbers.update(range(body[0].lineno, body[-1].end_lineno + 1))
    found: dict[str, int] = {}
    for number in sorted(numbers - marked - prompted):
        if lines[number - 1].strip():
            found.setdefault(lines[number - 1], number)
    return found
