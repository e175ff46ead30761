"""`grade local`: a student's check of their work against the public tests, in a copy of the release."""

import importlib.util
import json
import marshal
import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from conftest import FIXTURES, REPO

import grader
from grader import api, course, grading, local, release, wheel
from grader.cli import main
from grader.failure import GraderError

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

REFERENCE = REPO / "solutions" / "layers" / "layers.py"
TIMEOUT = ("--timeout", "2")
HOSTILE_TEST = FIXTURES / "untrusted_folders" / "test_layers_public_runs_code_at_import.py"


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


@pytest.fixture
def mark(tmp_path, monkeypatch):
    """The file HOSTILE_TEST writes when anything imports it (wherever the copy lies)."""
    path = tmp_path / "ran_as_the_grader.txt"
    monkeypatch.setenv("NNGRADE_TEST_MARK", str(path))
    return path


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
    assert "(N) too small" in output.split(dw, 1)[1].split("\n  affine_backward: db")[0]  # the hint under the row


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


# -- a folder someone else controls (issue 9, gap 9) ------------------------------------

def test_local_refuses_a_folder_whose_tests_differ_from_the_released_ones(student_copy, mark):
    shutil.copyfile(HOSTILE_TEST, student_copy / "tests" / "test_layers_public.py")
    run = grade_local()
    assert run.exit_code == 2, run.output
    assert not mark.exists()  # not one line of the folder's tests ran in the grader
    flat = " ".join(run.output.split())
    assert "tests/test_layers_public.py: changed since the release" in flat
    assert "grade run SUBMISSION -a layers --public-only" in flat  # what a TA runs instead


def test_local_refuses_a_folder_with_a_test_file_the_release_did_not_have(student_copy, mark):
    (student_copy / "tests" / "more").mkdir()
    shutil.copyfile(HOSTILE_TEST, student_copy / "tests" / "more" / "test_extra.py")
    run = grade_local("--json")
    assert run.exit_code == 2, run.output
    assert not mark.exists()
    assert "tests/more/test_extra.py: not in the release" in run.output
    assert "changed since the release" not in run.output  # the released file itself is intact


def test_local_refuses_a_public_rubric_that_records_no_hashes_of_the_released_tests(student_copy, mark):
    document = json.loads((student_copy / "public_rubric.json").read_text())
    del document["released_sha256"]
    (student_copy / "public_rubric.json").write_text(json.dumps(document))
    shutil.copyfile(HOSTILE_TEST, student_copy / "tests" / "test_layers_public.py")
    run = grade_local()
    assert run.exit_code == 2, run.output
    assert not mark.exists()
    assert "records no hashes of the released tests" in " ".join(run.output.split())


def test_local_never_runs_bytecode_planted_beside_the_released_tests(student_copy, mark, monkeypatch):
    """A .pyc in tests/__pycache__ whose header matches the released source's mtime and size
    is what Python would run instead of the source: the hash of the source must not be enough."""
    # Why: this suite's own pytest puts its assertion-rewriting import hook first on
    # sys.meta_path, and it compiles test_*.py itself; `grade local` as users run it has none.
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if type(f).__name__ != "AssertionRewritingHook"])
    genuine = student_copy / "tests" / "test_layers_public.py"
    stat = genuine.stat()
    header = (importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")  # PEP 552: flags 0, then mtime and size
              + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
              + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little"))
    cache = Path(importlib.util.cache_from_source(str(genuine)))
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(header + marshal.dumps(compile(HOSTILE_TEST.read_text(), str(genuine), "exec")))
    (student_copy / "tests" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1\0")  # litter a file browser leaves
    run = grade_local()
    assert run.exit_code == 0, run.output
    assert not mark.exists()
    n = len(public_items(student_copy))
    assert f"0 of {n} public items pass." in run.output  # the released tests ran, on the starter


def test_local_refuses_a_course_lookalike_folder_unless_it_is_the_trusted_course(tmp_path, monkeypatch, mark):
    """assignments/<name>/ works in the course repository because its tests are the course's own;
    a folder that only looks like a course (a submission holding rubrics/ and assignments/) is not."""
    root = tmp_path / "alice" / "course"
    for part in ("assignments", "rubrics"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    genuine = (root / "assignments" / "layers" / "tests" / "test_layers_public.py").read_bytes()
    shutil.copyfile(HOSTILE_TEST, root / "assignments" / "layers" / "tests" / "test_layers_public.py")
    monkeypatch.delenv("NNGRADE_COURSE", raising=False)
    monkeypatch.chdir(root / "assignments" / "layers")
    run = grade_local()
    assert run.exit_code == 2, run.output
    assert not mark.exists()
    assert "NNGRADE_COURSE" in run.output and "--public-only" in run.output

    (root / "assignments" / "layers" / "tests" / "test_layers_public.py").write_bytes(genuine)
    monkeypatch.setenv("NNGRADE_COURSE", str(root))  # the course staff say it is their course
    trusted = grade_local("--sandbox", "subprocess")
    assert trusted.exit_code == 0, trusted.output
    assert "public items pass." in trusted.output


def test_local_refuses_a_changed_support_file_that_the_public_tests_import(tmp_path, monkeypatch, mark):
    """mlp's public tests import mlp_data.py from the assignment folder, in the grader's process."""
    api.release(output=tmp_path / "release", assignments=["mlp"], course=REPO)
    folder = tmp_path / "release" / "mlp"
    shutil.copyfile(HOSTILE_TEST, folder / "mlp_data.py")
    monkeypatch.setenv("NNGRADE_COURSE", str(tmp_path / "no-course-here"))
    run = grade_local(folder)
    assert run.exit_code == 2, run.output
    assert not mark.exists()
    assert "mlp_data.py: changed since the release" in run.output


def test_local_refuses_a_public_rubric_that_names_files_outside_the_folder(student_copy, tmp_path):
    outside = tmp_path / "home" / "student" / "secret.txt"
    outside.write_text("the TA's notes")
    document = json.loads((student_copy / "public_rubric.json").read_text())
    document["released_sha256"]["../secret.txt"] = "0" * 64
    (student_copy / "public_rubric.json").write_text(json.dumps(document))
    run = grade_local()
    assert run.exit_code == 2, run.output
    assert "../secret.txt: public_rubric.json names a file outside the folder" in run.output
    assert outside.read_text() == "the TA's notes"


# -- choosing between layers.py and layers.ipynb -------------------------------------

def test_a_release_gives_the_starter_py_and_notebook_the_same_modification_time(layers_release):
    py, notebook = layers_release / "layers.py", layers_release / "layers.ipynb"
    assert py.stat().st_mtime_ns == notebook.stat().st_mtime_ns


def test_in_an_untouched_release_copy_grade_local_checks_the_py(student_copy):
    run = grade_local()
    assert "public tests of layers.py" in run.output, run.output
    assert "layers.ipynb changed after layers.py" not in run.output
    assert "neither layers.py nor layers.ipynb changed after the other" in run.output


@pytest.mark.parametrize("released_order", ["py_first", "notebook_first"])
def test_times_a_release_or_an_unzip_wrote_moments_apart_count_as_unchanged(student_copy, released_order):
    py, notebook = student_copy / "layers.py", student_copy / "layers.ipynb"
    first, second = (py, notebook) if released_order == "py_first" else (notebook, py)
    os.utime(first, ns=(1_700_000_000_000_000_000,) * 2)
    os.utime(second, ns=(1_700_000_000_900_000_000,) * 2)  # 0.9 s later: written by one tool, not edited
    assert local.choose_file(local.locate(student_copy)[0], None)[0].name == "layers.py"


def test_grade_local_checks_the_notebook_the_student_saved_last(student_copy):
    shutil.copyfile(REFERENCE, student_copy / "layers.py")
    os.utime(student_copy / "layers.py", ns=(1_700_000_000_000_000_000,) * 2)
    os.utime(student_copy / "layers.ipynb", ns=(1_700_000_100_000_000_000,) * 2)  # saved 100 s later
    assert local.choose_file(local.locate(student_copy)[0], None)[0].name == "layers.ipynb"


def test_a_time_in_the_future_is_not_one_the_students_editor_set(student_copy):
    future = time.time_ns() + 3600 * 10 ** 9  # a release built on a machine whose clock runs ahead
    os.utime(student_copy / "layers.ipynb", ns=(future, future))
    assert local.choose_file(local.locate(student_copy)[0], None)[0].name == "layers.py"


# -- which grader runs the tests: the one the release was made with, or a warning -------------

def record_grader(folder, **fields):
    """Make the release say another grader made it (the fields of public_rubric.json's "grader")."""
    path = folder / "public_rubric.json"
    document = json.loads(path.read_text())
    document["grader"].update(fields)
    path.write_text(json.dumps(document))


def test_grade_local_warns_when_it_is_not_the_grader_the_release_was_made_with_and_still_runs(student_copy):
    assert local.grader_notice(local.locate(student_copy)[0]) == ""  # the grader that made it: no warning
    record_grader(student_copy, version="0.0.9", fingerprint="0" * 64)
    run = grade_local()
    assert run.exit_code == 0, run.output  # a warning, not a refusal: the check is the student's, not a grade
    flat = " ".join(run.output.split())
    assert (f"Warning: This release was made with nngrade 0.0.9 (fingerprint 000000000000); you are running "
            f"nngrade {grader.__version__} (fingerprint {wheel.fingerprint()[:12]})") in flat
    assert f"run `pip install -r requirements.txt` in this folder ({student_copy.resolve()})" in flat
    assert flat.index("Warning: This release") < flat.index("public items pass")  # before the table, not lost
    # Same version number, other code: pip keeps an installed grader of the same version unless forced.
    record_grader(student_copy, version=grader.__version__)
    notice = local.grader_notice(local.locate(student_copy)[0])
    assert f"pip install --force-reinstall --no-deps wheels/nngrade-{grader.__version__}-py3-none-any.whl" in notice


def test_a_public_rubric_whose_grader_field_is_not_a_version_and_fingerprint_is_refused(student_copy):
    record_grader(student_copy, fingerprint="not a sha256")
    with pytest.raises(GraderError, match=r"\"grader\" is not the version and sha256 fingerprint.*download"):
        local.locate(student_copy)
