"""The `grade` command as users run it: tables, JSON files, exit codes."""

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, REFERENCE, REPO, STARTER, stage_fixture

from grader import course, release, result
from grader.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("submission,score", [(REFERENCE, 100), (STARTER, 0)])
def test_grade_run_prints_the_table_writes_valid_json_and_exits_zero(tmp_path, submission, score):
    out = tmp_path / "result.json"
    run = invoke("run", submission, "-a", "layers", "-o", out, "--seed", 1, "--timeout", 2)
    assert run.exit_code == 0, run.output
    assert "affine_backward: dw" in run.output and f"score: {score}/100" in run.output
    document = json.loads(out.read_text())
    result.validate(document)
    assert document["score"] == score


def test_grade_run_on_the_dw_bug_shows_only_dw_failing(tmp_path):
    folder = stage_fixture("buggy_affine_backward_dw_times_n.py", tmp_path)
    out = tmp_path / "result.json"
    run = invoke("run", folder, "-a", "layers", "-o", out, "--timeout", 2)
    assert run.exit_code == 0
    failing = [line for line in run.output.splitlines() if line.rstrip().endswith("FAIL")]
    assert len(failing) == 1 and "affine_backward: dw" in failing[0]
    document = json.loads(out.read_text())
    dw = next(t for t in document["tests"] if t["extra_data"]["item"] == "affine_backward_dw")
    assert f"score: {100 - dw['max_score']:g}/100" in run.output
    result.validate(json.loads(out.read_text()))


def test_grade_run_unknown_assignment_is_a_grader_error_with_exit_code_1():
    run = CliRunner().invoke(main, ["run", str(REFERENCE), "-a", "nope"])
    assert run.exit_code == 1
    assert "no assignment 'nope'" in run.output


def test_grade_validate_passes_for_layers_and_exits_zero():
    run = invoke("validate", "-a", "layers", "--timeout", 2)
    assert run.exit_code == 0, run.output
    assert "layers: valid" in run.output
    assert "[ok] reference solution gets full marks" in run.output


def test_installed_grade_command_runs(tmp_path):
    command = [shutil.which("grade")] if shutil.which("grade") else [sys.executable, "-m", "grader.cli"]
    out = tmp_path / "r.json"
    done = subprocess.run([*command, "run", str(REFERENCE), "-a", "layers", "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "score: 100/100" in done.stdout
    assert json.loads(out.read_text())["score"] == 100


def test_grade_run_public_only_grades_with_the_course_public_tests_never_the_submissions_own(tmp_path, monkeypatch):
    """What a TA runs instead of `grade local` on a student's folder (issue 9, gap 9)."""
    mark = tmp_path / "ran_as_the_grader.txt"
    monkeypatch.setenv("NNGRADE_TEST_MARK", str(mark))
    folder = tmp_path / "alice"
    (folder / "tests").mkdir(parents=True)
    shutil.copyfile(REFERENCE, folder / "layers.py")
    hostile = FIXTURES / "untrusted_folders" / "test_layers_public_runs_code_at_import.py"
    shutil.copyfile(hostile, folder / "tests" / "test_layers_public.py")
    (folder / "public_rubric.json").write_text('{"items": "whatever the student wrote"}')
    out = tmp_path / "alice.json"
    run = invoke("run", folder, "-a", "layers", "--public-only", "-o", out, "--seed", 1, "--timeout", 2,
                 "--sandbox", "subprocess")
    assert run.exit_code == 0, run.output
    assert not mark.exists()  # the submission's own tests never ran
    public = release.public_rubric(course.load(REPO, "layers"))["items"]
    document = json.loads(out.read_text())
    result.validate(document)
    assert [t["extra_data"]["item"] for t in document["tests"]] == [i["id"] for i in public]
    assert all(t["status"] == "passed" for t in document["tests"])
    assert document["score"] == document["extra_data"]["max_score"] == sum(i["points"] for i in public)
    assert document["output"].startswith("Public tests only: hidden tests did not run")
    assert "public tests only" in run.output.lower() and "hidden tests did not run" in run.output
