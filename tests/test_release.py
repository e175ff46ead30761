"""`grade release`: what students get, and proof that no solution or hidden-test code is in it.

The leak check here is written independently of grader.release.find_leaks (which
``grade release`` runs itself), so a bug in one does not hide a leak from the other.

Rules of this test's check:
* Reference solutions: for every function in solutions/**/*.py, its body without the
  docstring, as lines with whitespace collapsed, blank and comment lines dropped. No run of
  3 consecutive body lines (the whole body if shorter) may appear as consecutive lines of
  any release file. Runs under 40 characters are trivial (``return np.tanh(x)`` may rightly
  be in a handout; so is the one-line stable softplus formula the layers handout gives);
  so are runs the course's own public tests hold (importlib boilerplate to load a module).
* Hidden tests (rubrics/*/tests/*.py): the same for the body of every function (tests and
  helpers), and every module-level assignment (the hidden cases) of 40+ characters.
Notebooks and JSON files are searched as text and also through every string they hold.
"""

import ast
import json
import os
import shutil

import nbformat
import pytest
from click.testing import CliRunner
from conftest import REPO

from grader import __version__, api, course, grading, release, schema
from grader.cli import main
from grader.failure import GraderError

ASSIGNMENTS = course.names(REPO)
MIN_CHARS = 40


def squash(line):
    return " ".join(line.split())


def substantive(lines):
    return [squash(line) for line in lines if line.strip() and not line.strip().startswith("#")]


def texts_of(path):
    raw = path.read_bytes().decode("utf-8", errors="replace")
    texts = [raw]
    try:
        document = json.loads(raw)
    except ValueError:
        return texts
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            texts.append("".join(value))
        elif isinstance(value, (list, dict)):
            stack.extend(value.values() if isinstance(value, dict) else value)
    return texts


def release_texts(folder):
    """{file: its texts, each as '\\n'-joined squashed substantive lines, framed by newlines}."""
    joined = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        joined[path.relative_to(folder).as_posix()] = texts = []
        for text in texts_of(path):
            squashed = [squash(line.split(" #")[0]) for line in text.splitlines()]
            texts.append("\n" + "\n".join(s for s in squashed if s and not s.startswith("#")) + "\n")
    return joined


def public_test_text(root):
    texts = []
    for path in sorted(root.glob("assignments/*/tests/**/*.py")):
        lines = [squash(line.split(" #")[0]) for line in path.read_text().splitlines()]
        texts.append("\n" + "\n".join(line for line in lines if line and not line.startswith("#")) + "\n")
    return "".join(texts)


def secret_runs(root, pattern, *, module_assignments):
    """(origin, run) for every run of up to 3 substantive lines of a function body of the
    files matching ``pattern`` (and module-level assignments), minus trivial and public ones."""
    public = public_test_text(root)
    runs = []
    for path in sorted(root.glob(pattern)):
        source = path.read_text()
        tree = ast.parse(source)
        blocks = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                    body = body[1:]
                blocks.append((node.name, body))
        if module_assignments:
            blocks += [(f"line {n.lineno}", [n]) for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))]
        for name, body in blocks:
            lines = substantive("\n".join(ast.get_source_segment(source, s, padded=True) for s in body).splitlines())
            lines = [line.split(" #")[0].rstrip() for line in lines]
            for start in range(max(1, len(lines) - 2)):
                run = "\n".join(lines[start:start + 3])
                if len(run) - run.count("\n") >= MIN_CHARS and f"\n{run}\n" not in public:
                    runs.append((f"{path.relative_to(root)}:{name}", run))
    return runs


def solution_runs(root):
    return secret_runs(root, "solutions/**/*.py", module_assignments=False)


def hidden_runs(root):
    return secret_runs(root, "rubrics/*/tests/**/*.py", module_assignments=True)


def leaks(folder, root=REPO):
    joined = release_texts(folder)
    return [f"{name}: {origin}" for origin, run in solution_runs(root) + hidden_runs(root)
            for name, texts in joined.items() if any(f"\n{run}\n" in t for t in texts)]


def items_marked_in(test_files):
    """The item ids the tests' @pytest.mark.item markers name, as pytest collects them."""

    class Markers:
        found = set()

        def pytest_collection_modifyitems(self, items):
            for test in items:
                self.found.update(m.args[0] for m in test.iter_markers("item"))

    markers = Markers()
    code = pytest.main([*grading.PYTEST_ARGS, "-c", os.devnull, "--rootdir", str(REPO), "--collect-only",
                        *map(str, test_files)], plugins=[markers])
    assert code == 0
    return markers.found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    released = api.release(output=out, course=REPO)
    return out, released


def test_the_release_of_every_assignment_leaks_no_solution_and_no_hidden_test_code(built):
    out, released = built
    assert sorted(r.assignment for r in released) == ASSIGNMENTS
    assert solution_runs(REPO) and hidden_runs(REPO)  # the check has something to look for
    assert leaks(out) == []
    names = {p.name for p in out.rglob("*")}
    for secret in list(REPO.glob("solutions/**/*.py")) + list(REPO.glob("rubrics/**/*")):
        if secret.name not in {"rubric.json"} | {p.name for p in REPO.glob("assignments/**/*")}:
            assert secret.name not in names, secret


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_release_has_what_students_need(built, assignment):
    folder = built[0] / assignment
    graded = course.load(REPO, assignment)
    module = graded.rubric.module
    assert (folder / f"{module}.py").read_text() == graded.starter.read_text()
    assert (folder / "README.md").read_text().startswith((REPO / "assignments" / assignment / "README.md").read_text())
    for test in graded.public_tests.glob("test_*.py"):
        assert (folder / "tests" / test.name).read_text() == test.read_text()
    notebook = REPO / "assignments" / assignment / f"{module}.ipynb"
    if notebook.exists():
        assert (folder / f"{module}.ipynb").exists()
    assert (folder / "requirements.txt").read_text().splitlines()[-1] == f"nngrade=={__version__}"
    handout = (folder / "README.md").read_text()
    assert "pip install -r requirements.txt" in handout and f"nngrade=={__version__}" in handout
    assert "grade local" in handout and "not your final score" in handout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_public_rubric_holds_only_titles_and_points_of_items_with_public_tests(built, assignment):
    document = json.loads((built[0] / assignment / release.PUBLIC_RUBRIC).read_text())
    assert schema.errors("rubric", document) == []
    graded = course.load(REPO, assignment)
    served = items_marked_in(sorted(graded.public_tests.glob("test_*.py")))
    assert [i["id"] for i in document["items"]] == [i.id for i in graded.rubric.items if i.id in served]
    for entry in document["items"]:
        item = graded.rubric.item(entry["id"])
        assert entry == {"id": item.id, "title": item.title, "points": item.points, "visibility": "visible"}
    assert set(document) == {"schema_version", "assignment", "title", "module", "items"}  # no total_points


def test_stored_notebook_outputs_are_not_handed_out(tmp_path):
    root = tmp_path / "course"
    for part in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    starter = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    starter.cells[0].outputs = [nbformat.v4.new_output("stream", text="expected answer: 42\n")]
    starter.cells[0].execution_count = 3
    starter.cells[0].metadata["nbgrader"] = {"points": 5}
    nbformat.write(starter, root / "assignments" / "layers" / "extra.ipynb")
    api.release(output=tmp_path / "out", assignments=["layers"], course=root)
    handed_out = nbformat.read(tmp_path / "out" / "layers" / "extra.ipynb", as_version=4)
    assert handed_out.cells[0].outputs == [] and handed_out.cells[0].execution_count is None
    assert "nbgrader" not in handed_out.cells[0].metadata


@pytest.fixture
def course_copy(tmp_path):
    root = tmp_path / "course"
    for part in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def function_source(path, name):
    source = path.read_text()
    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)
    return ast.get_source_segment(source, node)


def test_a_starter_notebook_completed_with_the_solution_is_refused_and_no_release_is_written(course_copy, tmp_path):
    last = course.names(course_copy)[-1]  # the others are built (and clean) before it is checked
    solution = course_copy / "solutions" / last / f"{last}.py"
    longest = max((n for n in ast.parse(solution.read_text()).body if isinstance(n, ast.FunctionDef)),
                  key=lambda n: n.end_lineno - n.lineno)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\n\n" + function_source(solution, longest.name))])
    nbformat.write(notebook, course_copy / "assignments" / last / f"{last}.ipynb")
    out = tmp_path / "out"
    with pytest.raises(GraderError, match=rf"(?s)would leak secret code.*{last}\.ipynb: code of solutions/{last}/"):
        api.release(output=out, course=course_copy)  # every assignment: all or nothing
    assert list(out.iterdir()) == []  # no release of any assignment, no temporary folder
    shutil.copytree(course_copy / "assignments" / last, tmp_path / "as-released")
    assert any(f"solutions/{last}/{last}.py:{longest.name}" in leak
               for leak in leaks(tmp_path / "as-released", course_copy))  # this test's own check sees it too


def test_hidden_test_code_in_the_handout_is_refused(course_copy, tmp_path):
    hidden = next(course_copy.glob("rubrics/layers/tests/test_*.py"))
    body = function_source(hidden, next(n.name for n in ast.parse(hidden.read_text()).body
                                        if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")))
    handout = course_copy / "assignments" / "layers" / "README.md"
    handout.write_text(handout.read_text() + "\n## How we grade\n\n```python\n" + body + "\n```\n")
    with pytest.raises(GraderError, match=r"README\.md: code of rubrics/layers/tests/"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    shutil.copytree(course_copy / "assignments" / "layers", tmp_path / "as-released")
    assert any("rubrics/layers/tests/" in leak for leak in leaks(tmp_path / "as-released", course_copy))


def test_grade_release_cli_writes_and_refuses_to_overwrite_without_force(tmp_path):
    runner = CliRunner()
    first = runner.invoke(main, ["release", "-a", "layers", "-o", str(tmp_path), "--course", str(REPO)])
    assert first.exit_code == 0, first.output
    assert "no solution or hidden-test code found" in first.output
    again = runner.invoke(main, ["release", "-a", "layers", "-o", str(tmp_path), "--course", str(REPO)])
    assert again.exit_code == 1 and "already exists" in again.output
    (tmp_path / "layers" / "stale.txt").write_text("old")
    forced = runner.invoke(main, ["release", "-a", "layers", "-o", str(tmp_path), "--course", str(REPO),
                                  "--force", "--requirement", "nngrade @ git+https://example.org/nngrade@v0.1.0"])
    assert forced.exit_code == 0, forced.output
    assert not (tmp_path / "layers" / "stale.txt").exists()
    assert (tmp_path / "layers" / "requirements.txt").read_text().strip().endswith("@v0.1.0")
