"""``grade release``: the folder students get for an assignment, and proof that nothing secret is in it.

For each assignment, ``OUTDIR/<assignment>/`` holds::

    README.md            the handout, with a closing section on installing the grader and `grade local`
    <module>.py          the starter module
    <module>.ipynb       the starter notebook, if the course has one (stored outputs cleared)
    tests/               the public tests
    public_rubric.json   id, title and points of the items the public tests serve, nothing else
                         (it follows rubric.schema.json, so `grade local` reads it like a rubric)
    requirements.txt     the pinned grader, ``nngrade==<version>`` (or the course's own install line)
    ...                  any other file of assignments/<assignment>/ (data, figures)

Nothing is read from ``solutions/`` or ``rubrics/`` except the rubric's public
items. Dot files, ``__pycache__`` and symbolic links are not copied.

Every release is built in a temporary folder, and before any is moved into
place :func:`find_leaks` searches every file of each for any reference-solution
code and any hidden-test code; one leak and no release is written at all. How code is matched (see :func:`secret_snippets`): each
line is normalized (surrounding whitespace, comments and runs of spaces
dropped); a *snippet* is a run of 3 consecutive lines of one function body
(docstring dropped), or the whole body if it is shorter, and for hidden tests
also each module-level assignment (the hidden test cases). Snippets under 40
characters are skipped as trivial: a one-line formula such as
``out = np.maximum(0, x)`` may rightly appear in a handout. A snippet that also
occurs in the course's own public tests (``assignments/*/tests/``) is not a
leak: public tests share plumbing with hidden tests (checking that inputs are
unchanged) and with solutions (loading a module with importlib), and they are
written to be handed out. Starters, notebooks, handouts and every other file
get no such exemption.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

from grader import __version__, grading
from grader import course as course_module
from grader.failure import GraderError
from grader.plugin import GradingPlugin

PUBLIC_RUBRIC = "public_rubric.json"
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
    staged: list[tuple[course_module.Assignment, Path, list[str]]] = []
    try:
        for assignment in assignments:
            staging = Path(tempfile.mkdtemp(prefix=f".{assignment.name}-release-", dir=output))
            staged.append((assignment, staging, []))
            staged[-1][2].extend(_build_one(assignment, staging, requirement))
        released = []
        for assignment, staging, skipped in staged:
            target = output / assignment.name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
            files = tuple(sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()))
            released.append(Released(assignment=assignment.name, folder=target, files=files, skipped=tuple(skipped)))
        return released
    finally:
        for _, staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)


def _build_one(assignment: course_module.Assignment, staging: Path, requirement: str) -> list[str]:
    """Build one release in ``staging`` and check it for leaks; return what was not copied."""
    source = assignment.root / "assignments" / assignment.name
    if not source.is_dir():
        raise GraderError(f"{source} does not exist")
    skipped = _copy_public(source, staging)
    if not (staging / f"{assignment.module}.py").is_file():
        raise GraderError(f"{source} has no starter {assignment.module}.py")
    for notebook in sorted(staging.rglob("*.ipynb")):
        _clear_outputs(notebook, shown=notebook.relative_to(staging))
    document = public_rubric(assignment)
    (staging / PUBLIC_RUBRIC).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    _write_requirements(staging / REQUIREMENTS, requirement)
    handout = staging / HANDOUT
    text = handout.read_text(encoding="utf-8") if handout.is_file() else f"# {assignment.rubric.title}\n"
    handout.write_text(text.rstrip("\n") + "\n" + INSTALL_SECTION.format(requirement=requirement,
                                                                         module=assignment.module),
                       encoding="utf-8")
    leaks = find_leaks(staging, assignment.root)
    if leaks:
        raise GraderError(f"the release of {assignment.name} would leak secret code; nothing was written:\n  "
                          + "\n  ".join(leaks[:20]) + (f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""))
    return skipped


def _copy_public(source: Path, dest: Path) -> list[str]:
    """Copy the assignment folder; return what was not copied (and why)."""
    skipped = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        parts = relative.parts
        if any(part.startswith(".") or part in SKIPPED_NAMES for part in parts) or path.suffix == ".pyc":
            continue
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


def searchable_texts(path: Path) -> list[str]:
    """A file's text, and for a JSON file (a notebook) every string in it, so code
    stored as JSON strings (cell sources, outputs) is searched as code."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    texts = [text]
    try:
        texts += _strings(json.loads(text))
    except (ValueError, RecursionError):
        pass
    return texts


def find_leaks(folder: Path, course_root: Path) -> list[str]:
    """Every place in ``folder`` where secret code of the course appears (empty: no leak)."""
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
    leaks = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        runs: set[tuple[str, ...]] = set()
        for text in searchable_texts(path):
            runs |= _runs(_normalized(text.splitlines()))
        for origin, snippet in secrets:
            if snippet in runs:
                leaks.append(f"{path.relative_to(folder).as_posix()}: code of {origin}: "
                             + " / ".join(snippet)[:160])
    return leaks
