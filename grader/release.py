"""``grade release``: the folder students get for an assignment, and proof that nothing secret is in it.

For each assignment, ``OUTDIR/<assignment>/`` holds::

    README.md            the handout, with a closing section on installing the grader and `grade local`
    <module>.py          the starter module
    <module>.ipynb       the starter notebook, if the course has one (stored outputs cleared)
    tests/               the public tests
    public_rubric.json   id, title and points of the items the public tests serve, nothing else,
                         plus ``released_sha256``: the sha256 of every released file the public
                         tests may load (:func:`checked_files`: tests/ and support code or data
                         such as mlp_data.py, not the student's module, notebooks or handout).
                         Without that field it follows rubric.schema.json, so `grade local`
                         reads it like a rubric; the field is what `grade local` checks the
                         folder against before it imports any test.
    requirements.txt     the pinned grader, ``nngrade==<version>`` (or the course's own install line)
    ...                  any other file of assignments/<assignment>/ (data, figures)

Nothing is read from ``solutions/`` or ``rubrics/`` except the rubric's public
items. Dot files, ``__pycache__`` and symbolic links are not copied.

Archives and binary files
    The leak check reads text. So a release holds no archive (zip, wheel, tar,
    7z, rar, .npz) and no binary file (.pyc, .npy, an image, anything that is not
    UTF-8 text) unless the course lists it in ``allowed_files`` of ``release.json``
    at the course root (:data:`RELEASE_CONFIG_SCHEMA`; fnmatch patterns of
    ``<assignment>/<path in the release>``, e.g. ``"mlp/data/*.npz"``). What can
    be opened is searched all the same, listed or not: zip and tar members
    (nested archives too), and gzip, bzip2 and xz streams after decompression,
    up to :data:`MAX_SCAN_BYTES` per file. Compressed *text* (``digits.csv.gz``)
    is searched whole and so needs no listing. What a listed file holds that
    cannot be opened (a 7z archive, an array, an image) ships unsearched, and
    ``grade release`` says so for each.

Every release is built in a temporary folder, and before any is moved into place
:func:`inspect` searches every file of each (and every member of an archive) for
any reference-solution code and any hidden-test code; one leak (or one archive
or binary file the course does not list) and no release is written at all. How
code is matched (see :func:`secret_snippets`): each line is normalized
(surrounding whitespace, comments and runs of spaces dropped); a *snippet* is a
run of 3 consecutive lines of one function body (docstring dropped), or the
whole body if it is shorter, and for hidden tests also each module-level
assignment (the hidden test cases). Snippets under 40 characters are skipped as
trivial: a one-line formula such as ``out = np.maximum(0, x)`` may rightly
appear in a handout. A snippet that also occurs in the course's own public tests
(``assignments/*/tests/``) is not a leak: public tests share plumbing with
hidden tests (checking that inputs are unchanged) and with solutions (loading a
module with importlib), and they are written to be handed out. Starters,
notebooks, handouts and every other file get no such exemption.
"""

from __future__ import annotations

import ast
import bz2
import dataclasses
import fnmatch
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import jsonschema

from grader import __version__, grading
from grader import course as course_module
from grader.failure import GraderError, escape
from grader.plugin import GradingPlugin

PUBLIC_RUBRIC = "public_rubric.json"
# The public rubric's one field beyond rubric.schema.json: {"<path in the release>": sha256 hex}.
RELEASED_SHA256 = "released_sha256"
RELEASE_CONFIG = "release.json"
RELEASE_CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "nngrade release configuration (release.json at the course root), schema version 1",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version"],
    "properties": {
        "$schema": {"type": "string"},
        "schema_version": {"const": 1},
        "allowed_files": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[^/]+/.+"},
            "description": "Archives and binary files a release may ship: fnmatch patterns of "
                           "<assignment>/<path in the release>, e.g. mlp/data/*.npz.",
        },
    },
}
# Why these caps: they bound the time and memory an archive (a zip bomb, say) can cost
# the leak check; real course material is far below them. What lies beyond is unsearched.
MAX_SCAN_BYTES = 64 * 2**20  # decompressed bytes searched per released file
MAX_ARCHIVE_DEPTH = 6        # archives and compressed streams inside one another
MAX_MEMBERS = 10_000         # members read per archive
REQUIREMENTS = "requirements.txt"
HANDOUT = "README.md"
DEFAULT_REQUIREMENT = f"nngrade=={__version__}"
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", PUBLIC_RUBRIC}
# Why these sizes: see the module docstring; 3 lines / 40 characters found every
# planted leak in the tests and no false one in the course material.
WINDOW_LINES = 3
MIN_SNIPPET_CHARS = 40
INSTALL_SECTION = """

---

## Checking your work with `grade local`

This section was added by `grade release`. Install the grader the course uses (a pinned version):

    pip install -r requirements.txt        # {requirement}

Then, in this folder, run

    grade local

It runs the public tests in `tests/` on your `{module}.py` (or `{module}.ipynb`) and shows
which items pass. It needs no network. Hidden tests run when you submit: they check the
same items with other inputs and may check more, so the public result is not your final score.
"""


@dataclasses.dataclass(frozen=True)
class Released:
    assignment: str
    folder: Path
    files: tuple[str, ...]
    skipped: tuple[str, ...]  # files of the assignment folder not copied (links, dot files)
    unsearched: tuple[str, ...] = ()  # what listed files hold that the leak check could not open


def tree(folder: Path) -> list[str]:
    """The files under ``folder`` as a release has them (no dot file or folder, no ``__pycache__``,
    no symbolic link), as sorted paths relative to ``folder``; none if it is not a folder."""
    folder = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows a linked folder
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_NAMES]
        for name in filenames:
            path = Path(dirpath) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def is_checked(relative: str, module: str) -> bool:
    """Whether a released file is one the public tests may load (every file under tests/, and
    support code and data: mlp's tests import mlp_data.py, which reads data/digits.csv.gz), so
    that `grade local` checks it against its recorded sha256. Not checked: what the student
    edits or may annotate (``<module>.py``, notebooks, Markdown), requirements.txt and the
    public rubric itself."""
    path = PurePosixPath(relative)
    if path.parts[0] == "tests":
        return True
    return path.suffix not in (".ipynb", ".md") and relative not in {f"{module}.py", REQUIREMENTS, PUBLIC_RUBRIC}


def checked_files(folder: Path, module: str) -> dict[str, bytes]:
    """{path: bytes} of the files of the release in ``folder`` that :func:`is_checked`."""
    return {relative: (Path(folder) / relative).read_bytes() for relative in tree(folder)
            if is_checked(relative, module)}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_allowed(root: Path) -> tuple[str, ...]:
    """The course's ``allowed_files`` patterns from ``<root>/release.json`` (none if it has no such file)."""
    path = Path(root) / RELEASE_CONFIG
    if not path.is_file():
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"{path}: cannot be read: {exc}") from None
    validator = jsonschema.Draft202012Validator(RELEASE_CONFIG_SCHEMA)
    problems = [f"{path}: /" + "/".join(str(p) for p in e.absolute_path) + f": {e.message}"
                for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]
    if problems:
        raise GraderError("\n".join(problems) + f"\n(see RELEASE_CONFIG_SCHEMA in {__name__})")
    return tuple(document.get("allowed_files", ()))


def public_rubric(assignment: course_module.Assignment) -> dict:
    """The public part of the rubric: the items some public test serves, with id, title
    and points only. Collects the public tests (imports them; runs none)."""
    rubric = assignment.rubric
    files = assignment.test_files(hidden=False)
    if not files:
        raise GraderError(f"{assignment.public_tests}: no public tests (test_*.py); "
                          "`grade local` would have nothing to run")
    plugin = GradingPlugin(student=None, reference=None, seed=0, item_ids={i.id for i in rubric.items})
    grading.run_tests(assignment=assignment, plugin=plugin, test_files=files, collect_only=True)
    if plugin.collection_errors:
        raise GraderError("the public tests do not import:\n" + "\n".join(plugin.collection_errors))
    unmapped = sorted(node for node, item in plugin.collected.items() if item is None)
    if unmapped:
        raise GraderError("public tests without a valid @pytest.mark.item(...): " + ", ".join(unmapped))
    served = set(plugin.collected.values())
    return {
        "schema_version": 1,
        "assignment": assignment.name,
        "title": rubric.title,
        "module": rubric.module,
        "items": [{"id": i.id, "title": i.title, "points": i.points, "visibility": "visible"}
                  for i in rubric.items if i.id in served],
    }


def build(*, root: Path, names: list[str] | None, output: Path, requirement: str = DEFAULT_REQUIREMENT,
          force: bool = False) -> list[Released]:
    """Write the release of each assignment in ``names`` (default: all) under ``output``.

    All or nothing: every release is built and checked in a temporary folder first;
    only when all are clean are they moved into place."""
    root = Path(root).resolve()
    names = list(names) if names else course_module.names(root)
    if not names:
        raise GraderError(f"the course at {root} has no assignments (no rubrics/<name>/rubric.json)")
    assignments = [course_module.load(root, name) for name in names]
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for assignment in assignments:
        target = output / assignment.name
        if target.exists() and not force:
            raise GraderError(f"{target} already exists; remove it or pass --force to replace it")
    allowed = load_allowed(root)
    staged: list[tuple[course_module.Assignment, Path, tuple[list[str], list[str]]]] = []
    try:
        for assignment in assignments:
            staging = Path(tempfile.mkdtemp(prefix=f".{assignment.name}-release-", dir=output))
            staged.append((assignment, staging, ([], [])))
            skipped, unsearched = _build_one(assignment, staging, requirement, allowed)
            staged[-1][2][0].extend(skipped)
            staged[-1][2][1].extend(unsearched)
        released = []
        for assignment, staging, (skipped, unsearched) in staged:
            target = output / assignment.name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
            files = tuple(sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()))
            released.append(Released(assignment=assignment.name, folder=target, files=files, skipped=tuple(skipped),
                                     unsearched=tuple(unsearched)))
        return released
    finally:
        for _, staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)


def _build_one(assignment: course_module.Assignment, staging: Path, requirement: str,
               allowed: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Build one release in ``staging`` and check it; return what was not copied, and what
    listed files hold that could not be searched."""
    source = assignment.root / "assignments" / assignment.name
    if not source.is_dir():
        raise GraderError(f"{source} does not exist")
    skipped = _copy_public(source, staging)
    if not (staging / f"{assignment.module}.py").is_file():
        raise GraderError(f"{source} has no starter {assignment.module}.py")
    for notebook in sorted(staging.rglob("*.ipynb")):
        _clear_outputs(notebook, shown=notebook.relative_to(staging))
    document = public_rubric(assignment)
    # What `grade local` checks the folder against before it imports any test.
    document[RELEASED_SHA256] = {path: sha256_hex(data)
                                 for path, data in checked_files(staging, assignment.module).items()}
    (staging / PUBLIC_RUBRIC).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    _write_requirements(staging / REQUIREMENTS, requirement)
    handout = staging / HANDOUT
    text = handout.read_text(encoding="utf-8") if handout.is_file() else f"# {assignment.rubric.title}\n"
    handout.write_text(text.rstrip("\n") + "\n" + INSTALL_SECTION.format(requirement=requirement,
                                                                         module=assignment.module),
                       encoding="utf-8")
    # The starter .py and notebook get the same time, so that neither counts as changed after
    # the other: `grade local` checks the one the student saves later (ties go to the .py).
    released_at = time.time_ns()
    for starter in (staging / f"{assignment.module}.py", staging / f"{assignment.module}.ipynb"):
        if starter.is_file():
            os.utime(starter, ns=(released_at, released_at))
    def is_allowed(relative: str) -> bool:
        return any(fnmatch.fnmatchcase(f"{assignment.name}/{relative}", pattern) for pattern in allowed)

    found = inspect(staging, assignment.root, is_allowed=is_allowed)
    leaks = "\n  ".join(found.leaks[:20])
    if len(found.leaks) > 20:
        leaks += f"\n  ... and {len(found.leaks) - 20} more"
    if found.refused:
        raise GraderError(
            f"the release of {assignment.name} holds archives or binary files the course does not list; nothing was "
            f"written. The leak check reads text, so a release ships such a file only if \"allowed_files\" of "
            f"{Path(assignment.root) / RELEASE_CONFIG} lists it:\n  "
            + "\n  ".join(f"{relative}: {kind}; to ship it, list \"{assignment.name}/{relative}\""
                          for relative, kind in found.refused)
            + (f"\nIt would also leak secret code:\n  {leaks}" if found.leaks else ""))
    if found.leaks:
        raise GraderError(f"the release of {assignment.name} would leak secret code; nothing was written:\n  {leaks}")
    return skipped, found.unsearched


def _copy_public(source: Path, dest: Path) -> list[str]:
    """Copy the assignment folder; return what was not copied (and why)."""
    skipped = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        parts = relative.parts
        if any(part.startswith(".") or part in SKIPPED_NAMES for part in parts):
            continue  # a stray .pyc elsewhere is copied, and refused as a binary file unless listed
        if path.is_symlink():
            skipped.append(f"{relative.as_posix()} (a symbolic link)")
            continue
        if path.is_dir():
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return skipped


def _clear_outputs(path: Path, *, shown: Path) -> None:
    """Stored outputs, execution counts and nbgrader metadata are not handed out."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as exc:
        raise GraderError(f"{shown} (in the assignment folder) is not a readable notebook: {exc}") from None
    for cell in notebook.get("cells", []):
        cell.get("metadata", {}).pop("nbgrader", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.get("metadata", {}).pop("nbgrader", None)
    nbformat.write(notebook, path)


def _write_requirements(path: Path, requirement: str) -> None:
    lines = []
    if path.is_file():  # the course's own requirements (e.g. matplotlib for the notebook) stay
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if not line.strip().lower().startswith("nngrade")]
    lines.append(requirement)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- leak check ------------------------------------------------------------------

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


# -- what a file holds ---------------------------------------------------------------

@dataclasses.dataclass
class Contents:
    """What the leak check can read in a file (or an archive member)."""

    kind: str | None  # None: text, or compressed text; else what it is ("a zip archive"), and it needs listing
    texts: list[tuple[str, str]]  # (where, text): "data/bundle.zip > notes.txt"
    unsearched: list[str]  # "where (why)" of the parts that could not be opened


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_STREAMS = ((b"\x1f\x8b", "gzip", lambda f: gzip.GzipFile(fileobj=f)), (b"BZh", "bzip2", bz2.BZ2File),
            (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile))
_OPAQUE = ((b"7z\xbc\xaf\x27\x1c", "a 7z archive"), (b"Rar!\x1a\x07", "a rar archive"),
           (b"\x93NUMPY", "a numpy array file (.npy)"))
# Why so many: a damaged or hostile archive must end as "unsearched", never as a crash.
_READ_ERRORS = (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
                tarfile.TarError, zlib.error, lzma.LZMAError, MemoryError)


def _text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def contents(data: bytes, *, shown: str, budget: _Budget | None = None, depth: int = 0) -> Contents:
    """What ``data`` (a file shown as ``shown``) holds for the leak check: its text, the text of
    every archive member and decompressed stream it can open, and what it cannot open."""
    budget = budget if budget is not None else _Budget(MAX_SCAN_BYTES)
    if data[:4] in _ZIP_MAGIC:
        return _archive("a zip archive", _zip_members(data), shown, budget, depth)
    for magic, label, opener in _STREAMS:
        if data.startswith(magic):
            try:
                with opener(io.BytesIO(data)) as stream:
                    raw = stream.read(budget.left + 1)
            except _READ_ERRORS:
                break  # not that format after all (a text may start with "BZh"): classified below
            if len(raw) > budget.left:
                return Contents(f"{label}-compressed data", [], [f"{shown} ({label}-compressed, over "
                                                                 f"{MAX_SCAN_BYTES // 2**20} MiB once decompressed)"])
            budget.left -= len(raw)
            if depth >= MAX_ARCHIVE_DEPTH:
                return Contents(f"{label}-compressed data", [], [f"{shown} (nested too deep)"])
            inner = contents(raw, shown=shown, budget=budget, depth=depth + 1)
            if inner.kind is None:
                return inner  # compressed text: searched whole, so it needs no listing
            kind = inner.kind if "-compressed" in inner.kind else f"{inner.kind} ({label}-compressed)"
            return Contents(kind, inner.texts, inner.unsearched)
    text = _text(data)
    if text is not None:
        return Contents(None, [(shown, text)], [])
    if data[257:262] == b"ustar":
        return _archive("a tar archive", _tar_members(data), shown, budget, depth)
    for magic, kind in _OPAQUE:
        if data.startswith(magic):
            return Contents(kind, [], [f"{shown} ({kind})"])
    if shown.endswith((".pyc", ".pyo")):
        kind = "compiled Python bytecode"
    elif zipfile.is_zipfile(io.BytesIO(data)):  # a zip behind other data (a self-extractor, a polyglot)
        return _archive("a zip archive (behind other data)", _zip_members(data), shown, budget, depth)
    else:
        kind = "a binary file (not UTF-8 text)"
    return Contents(kind, [], [f"{shown} ({kind})"])


def _zip_members(data: bytes):
    """(name, read(limit) or None, why not) per member file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            yield "...", None, f"{len(members) - MAX_MEMBERS} members beyond the first {MAX_MEMBERS} not read"
        for info in members[:MAX_MEMBERS]:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                yield info.filename, None, "encrypted"
                continue

            def read(limit, info=info):
                with archive.open(info) as member:
                    return member.read(limit)

            yield info.filename, read, ""


def _tar_members(data: bytes):
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for number, info in enumerate(archive):
            if number >= MAX_MEMBERS:
                yield "...", None, f"members beyond the first {MAX_MEMBERS} not read"
                break
            if not info.isfile():
                continue  # folders, links, devices: nothing to read

            def read(limit, info=info):
                return archive.extractfile(info).read(limit)

            yield info.name, read, ""


def _archive(kind: str, members, shown: str, budget: _Budget, depth: int) -> Contents:
    found = Contents(kind, [], [])
    try:
        for name, read, why in members:
            where = f"{shown} > {escape(name, 300)}"  # member names are anyone's: no control characters
            if read is None:
                found.unsearched.append(f"{where} ({why})")
                continue
            if depth >= MAX_ARCHIVE_DEPTH:
                found.unsearched.append(f"{where} (nested too deep)")
                continue
            try:
                blob = read(budget.left + 1)
            except _READ_ERRORS as exc:
                found.unsearched.append(f"{where} (cannot be read: {type(exc).__name__})")
                continue
            if len(blob) > budget.left:
                found.unsearched.append(f"{where} (over the {MAX_SCAN_BYTES // 2**20} MiB searched per file)")
                budget.left = 0
                continue
            budget.left -= len(blob)
            inner = contents(blob, shown=where, budget=budget, depth=depth + 1)
            found.texts += inner.texts
            found.unsearched += inner.unsearched
    except _READ_ERRORS as exc:
        found.unsearched.append(f"{shown} (a damaged archive: {type(exc).__name__})")
    return found


@dataclasses.dataclass(frozen=True)
class Inspection:
    leaks: list[str]  # "where: code of <origin>: <snippet>"
    refused: list[tuple[str, str]]  # (path, what it is): archives and binaries the course does not list
    unsearched: list[str]  # what listed files hold that could not be opened


def find_leaks(folder: Path, course_root: Path) -> list[str]:
    """Every place in ``folder`` where secret code of the course appears (empty: no leak)."""
    return inspect(folder, course_root).leaks


def inspect(folder: Path, course_root: Path, *, is_allowed=lambda relative: False) -> Inspection:
    """Search every file of ``folder`` (archive members and decompressed streams included)
    for secret code of the course, and list the archives and binary files it holds that
    ``is_allowed(path relative to folder)`` does not allow."""
    course_root = Path(course_root)
    public_test_runs: set[tuple[str, ...]] = set()
    for path in sorted(course_root.glob("assignments/*/tests/**/*.py")):
        public_test_runs |= _runs(_normalized(path.read_text(encoding="utf-8", errors="replace").splitlines()))
    secrets: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(course_root.glob("solutions/**/*.py")):
        origin = path.relative_to(course_root).as_posix()
        secrets += [(origin, s) for s in secret_snippets(path.read_text(encoding="utf-8"), module_assignments=False)
                    if s not in public_test_runs]
    for path in sorted(course_root.glob("rubrics/*/tests/**/*.py")):
        origin = path.relative_to(course_root).as_posix()
        secrets += [(origin, s) for s in secret_snippets(path.read_text(encoding="utf-8"), module_assignments=True)
                    if s not in public_test_runs]
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
