"""`grade release`: what students get, and proof that no solution or hidden-test code is in it.

The leak check here is written independently of grader.leak.find_leaks (which
``grade release`` runs itself), so a bug in one does not hide a leak from the other.

Rules of this test's check:
* Reference solutions: for every function in solutions/**/*.py, its body without the
  docstring, as lines with whitespace collapsed, blank and comment lines dropped. No run of
  3 consecutive body lines (the whole body if shorter) may appear as consecutive lines of
  any release file. Runs under 40 characters are trivial (``return np.tanh(x)`` may rightly
  be in a handout; so is the one-line stable softplus formula the layers handout gives);
  so are runs the course's own public tests hold (importlib boilerplate to load a module).
* Hidden tests (rubrics/*/tests/*.py): the same for the body of every function (tests and
  helpers), and every module-level assignment (the hidden cases) of 40+ characters; runs
  the grader package's own source holds are plumbing, public by construction (the grader
  ships in every release), so they do not count. Solution runs get no such exemption.
Notebooks and JSON files are searched as text and also through every string they hold;
zip files (the grader's wheel) through every member too.
"""

import ast
import base64
import csv
import gzip
import hashlib
import io
import json
import os
import py_compile
import re
import shutil
import subprocess
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import REPO

from grader import __version__, api, course, grading, leak, release, schema, starter, wheel
import grader as grader_package
from grader.cli import main
from grader.failure import GraderError

ASSIGNMENTS = course.names(REPO)
MIN_CHARS = 40
WHEEL_NAME = f"nngrade-{__version__}-py3-none-any.whl"


def squash(line):
    return " ".join(line.split())


def substantive(lines):
    return [squash(line) for line in lines if line.strip() and not line.strip().startswith("#")]


def texts_of(path):
    if zipfile.is_zipfile(path):  # the grader's wheel, or an archive a test planted
        with zipfile.ZipFile(path) as archive:
            return [archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()]
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


def windows(text):
    """Every run of 1 to 3 consecutive squashed substantive lines of ``text``, each '\\n'-joined."""
    squashed = [squash(line.split(" #")[0]) for line in text.splitlines()]
    lines = [line for line in squashed if line and not line.startswith("#")]
    return {"\n".join(lines[i:i + size]) for size in (1, 2, 3) for i in range(len(lines) - size + 1)}


def release_texts(folder):
    """{file: the windows of each of its texts}."""
    return {path.relative_to(folder).as_posix(): [windows(text) for text in texts_of(path)]
            for path in sorted(p for p in folder.rglob("*") if p.is_file())}


def public_test_text(root, *, with_grader=False):
    """The windows of the course's public tests (and of the grader package's source)."""
    paths = sorted(root.glob("assignments/*/tests/**/*.py"))
    if with_grader:
        paths += sorted(p for p in Path(grader_package.__file__).parent.rglob("*.py") if "__pycache__" not in p.parts)
    return set().union(*(windows(path.read_text()) for path in paths))


def secret_runs(root, pattern, *, module_assignments):
    """(origin, run) for every run of up to 3 substantive lines of a function body of the
    files matching ``pattern`` (and module-level assignments), minus trivial and public ones."""
    public = public_test_text(root, with_grader=module_assignments)  # hidden tests only: see the docstring
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
                if len(run) - run.count("\n") >= MIN_CHARS and run not in public:
                    runs.append((f"{path.relative_to(root)}:{name}", run))
    return runs


def solution_runs(root):
    return secret_runs(root, "solutions/**/*.py", module_assignments=False)


def hidden_runs(root):
    return secret_runs(root, "rubrics/*/tests/**/*.py", module_assignments=True)


def leaks(folder, root=REPO):
    joined = release_texts(folder)
    return [f"{name}: {origin}" for origin, run in solution_runs(root) + hidden_runs(root)
            for name, texts in joined.items() if any(run in t for t in texts)]


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
    made = starter.generate(graded)  # from the annotated solution, as `grade starter` writes it
    assert (folder / f"{module}.py").read_text() == made.module_source
    assert (folder / f"{module}.ipynb").read_text() == made.notebook
    assert (folder / "README.md").read_text().startswith((REPO / "assignments" / assignment / "README.md").read_text())
    for test in graded.public_tests.glob("test_*.py"):
        assert (folder / "tests" / test.name).read_text() == test.read_text()
    assert (folder / "requirements.txt").read_text().splitlines()[-1] == f"./wheels/{WHEEL_NAME}"
    handout = (folder / "README.md").read_text()
    assert "pip install -r requirements.txt" in handout and f"./wheels/{WHEEL_NAME}" in handout
    assert "grade local" in handout and "not your final score" in handout


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_public_rubric_holds_only_titles_and_points_of_items_with_public_tests(built, assignment):
    document = json.loads((built[0] / assignment / release.PUBLIC_RUBRIC).read_text())
    hashes = document.pop("released_sha256")  # the release's own fields (see the tests below)
    assert document.pop("grader") == {"version": __version__, "fingerprint": wheel.fingerprint()}
    assert schema.errors("rubric", document) == []
    assert hashes
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


def test_a_notebook_completed_with_the_solution_is_refused_and_no_release_is_written(course_copy, tmp_path):
    last = course.names(course_copy)[-1]  # the others are built (and clean) before it is checked
    solution = course_copy / "solutions" / last / f"{last}.py"
    longest = max((n for n in ast.parse(solution.read_text()).body if isinstance(n, ast.FunctionDef)),
                  key=lambda n: n.end_lineno - n.lineno)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\n\n" + function_source(solution, longest.name))])
    nbformat.write(notebook, course_copy / "assignments" / last / f"{last}_worked.ipynb")
    out = tmp_path / "out"
    with pytest.raises(GraderError, match=rf"(?s)would leak secret code.*{last}_worked\.ipynb: code of solutions/{last}/"):
        api.release(output=out, course=course_copy)  # every assignment: all or nothing
    assert list(out.iterdir()) == []  # no release of any assignment, no temporary folder
    shutil.copytree(course_copy / "assignments" / last, tmp_path / "as-released")
    assert any(f"solutions/{last}/{last}.py:{longest.name}" in leak
               for leak in leaks(tmp_path / "as-released", course_copy))  # this test's own check sees it too


def test_the_release_writes_the_starter_its_solution_gives_not_a_stale_copy(course_copy, tmp_path):
    (course_copy / "assignments" / "layers" / "layers.py").write_text('"""An old starter."""\n')
    api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    made = starter.generate(course.load(course_copy, "layers"))
    assert (tmp_path / "out" / "layers" / "layers.py").read_text() == made.module_source
    assert (tmp_path / "out" / "layers" / "layers.ipynb").read_text() == made.notebook


def test_solution_code_left_outside_its_markers_is_refused_in_the_generated_starter(course_copy, tmp_path):
    """A function whose SOLUTION markers were dropped would reach the starter whole: the leak check,
    which reads the generated starter module and notebook like every released file, refuses it."""
    solution = course_copy / "solutions" / "layers" / "layers.py"
    source = solution.read_text()
    body = ast.parse(source).body
    index = next(i for i, n in enumerate(body) if getattr(n, "name", None) == "affine_backward")
    first, last = body[index].lineno, (body[index + 1].lineno - 1 if index + 1 < len(body) else 10 ** 9)
    markers = {"# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN PROMPT", "# END PROMPT"}
    solution.write_text("".join(line for number, line in enumerate(source.splitlines(keepends=True), 1)
                                if not (first <= number <= last and line.strip() in markers)))
    with pytest.raises(GraderError, match="would leak secret code") as refused:
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    for starter_file in ("layers.py", "layers.ipynb"):
        assert f"\n  {starter_file}: code of solutions/layers/layers.py: " in str(refused.value)


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
    assert again.exit_code == 2 and "already exists" in again.output
    (tmp_path / "layers" / "stale.txt").write_text("old")
    forced = runner.invoke(main, ["release", "-a", "layers", "-o", str(tmp_path), "--course", str(REPO),
                                  "--force", "--requirement", "nngrade @ git+https://example.org/nngrade@v0.1.0"])
    assert forced.exit_code == 0, forced.output
    assert not (tmp_path / "layers" / "stale.txt").exists()
    assert (tmp_path / "layers" / "requirements.txt").read_text().strip().endswith("@v0.1.0")
    assert not (tmp_path / "layers" / "wheels").exists()  # the course's own install line: no wheel


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_public_rubric_records_the_sha256_of_every_released_file_the_public_tests_may_load(built, assignment):
    """What `grade local` checks before it imports a test (issue 9, gap 9): every test file, and
    support code and data beside them; not what the student edits, nor the handout."""
    folder = built[0] / assignment
    document = json.loads((folder / release.PUBLIC_RUBRIC).read_text())
    module = course.load(REPO, assignment).module
    students = {f"{module}.py", "README.md", "requirements.txt", release.PUBLIC_RUBRIC}
    loadable = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".ipynb"
                      and p.relative_to(folder).as_posix() not in students | {f"wheels/{WHEEL_NAME}"})
    assert any(p.parent.name == "tests" for p in loadable)
    assert document["released_sha256"] == {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                                           for p in loadable}
    if assignment == "mlp":  # its public tests import mlp_data.py, which reads the digits
        assert {"mlp_data.py", "data/digits.csv.gz"} <= set(document["released_sha256"])


# -- archives and binary files (issue 9, gap 12) ----------------------------------------

def release_cli(course_root, out, *more):
    return CliRunner().invoke(main, ["release", "-a", "layers", "-o", str(out), "--course", str(course_root), *more])


def allow(course_root, *patterns):
    config = {"schema_version": 1, "allowed_files": list(patterns)}
    (course_root / release.RELEASE_CONFIG).write_text(json.dumps(config))


def test_a_zip_of_the_solution_left_in_an_assignment_folder_is_refused_naming_the_file_and_why(course_copy, tmp_path):
    solution = course_copy / "solutions" / "layers" / "layers.py"
    (course_copy / "assignments" / "layers" / "old").mkdir()
    target = course_copy / "assignments" / "layers" / "old" / "solution.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(solution, "layers_done.py")
    out = tmp_path / "out"
    run = release_cli(course_copy, out)
    assert run.exit_code == 1, run.output
    assert "no solution or hidden-test code found" not in run.output
    assert "old/solution.zip: a zip archive" in run.output  # which file, and why
    assert "release.json" in run.output  # and how the course allows one it means to ship
    assert "old/solution.zip > layers_done.py: code of solutions/layers/layers.py" in run.output  # it was opened
    assert not (out / "layers").exists()


ARCHIVES_AND_BINARIES = {  # file in the assignment folder: what the refusal calls it
    "data/extra.tar.gz": "a tar archive (gzip-compressed)",
    "tools.7z": "a 7z archive",
    "nngrade_helpers-0.1-py3-none-any.whl": "a zip archive",
    "compiled.pyc": "compiled Python bytecode",
    "data/weights.npy": "a numpy array file",
    "data/weights.npz": "a zip archive",
    "figure.png": "a binary file",
}


def plant_archives_and_binaries(folder):
    (folder / "data").mkdir()
    with tarfile.open(folder / "data" / "extra.tar.gz", "w:gz") as bundle:
        notes = b"Extra reading for the curious.\n"
        info = tarfile.TarInfo("notes.txt")
        info.size = len(notes)
        bundle.addfile(info, io.BytesIO(notes))
    (folder / "tools.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(range(256)))
    with zipfile.ZipFile(folder / "nngrade_helpers-0.1-py3-none-any.whl", "w") as wheel:
        wheel.writestr("nngrade_helpers/__init__.py", "VERSION = '0.1'\n")
    (folder / "helper_source.py").write_text("def helper():\n    return 42\n")
    py_compile.compile(str(folder / "helper_source.py"), cfile=str(folder / "compiled.pyc"))
    (folder / "helper_source.py").unlink()
    np.save(folder / "data" / "weights.npy", np.arange(12.0).reshape(3, 4))
    np.savez(folder / "data" / "weights.npz", w=np.ones((2, 2)))
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))


def test_archives_and_binary_files_are_refused_unless_the_course_allows_them(course_copy, tmp_path):
    folder = course_copy / "assignments" / "layers"
    plant_archives_and_binaries(folder)
    with pytest.raises(GraderError) as refused:
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    for name, kind in ARCHIVES_AND_BINARIES.items():
        assert f"\n  {name}: {kind}" in str(refused.value)
    assert not (tmp_path / "out" / "layers").exists()

    allow(course_copy, "layers/data/*", "layers/tools.7z", "layers/*.whl", "layers/compiled.pyc", "layers/figure.png")
    run = release_cli(course_copy, tmp_path / "out")
    assert run.exit_code == 0, run.output
    for name in ARCHIVES_AND_BINARIES:
        assert (tmp_path / "out" / "layers" / name).read_bytes() == (folder / name).read_bytes()
    # What could not be opened and searched is said, so nobody reads "no solution found" as a proof.
    for unsearched in ("tools.7z", "compiled.pyc", "data/weights.npy", "figure.png", "data/weights.npz > w.npy"):
        said = rf"not searched \(allowed in release\.json\): {re.escape(unsearched)} \("
        assert re.search(said, run.output), unsearched
    assert "not searched (allowed in release.json): data/extra.tar.gz" not in run.output  # it was opened


def test_an_allowed_archive_is_still_opened_and_refused_when_it_holds_secret_code(course_copy, tmp_path):
    hidden = next(course_copy.glob("rubrics/layers/tests/test_*.py"))
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as bundle:
        bundle.add(hidden, "checks/test_more.py")
    (course_copy / "assignments" / "layers" / "data").mkdir()
    with zipfile.ZipFile(course_copy / "assignments" / "layers" / "data" / "bundle.zip", "w") as bundle:
        bundle.writestr("readme.txt", "Datasets for the optional part.\n")
        bundle.writestr("more.tar.gz", inner.getvalue())
    allow(course_copy, "layers/data/bundle.zip")
    origin = hidden.relative_to(course_copy).as_posix()
    where = "data/bundle.zip > more.tar.gz > checks/test_more.py"
    with pytest.raises(GraderError, match=re.escape(f"{where}: code of {origin}")):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)


def test_compressed_text_is_searched_after_decompression(course_copy, tmp_path):
    solution = (course_copy / "solutions" / "layers" / "layers.py").read_bytes()
    folder = course_copy / "assignments" / "layers"
    (folder / "notes.txt.gz").write_bytes(gzip.compress(solution))
    with pytest.raises(GraderError, match=r"notes\.txt\.gz: code of solutions/layers/layers\.py"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    # Compressed text (a dataset such as mlp's digits.csv.gz) is searchable, so it needs no listing.
    (folder / "notes.txt.gz").write_bytes(gzip.compress(b"x,y\n1,2\n3,4\n"))
    released = api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    assert "notes.txt.gz" in released[0].files and released[0].unsearched == ()


def test_a_broken_release_json_is_refused_with_where_it_is_wrong(course_copy, tmp_path):
    (course_copy / release.RELEASE_CONFIG).write_text(json.dumps({"schema_version": 1, "allowed_files": "*.zip"}))
    with pytest.raises(GraderError, match=r"release\.json: /allowed_files: '\*\.zip' is not of type 'array'"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)


def _plant(kind: str, root, line: str) -> None:
    """Put one line of code into one kind of released file of the layers assignment: the starter
    module and notebook through the annotated solution they are generated from."""
    folder, solution = root / "assignments" / "layers", root / "solutions" / "layers" / "layers.py"
    if kind == "handout":
        readme = folder / "README.md"
        readme.write_text(readme.read_text() + f"\n\nIn matrix form:\n\n    {line}\n")
    elif kind == "starter":  # code outside the SOLUTION markers: the starter module (and notebook) get it
        solution.write_text(solution.read_text() + f"\n\ndef _hint(dout, x_flat):\n    {line}\n    return dw\n")
    elif kind == "notebook":  # a NOTEBOOK cell: the starter notebook, and only it, gets it
        solution.write_text(solution.read_text() + f"\n\n# BEGIN NOTEBOOK\n# %% [markdown]\n# Hint: `{line}`\n"
                                                    "# END NOTEBOOK\n")
    else:
        test = next((folder / "tests").glob("test_*.py"))
        test.write_text(test.read_text() + f"\n\ndef _expected(dout, x_flat):\n    {line}\n    return dw\n")


@pytest.mark.parametrize("kind", ["handout", "starter", "notebook", "public test"])
def test_one_line_of_a_reference_backward_pass_in_any_released_file_is_refused(course_copy, tmp_path, kind):
    """Deriving the matrix form is the exercise: no released file may hand it out, public tests
    included, even a single line of it."""
    solution = (course_copy / "solutions" / "layers" / "layers.py").read_text()
    line = next(line for line in leak.graded_lines(solution) if line.startswith("dw ="))
    _plant(kind, course_copy, line)
    with pytest.raises(GraderError, match=r"a line of solutions/layers/layers\.py's backward pass or update rule"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)


def test_an_update_rule_line_in_a_public_test_is_refused_and_forward_formulas_are_not():
    solution = (REPO / "solutions" / "optim" / "optim.py").read_text()
    lines = leak.graded_lines(solution)
    assert any("beta1 ** t" in line for line in lines)  # Adam's bias correction
    assert not any(line.startswith(("out =", "n = x.shape")) for line in
                   leak.graded_lines((REPO / "solutions" / "layers" / "layers.py").read_text()))


# -- the grader's own wheel: students install exactly the grader the release pins, offline ----------

def read_record(archive):
    info = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
    return info, list(csv.reader(archive.read(info).decode().splitlines()))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_release_holds_the_graders_own_wheel_and_its_requirements_point_at_it(built, assignment):
    folder = built[0] / assignment
    shipped = folder / "wheels" / WHEEL_NAME
    assert shipped.read_bytes() == wheel.build().data  # this grader, built the same way byte for byte
    # pip resolves a path in a requirements file against the working directory: the student's is this folder.
    assert f"./wheels/{WHEEL_NAME}" in (folder / "requirements.txt").read_text().splitlines()
    assert not any(line.startswith("nngrade") for line in (folder / "requirements.txt").read_text().splitlines())
    assert f"wheels/{WHEEL_NAME}" in next(r for r in built[1] if r.assignment == assignment).files


def test_the_wheels_record_matches_its_files_and_it_holds_only_the_installed_grader_package(built):
    data = (built[0] / "layers" / "wheels" / WHEEL_NAME).read_bytes()
    info = f"nngrade-{__version__}.dist-info"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        record_name, rows = read_record(archive)
        assert record_name == f"{info}/RECORD" and names[-1] == record_name
        assert [row[0] for row in rows] == names and rows[-1] == [record_name, "", ""]
        for path, digest, size in rows[:-1]:
            member = archive.read(path)
            assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(member).digest()).rstrip(b"=").decode()
            assert int(size) == len(member)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # reproducible
        package = Path(grader_package.__file__).parent
        installed = {f"grader/{p.relative_to(package).as_posix()}": p.read_bytes() for p in package.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}
        assert {n: archive.read(n) for n in names if n.startswith("grader/")} == installed
        assert sorted(n for n in names if not n.startswith("grader/")) == sorted(
            f"{info}/{n}" for n in ("METADATA", "WHEEL", "entry_points.txt", "RECORD"))
        metadata = archive.read(f"{info}/METADATA").decode()
        assert "Name: nngrade" in metadata and f"Version: {__version__}" in metadata
        assert "Requires-Dist: numpy" in metadata
        assert "Tag: py3-none-any" in archive.read(f"{info}/WHEEL").decode()
        assert "grade = grader.cli:main" in archive.read(f"{info}/entry_points.txt").decode()
        secrets = {p.read_bytes() for p in list(REPO.glob("solutions/**/*")) + list(REPO.glob("rubrics/**/*"))
                   if p.is_file()}
        assert not any(archive.read(n) in secrets for n in names)  # no file of solutions/ or rubrics/
        assert not any(n.rsplit("/", 1)[-1] in {p.name for p in REPO.glob("solutions/**/*.py")} for n in names)


def copy_grader_package(tmp_path, monkeypatch):
    """A copy of the grader package for the release to build its wheel from (the installed metadata stays)."""
    package = tmp_path / "site" / "grader"
    shutil.copytree(Path(grader_package.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(wheel, "package_folder", lambda: package)
    return package


def test_solution_code_that_reached_the_grader_package_is_caught_in_its_wheel(course_copy, tmp_path, monkeypatch):
    package = copy_grader_package(tmp_path, monkeypatch)
    shutil.copyfile(course_copy / "solutions" / "layers" / "layers.py", package / "helpers_done.py")
    where = f"wheels/{WHEEL_NAME} > grader/helpers_done.py: code of solutions/layers/layers.py"
    with pytest.raises(GraderError, match=re.escape(where)):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)
    assert not (tmp_path / "out" / "layers").exists()


def test_a_grader_wheel_holding_a_file_the_leak_check_cannot_read_is_refused(course_copy, tmp_path, monkeypatch):
    package = copy_grader_package(tmp_path, monkeypatch)
    (package / "weights.bin").write_bytes(b"\0\1\2" * 100)
    with pytest.raises(GraderError, match=rf"cannot read.*\n  wheels/{re.escape(WHEEL_NAME)} > grader/weights\.bin"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)


def test_a_course_whose_secret_folders_overlap_the_grader_package_is_refused(course_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(wheel, "package_folder", lambda: course_copy / "solutions" / "grader")
    with pytest.raises(GraderError, match=r"lie one inside the other.*nothing was written"):
        api.release(output=tmp_path / "out", assignments=["layers"], course=course_copy)


def test_hidden_test_plumbing_the_grader_holds_is_no_leak_but_solution_code_it_holds_is(course_copy, tmp_path):
    """The grader is public (every release ships it): code a hidden test shares with it is plumbing,
    as with public tests. Reference-solution code is a leak wherever it is, the grader included."""
    helper = ("def compare_all(before, after, *, name):\n    for key in sorted(before):\n"
              "        check_unchanged(before[key], after[key], name=f'{name}[{key}]')\n"
              "        assert key in after, f'{name} lost {key}'\n")
    hidden = next(course_copy.glob("rubrics/layers/tests/test_*.py"))
    hidden.write_text(hidden.read_text() + "\n\n" + helper)
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "notes.md").write_text("```python\n" + helper + "```\n")
    assert leak.inspect(folder, course_copy).leaks  # a hidden test's code, not the grader's
    assert leak.inspect(folder, course_copy, grader_code=(helper,)).leaks == []
    solution = (course_copy / "solutions" / "layers" / "layers.py").read_text()
    (folder / "notes.md").write_text(solution)
    assert leak.inspect(folder, course_copy, grader_code=(solution,)).leaks  # never exempt


def dependencies_without_the_grader(tmp_path):
    """A folder showing the test environment's installed packages (numpy, pytest, click, pip...)
    but not its grader, so that only the release's wheel can provide ``nngrade``."""
    folder = tmp_path / "dependencies"
    folder.mkdir()
    for site in dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]):
        for entry in Path(site).iterdir():
            if not entry.name.lower().startswith(("nngrade", "__editable__", "grader")) \
                    and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def test_students_install_the_released_grader_offline_and_get_a_working_grade_command(built, tmp_path):
    """pip installs the grader from the release's own wheel with no index; the dependencies
    (numpy, pytest, click...) are the test environment's, made visible to the new venv by a .pth file."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=False, symlinks=True)  # pip, like numpy, comes through the .pth file
    python = target / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test_environment.pth").write_text(f"{dependencies_without_the_grader(tmp_path)}\n")
    folder = built[0] / "layers"
    install = subprocess.run([python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                              "-r", "requirements.txt"], cwd=folder, capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "Successfully installed nngrade" in install.stdout, install.stdout
    grade = target / "bin" / "grade"
    version = subprocess.run([grade, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and __version__ in version.stdout, version.stdout + version.stderr
    probe = ("import grader, hashlib; from grader import wheel; print(grader.__file__); print(wheel.fingerprint()); "
             "print(hashlib.sha256(wheel.build().data).hexdigest())")
    where, fingerprint, rebuilt = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True,
                                                 cwd=tmp_path).stdout.split()
    assert Path(where).resolve().is_relative_to(target.resolve())  # the wheel's grader, not the test's
    assert fingerprint == json.loads((folder / release.PUBLIC_RUBRIC).read_text())["grader"]["fingerprint"]
    # The installed grader builds the very wheel it came from: what `grade local` compares is what was shipped.
    assert rebuilt == hashlib.sha256((folder / "wheels" / WHEEL_NAME).read_bytes()).hexdigest()
