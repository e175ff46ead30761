"""The leak check of ``grade release``: where secret code of the course (reference solutions,
hidden tests) appears in a folder, archives and compressed files included.

How code is matched (see :func:`secret_snippets`): each line is normalized (surrounding
whitespace, comments and runs of spaces dropped); a *snippet* is a run of 3 consecutive
lines of one function body (docstring dropped), or the whole body if it is shorter, and
for hidden tests also each module-level assignment (the hidden test cases). Snippets
under 40 characters are skipped as trivial: a one-line formula such as
``out = np.maximum(0, x)`` may rightly appear in a handout. A snippet that also occurs in
the course's own public tests (``assignments/*/tests/``) is not a leak: public tests share
plumbing with hidden tests (checking that inputs are unchanged) and with solutions
(loading a module with importlib), and they are written to be handed out. Starters,
notebooks, handouts and every other file get no such exemption.

Hidden tests share plumbing with the grader package too (helpers such as ``check_unchanged``
and the code around them), and the grader is public by construction: every student installs it,
and a release ships it as a wheel. So a hidden-test snippet that also occurs in the grader's own
source (``grader_code`` of :func:`inspect`) is not a leak either. Reference-solution code gets
no such exemption: found in the grader's wheel, or anywhere, it is a leak.

Single lines of a reference backward pass or update rule (:func:`graded_lines`) are leaks
anywhere, public tests included: deriving them is the exercise.

Every file is read through :func:`grader.contents.contents`, so archive members and
decompressed streams are searched too; notebooks and other JSON are searched as text and
through every string they hold. What a file is, when it is not text, is reported
(:attr:`Inspection.refused`) unless the caller allows it: the release decides what ships.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

from grader.contents import contents

# Why these sizes: see the module docstring; 3 lines / 40 characters found every
# planted leak in the tests and no false one in the course material.
WINDOW_LINES = 3
MIN_SNIPPET_CHARS = 40


def normalize(line: str) -> str:
    """A line as compared: no surrounding whitespace, no comment, single spaces."""
    text = line.strip()
    if text.startswith("#"):
        return ""
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    return " ".join(text.split())


def _windows(lines: list[str]) -> list[tuple[str, ...]]:
    if len(lines) <= WINDOW_LINES:
        runs = [tuple(lines)] if lines else []
    else:
        runs = [tuple(lines[i:i + WINDOW_LINES]) for i in range(len(lines) - WINDOW_LINES + 1)]
    return [run for run in runs if sum(len(line) for line in run) >= MIN_SNIPPET_CHARS]


def _normalized(lines: list[str]) -> list[str]:
    return [n for n in (normalize(line) for line in lines) if n]


def secret_snippets(source: str, *, module_assignments: bool) -> list[tuple[str, ...]]:
    """The snippets of a secret Python file that must not appear in a release (see the module docstring)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    snippets = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        if not body:
            continue
        segment = lines[body[0].lineno - 1:body[-1].end_lineno]
        segment[0] = segment[0][body[0].col_offset:]  # a one-line `def f(): return ...`
        snippets += _windows(_normalized(segment))
    if module_assignments:
        for stmt in tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                snippets += _windows(_normalized(lines[stmt.lineno - 1:stmt.end_lineno]))
    return snippets


# Why 10: shorter lines (`dx = -d`) say nothing the handout's derivative does not.
MIN_GRADED_LINE_CHARS = 10


def _is_gradient_function(node: ast.FunctionDef) -> bool:
    """A backward pass (``*_backward``, ``*_grad``) or an update rule (``f(w, dw, ...)``)."""
    params = [a.arg for a in node.args.args]
    return "backward" in node.name or node.name.endswith("_grad") or params[:2] == ["w", "dw"]


def _is_gradient_target(target: ast.expr) -> bool:
    """``dx = ...``, ``dW1 = ...``, ``grads["W1"] = ...``, ``dx[...] -= ...``: a gradient being computed."""
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == "grads":
            return True
        target = target.value
    if isinstance(target, ast.Tuple):
        return any(_is_gradient_target(t) for t in target.elts)
    return isinstance(target, ast.Name) and len(target.id) > 1 and target.id[0] == "d" and target.id[1].isalpha() \
        and target.id not in ("delta", "decay", "default", "defaults", "dim", "dims", "dtype", "data")


def _computes(stmt: ast.stmt) -> bool:
    """Whether a statement does arithmetic (an operator, a comparison, numpy maths, a sum or
    a transpose), as opposed to plumbing (``n = x.shape[0]``, ``x, w, b = cache``, a config read)."""
    if isinstance(stmt, ast.AugAssign):
        return True
    value = stmt.value
    if value is None:
        return False
    for node in ast.walk(value):
        if isinstance(node, (ast.BinOp, ast.Compare)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("T", "sum", "mean", "dot", "outer", "clip"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in ("np", "numpy") and node.func.attr not in ("prod", "zeros_like", "asarray"):
            return True
    return False


def graded_lines(source: str) -> list[str]:
    """The normalized lines of a reference solution that compute a gradient or an update:
    each computing line of a backward pass or update rule, and in any other function each
    computing line that assigns a gradient (``dx = ...``, ``grads[...] = ...``); minus any
    line a forward function also has (a forward formula the handout may define). One of
    them anywhere in a release, public tests included, hands students the exercise."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found, forward = [], set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        whole = _is_gradient_function(node)
        for stmt in ast.walk(node):
            if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)):
                continue
            text = normalize(" ".join(lines[stmt.lineno - 1:stmt.end_lineno]).strip())
            targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                ([] if isinstance(stmt, ast.Return) else [stmt.target])
            gradient = whole or any(_is_gradient_target(t) for t in targets)
            if not gradient:
                forward.add(text)
            elif _computes(stmt) and len(text) >= MIN_GRADED_LINE_CHARS:
                found.append(text)
    return [line for line in dict.fromkeys(found) if line not in forward]


def _runs(lines: list[str]) -> set[tuple[str, ...]]:
    runs = set()
    for size in range(1, WINDOW_LINES + 1):
        runs.update(tuple(lines[i:i + size]) for i in range(len(lines) - size + 1))
    return runs


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return ["".join(value)]  # nbformat stores a cell's source as a list of lines
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _with_json_strings(text: str) -> list[str]:
    """A text, and for JSON (a notebook) every string in it, so code stored as JSON
    strings (cell sources, outputs) is searched as code."""
    texts = [text]
    try:
        texts += _strings(json.loads(text))
    except (ValueError, RecursionError):
        pass
    return texts


def searchable_texts(path: Path) -> list[str]:
    """Every text the leak check searches in a file (see :func:`contents`)."""
    return [t for _, text in contents(path.read_bytes(), shown=path.name).texts for t in _with_json_strings(text)]


@dataclasses.dataclass(frozen=True)
class Inspection:
    leaks: list[str]  # "where: code of <origin>: <snippet>"
    refused: list[tuple[str, str]]  # (path, what it is): archives and binaries the course does not list
    unsearched: list[str]  # what listed files hold that could not be opened


def find_leaks(folder: Path, course_root: Path) -> list[str]:
    """Every place in ``folder`` where secret code of the course appears (empty: no leak)."""
    return inspect(folder, course_root).leaks


def inspect(folder: Path, course_root: Path, *, is_allowed=lambda relative: False,
            grader_code: tuple[str, ...] = ()) -> Inspection:
    """Search every file of ``folder`` (archive members and decompressed streams included)
    for secret code of the course, and list the archives and binary files it holds that
    ``is_allowed(path relative to folder)`` does not allow. ``grader_code``: the source texts
    of the grader package (see the module docstring: they exempt hidden-test plumbing only)."""
    course_root = Path(course_root)
    public_test_runs: set[tuple[str, ...]] = set()
    for path in sorted(course_root.glob("assignments/*/tests/**/*.py")):
        public_test_runs |= _runs(_normalized(path.read_text(encoding="utf-8", errors="replace").splitlines()))
    grader_runs: set[tuple[str, ...]] = set()
    for text in grader_code:
        grader_runs |= _runs(_normalized(text.splitlines()))
    secrets: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(course_root.glob("solutions/**/*.py")):
        origin = path.relative_to(course_root).as_posix()
        secrets += [(origin, s) for s in secret_snippets(path.read_text(encoding="utf-8"), module_assignments=False)
                    if s not in public_test_runs]
    hidden_code = sorted(course_root.glob("rubrics/*/tests/**/*.py")) + sorted(course_root.glob("rubrics/*.py"))
    for path in hidden_code:  # the hidden tests and their helper modules (the course's, in rubrics/)
        origin = path.relative_to(course_root).as_posix()
        secrets += [(origin, s) for s in secret_snippets(path.read_text(encoding="utf-8"), module_assignments=True)
                    if s not in public_test_runs and s not in grader_runs]
    secrets = list(dict.fromkeys(secrets))  # functions may share lines (x_flat = ...)
    # Single lines of a backward pass or update rule: no exemption, not even for public tests.
    lines_of: dict[str, str] = {}
    for path in sorted(course_root.glob("solutions/**/*.py")):
        for line in graded_lines(path.read_text(encoding="utf-8")):
            lines_of.setdefault(line, path.relative_to(course_root).as_posix())
    # Found inside a longer line too (inline code in a handout: `dw = ...`), but only whole:
    # not preceded or followed by more of a name (`dout * sig` is not in `dout * sigma(x)`).
    graded_pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(line) for line in
                                                             sorted(lines_of, key=len, reverse=True))
                                + r")(?![\w(\[])") if lines_of else None
    leaks: list[str] = []
    refused: list[tuple[str, str]] = []
    unsearched: list[str] = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        found = contents(path.read_bytes(), shown=relative)
        for where, text in found.texts:
            runs: set[tuple[str, ...]] = set()
            for searched in _with_json_strings(text):
                runs |= _runs(_normalized(searched.splitlines()))
            leaks += [f"{where}: code of {origin}: " + " / ".join(snippet)[:160]
                      for origin, snippet in secrets if snippet in runs]
            if graded_pattern is not None:
                seen = set()
                for run in runs:
                    if len(run) == 1:
                        for match in graded_pattern.finditer(run[0]):
                            seen.add(match.group(0))
                leaks += [f"{where}: a line of {lines_of[line]}'s backward pass or update rule: {line[:160]}"
                          for line in sorted(seen)]
        if found.kind is not None:
            if is_allowed(relative):
                unsearched += found.unsearched
            else:
                refused.append((relative, found.kind))
    return Inspection(leaks=leaks, refused=refused, unsearched=unsearched)
