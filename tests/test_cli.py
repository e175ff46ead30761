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


def test_grade_validate_grades_the_reference_at_every_seed_asked_for():
    run = invoke("validate", "-a", "losses", "--timeout", 2, "--seed", 40, "--seeds", 3)
    assert run.exit_code == 0, run.output
    assert "[ok] reference solution gets full marks: 3 of 3 seeds (40..42)" in run.output


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


# --- Issue 11: an operator's mistake is a usage error (exit 2, one line, no result), never a zero.

LMS = FIXTURES / "lms"


def _one_line_error(run):
    lines = [line for line in run.stderr.splitlines() if not line.startswith(("course:", "warning:"))]
    return len(lines) == 1 and "rror" in lines[0]


def test_grade_run_on_a_path_that_does_not_exist_is_a_usage_error_and_writes_no_result(tmp_path):
    out = tmp_path / "result.json"
    run = CliRunner().invoke(main, ["run", str(tmp_path / "missing.py"), "-a", "layers", "-o", str(out)])
    assert run.exit_code == 2 and "does not exist" in run.output
    assert not out.exists()


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_a_usage_error(tmp_path, timeout):
    out = tmp_path / "result.json"
    for command in (["run", str(REFERENCE), "-a", "layers", "-o", str(out)],
                    ["batch", str(tmp_path), "-a", "layers", "-o", str(tmp_path / "out")]):
        run = CliRunner().invoke(main, [*command, "--timeout", timeout])
        assert run.exit_code == 2 and "not a positive number of seconds" in run.output, run.output
    assert not out.exists() and not (tmp_path / "out").exists()


def test_the_api_refuses_a_missing_submission_and_a_zero_timeout_too(tmp_path):
    from grader import api
    from grader.limits import DEFAULT_LIMITS

    with pytest.raises(api.UsageError, match="does not exist"):
        api.run(submission=tmp_path / "missing.py", assignment="layers", course=REPO)
    with pytest.raises(api.UsageError, match="call_timeout must be a positive number"):
        api.run(submission=REFERENCE, assignment="layers", course=REPO, limits=DEFAULT_LIMITS.replace(call_timeout=0))


@pytest.mark.parametrize("download", ["empty zip", "empty folder", "gradescope metadata matching no folder"])
def test_a_batch_that_finds_no_submission_stops_with_one_line_and_writes_nothing(tmp_path, download):
    import zipfile

    if download == "empty zip":
        path = tmp_path / "empty.zip"
        zipfile.ZipFile(path, "w").close()
    elif download == "empty folder":
        path = tmp_path / "empty"
        path.mkdir()
    else:
        path = LMS / "gradescope_metadata_matches_no_folder"
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(path), "-a", "layers", "-o", str(out), "--course", str(REPO)])
    assert run.exit_code == 2, run.output
    assert "no submission found" in run.stderr and _one_line_error(run), run.stderr
    assert "0 students" not in run.output
    assert not out.exists()


def test_a_batch_into_a_folder_holding_an_earlier_batch_is_refused_without_resume_or_force(tmp_path):
    (tmp_path / "class").mkdir()
    shutil.copyfile(STARTER, tmp_path / "class" / "frank.py")
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)
    (out / "results" / "someone_from_another_class.json").write_text("{}")
    run = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "-a", "layers", "-o", str(out),
                                    "--course", str(REPO)])
    assert run.exit_code == 2 and "already holds 1 results of an earlier batch" in run.stderr
    assert _one_line_error(run) and "--force" in run.stderr
    assert sorted(p.name for p in (out / "results").iterdir()) == ["someone_from_another_class.json"]


def test_force_removes_only_the_outputs_an_earlier_batch_wrote(tmp_path):
    from grader import batch

    out = tmp_path / "out"
    for folder in ("results", "resume"):
        (out / folder).mkdir(parents=True)
        (out / folder / "old.json").write_text("{}")
    for name in ("grades.csv", "summary.json", "report.html", "changes.csv", "my_notes.txt"):
        (out / name).write_text("x")
    notes = batch._prepare_outdir(out, resume=False, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["my_notes.txt"]
    assert "removed the earlier batch outputs" in notes[0]
    assert batch._prepare_outdir(out, resume=True, force=False) == [], "--resume continues in place"


def test_every_command_says_which_course_it_uses_on_its_first_line(tmp_path, monkeypatch):
    monkeypatch.delenv(course.ENV_COURSE, raising=False)
    run = CliRunner().invoke(main, ["run", str(REFERENCE), "-a", "nope", "--course", str(REPO)])
    assert run.stderr.splitlines()[0] == f"course: {REPO} (given with --course)"
    monkeypatch.chdir(tmp_path)  # no course here or above: the grader's own checkout, said loudly
    for command in (["run", str(REFERENCE), "-a", "nope"], ["validate", "-a", "nope"],
                    ["batch", str(tmp_path), "-a", "nope", "-o", str(tmp_path / "out")],
                    ["release", "-a", "nope", "-o", str(tmp_path / "release")]):
        run = CliRunner().invoke(main, command)
        first = run.stderr.splitlines()[0]
        assert first.startswith(f"warning: course: {REPO} (NOT a course you chose"), (command, run.stderr)
        assert str(tmp_path) in first


def test_without_a_course_and_outside_a_checkout_there_is_no_silent_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv(course.ENV_COURSE, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(course, "__file__", str(tmp_path / "site-packages" / "grader" / "course.py"))
    with pytest.raises(course.GraderError, match="no course folder: give --course"):
        course.locate()
    with pytest.warns(course.CourseWarning, match="NOT a course you chose"):
        monkeypatch.undo()
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv(course.ENV_COURSE, raising=False)
        assert course.find_root() == REPO
