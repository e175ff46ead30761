"""`grade local`: a student's check of their work against the public tests, in a copy of the release."""

import json
import os
import shutil

import nbformat
import pytest
from click.testing import CliRunner
from conftest import REPO

from grader import api, course, grading, local, release
from grader.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

REFERENCE = REPO / "solutions" / "layers" / "layers.py"
TIMEOUT = ("--timeout", "2")


@pytest.fixture(scope="module")
def layers_release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    api.release(output=out, assignments=["layers"], course=REPO)
    return out / "layers"


@pytest.fixture
def student_copy(layers_release, tmp_path, monkeypatch):
    """A fresh copy of the layers release on a 'student machine': far from the course, no course
    setting, the reference solution unreachable through the grader."""
    folder = tmp_path / "home" / "student" / "layers"
    shutil.copytree(layers_release, folder)
    monkeypatch.setenv("NNGRADE_COURSE", str(tmp_path / "no-course-here"))
    monkeypatch.chdir(folder)

    def no_reference(path):
        raise AssertionError(f"grade local loaded the reference solution {path}")

    monkeypatch.setattr(grading, "load_reference", no_reference)
    return folder


def public_items(folder):
    return json.loads((folder / "public_rubric.json").read_text())["items"]


def grade_local(*args):
    return CliRunner().invoke(main, ["local", *TIMEOUT, *map(str, args)], catch_exceptions=False)


def paste_reference_into_py(folder):
    shutil.copyfile(REFERENCE, folder / "layers.py")
    notebook = folder / "layers.ipynb"
    if notebook.exists():  # the student worked in layers.py: the notebook is older
        os.utime(notebook, ns=(0, 0))


def test_in_a_fresh_release_copy_it_prints_the_public_table_then_all_pass_with_the_reference(student_copy):
    items = public_items(student_copy)
    first = grade_local()
    assert first.exit_code == 0, first.output
    rows = [line for line in first.output.splitlines() if line.rstrip().endswith(("PASS", "FAIL", "ERROR"))]
    assert [row.split("  ")[1].strip() for row in rows] == [i["title"] for i in items]
    assert all(row.rstrip().endswith("FAIL") for row in rows)
    assert f"0 of {len(items)} public items pass." in first.output
    assert "not implemented yet" in first.output
    assert local.REMINDER in " ".join(first.output.split())

    paste_reference_into_py(student_copy)
    second = grade_local()
    assert second.exit_code == 0, second.output
    assert "public tests of layers.py" in second.output
    rows = [line for line in second.output.splitlines() if line.rstrip().endswith(("PASS", "FAIL", "ERROR"))]
    assert len(rows) == len(items) and all(row.rstrip().endswith("PASS") for row in rows)
    assert f"{len(items)} of {len(items)} public items pass." in second.output
    flat = " ".join(second.output.split())
    assert local.REMINDER in flat and "Hidden tests run when you submit" in flat
    assert "all tests passed" not in flat.lower() and "full marks" not in flat.lower()
    assert "score" not in flat.lower().replace("final score", "")  # never a sum that reads as a grade


def test_points_column_shows_each_public_items_points(student_copy):
    output = grade_local().output
    for item in public_items(student_copy):
        row = next(line for line in output.splitlines() if line.strip().startswith(item["title"]))
        assert f"{item['points']:g}" in row.split(item["title"], 1)[1]


def test_a_failure_shows_the_localized_message_and_hint(student_copy):
    source = REFERENCE.read_text().replace("dw = x_flat.T @ dout", "dw = x_flat.T @ dout / x.shape[0]")
    assert source != REFERENCE.read_text()
    (student_copy / "layers.py").write_text(source)
    os.utime(student_copy / "layers.ipynb", ns=(0, 0))
    output = grade_local().output
    dw = next(line for line in output.splitlines() if line.strip().startswith("affine_backward: dw"))
    assert dw.rstrip().endswith("FAIL")
    assert "did you" in output.split(dw, 1)[1].split("\n  affine_backward: db")[0]  # the hint under the row


def test_a_notebook_with_the_reference_passes_and_its_skipped_code_is_listed(student_copy):
    cells = [nbformat.v4.new_code_cell(REFERENCE.read_text()),
             nbformat.v4.new_code_cell("for epoch in range(10 ** 9):\n    pass")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), student_copy / "layers.ipynb")
    os.utime(student_copy / "layers.py", ns=(0, 0))
    run = grade_local()
    n = len(public_items(student_copy))
    assert "public tests of layers.ipynb" in run.output and "layers.ipynb changed after layers.py" in run.output
    assert f"{n} of {n} public items pass." in run.output
    assert "cell 2, line 1: for epoch in range(10 ** 9):" in run.output


def test_json_output_is_for_tools_and_says_public_only(student_copy):
    run = grade_local("--json")
    assert run.exit_code == 0
    outcome = json.loads(run.output)
    assert outcome["public_tests_only"] is True and outcome["reminder"] == local.REMINDER
    assert outcome["items"] == len(public_items(student_copy)) and outcome["items_passed"] == 0
    assert [t["extra_data"]["item"] for t in outcome["result"]["tests"]] == [i["id"] for i in public_items(student_copy)]


def test_an_explicit_file_is_graded_whatever_its_name(student_copy, tmp_path):
    mine = tmp_path / "my_attempt.py"
    shutil.copyfile(REFERENCE, mine)
    run = grade_local(mine)
    assert run.exit_code == 1  # outside the assignment folder: nothing there says which assignment
    shutil.copyfile(REFERENCE, student_copy / "my_attempt.py")
    run = grade_local(student_copy / "my_attempt.py")
    n = len(public_items(student_copy))
    assert run.exit_code == 0 and f"{n} of {n} public items pass." in run.output


def test_it_works_from_a_subfolder_and_with_the_plain_subprocess_backend(student_copy):
    paste_reference_into_py(student_copy)
    outcome = api.local(path=student_copy / "tests", sandbox_backend="subprocess")
    assert outcome.document["extra_data"]["sandbox"] == "subprocess"
    assert outcome.passed == len(public_items(student_copy))


def test_outside_an_assignment_folder_it_says_where_to_run_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = grade_local()
    assert run.exit_code == 1
    assert "no assignment found" in run.output and "public_rubric.json" in run.output


def test_colors_only_on_a_terminal_and_never_with_no_color(student_copy, monkeypatch):
    outcome = api.local(path=student_copy)
    assert "\x1b[" in local.render(outcome, color=True)
    assert "\x1b[" not in local.render(outcome, color=False)

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert local.supports_color(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not local.supports_color(Terminal())
    assert "\x1b[" not in grade_local().output  # CliRunner's output is not a terminal


def test_in_the_course_repository_the_assignment_folder_works_too(monkeypatch):
    monkeypatch.chdir(REPO / "assignments" / "layers")
    outcome = api.local(sandbox_backend="subprocess")
    assert outcome.assignment.name == "layers" and outcome.passed == 0  # the starter
    expected = [i["id"] for i in release.public_rubric(course.load(REPO, "layers"))["items"]]
    assert [t["extra_data"]["item"] for t in outcome.document["tests"]] == expected
