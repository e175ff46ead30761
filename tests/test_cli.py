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


# --- One error policy: every command's exit codes come from one table (grader/error.py).

from grader import api, error  # noqa: E402


def test_grade_help_prints_the_exit_code_table_and_the_readme_lists_the_same_codes():
    run = invoke("--help")
    assert run.exit_code == 0
    for line in error.exit_table().splitlines():
        assert line in run.output, line
    assert {int(code) for code in error.Exit} == {0, 1, 2, 3, 130}
    readme = (REPO / "README.md").read_text().split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1].strip() for line in readme.splitlines()
            if line.startswith("| ") and not line.startswith("| code")]
    assert rows == [str(int(code)) for code in error.Exit]


def test_the_error_hierarchy_has_one_root_and_keeps_the_old_names():
    from grader import failure, layout

    assert failure.GraderError is error.GraderError and api.UsageError is error.UsageError
    for cls in (error.GraderFault, error.SandboxUnavailable, error.UsageError, layout.LayoutError):
        assert issubclass(cls, error.GraderError)
    assert issubclass(api.UsageError, ValueError) and issubclass(layout.LayoutError, api.UsageError)
    assert issubclass(error.SandboxUnavailable, RuntimeError)  # what choose_backend raised before it existed


@pytest.mark.parametrize("raised,code,label", [
    (error.UsageError("the thing you gave is wrong"), 2, "usage error"),
    (error.GraderError("the rubric is broken"), 1, "grader error"),
    (error.GraderFault("the rubric is broken"), 1, "grader error"),
    (error.SandboxUnavailable("bwrap cannot start here"), 1, "grader error"),
])
def test_an_error_raised_by_any_command_exits_with_its_code_and_one_line_saying_whose(monkeypatch, raised, code,
                                                                                       label):
    def fail(**_):
        raise raised

    monkeypatch.setattr(api, "validate", fail)
    run = CliRunner().invoke(main, ["validate", "-a", "layers", "--course", str(REPO)], catch_exceptions=False)
    assert run.exit_code == code
    assert run.stderr.splitlines()[-1] == f"{label}: {raised}" and "Traceback" not in run.output


def test_a_grader_fault_exits_1_saying_grader_error():
    run = CliRunner().invoke(main, ["run", str(REFERENCE), "-a", "nope", "--course", str(REPO)])
    assert run.exit_code == 1
    assert run.stderr.splitlines()[-1].startswith("grader error: no assignment 'nope' in the course at")


def test_a_usage_error_exits_2_saying_usage_error_and_nothing_is_written(tmp_path):
    (tmp_path / "class").mkdir()
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "-a", "layers", "-o", str(out),
                                    "--course", str(REPO)])
    assert run.exit_code == 2
    assert run.stderr.splitlines()[-1].startswith("usage error: ") and "no submission found" in run.stderr
    assert not out.exists()


def test_ctrl_c_inside_a_command_exits_130_saying_interrupted_without_a_traceback(monkeypatch):
    def interrupted(**_):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "validate", interrupted)
    run = CliRunner().invoke(main, ["validate", "-a", "layers", "--course", str(REPO)], catch_exceptions=False)
    assert run.exit_code == 130
    assert run.stderr.splitlines()[-1] == "interrupted" and "Traceback" not in run.output


def test_nothing_in_the_grader_imports_the_cli_modules():
    import ast

    cli_modules = {"grader.cli", "grader.commands", "grader.options"}
    for path in (REPO / "grader").rglob("*.py"):
        if path.parent == REPO / "grader" and (f"grader.{path.stem}" in cli_modules or path.name == "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported = {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                continue
            assert not imported & cli_modules, f"{path.relative_to(REPO)}, line {node.lineno}"


# --- A folder of classes: `grade batch examples/ -o out` grades each assignment's class.

def _classes(tmp_path):
    classes = tmp_path / "classes"
    for assignment, students in {"layers": ["ada_correct_vectorized.py", "ken_syntax_error.py"],
                                 "losses": ["ada_correct_vectorized.py", "anita_error_at_import.py"]}.items():
        (classes / assignment).mkdir(parents=True)
        for student in students:
            shutil.copyfile(REPO / "examples" / assignment / student, classes / assignment / student)
    (classes / "README.md").write_text("not a class: files beside the classes are ignored\n")
    return classes


def test_batch_without_an_assignment_grades_a_folder_of_classes_each_into_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NNGRADE_COURSE_SECRET", raising=False)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(_classes(tmp_path)), "-o", str(out), "--course", str(REPO),
                                    "--timeout", "1.5", "--sandbox", "subprocess", "-j", "2"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    for assignment in ("layers", "losses"):
        scores = {p.stem: json.loads(p.read_text())["score"] for p in (out / assignment / "results").glob("*.json")}
        assert scores == {"ada_correct_vectorized": 100, "ken_syntax_error" if assignment == "layers"
                          else "anita_error_at_import": 0}
        assert (out / assignment / "grades.csv").is_file() and (out / assignment / "report.html").is_file()
        assert f"{assignment}: 2 students (folder layout): 1 graded, 1 submission errors" in run.stdout
    assert "total: 2 classes, 4 students: 2 graded, 2 submission errors, 0 grader errors" in run.stdout
    assert run.stderr.count("no course secret") == 1, run.stderr


def test_a_folder_of_classes_with_a_folder_named_after_no_assignment_is_refused_before_grading(tmp_path):
    classes = _classes(tmp_path)
    (classes / "layer").mkdir()  # a misspelt class would otherwise go ungraded unnoticed
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(classes), "-o", str(out), "--course", str(REPO)])
    assert run.exit_code == 2
    assert run.stderr.splitlines()[-1].startswith(f"usage error: {classes}: layer named after no assignment")
    assert not out.exists()


def test_batch_without_an_assignment_on_one_class_says_to_give_it(tmp_path):
    (tmp_path / "class").mkdir()
    shutil.copyfile(STARTER, tmp_path / "class" / "frank.py")
    run = CliRunner().invoke(main, ["batch", str(tmp_path / "class"), "-o", str(tmp_path / "out"),
                                    "--course", str(REPO)])
    assert run.exit_code == 2 and "is not a folder of classes" in run.stderr and "(-a)" in run.stderr


def test_batch_feedback_is_passed_to_the_batch_only_when_asked_for(tmp_path, monkeypatch):
    from grader import batch

    calls = []

    def fake_run(**kwargs):
        calls.append(kwargs)
        return batch.Summary(layout="folder", total=0)

    monkeypatch.setattr(batch, "run", fake_run)
    for flags in ([], ["--feedback"]):
        run = CliRunner().invoke(main, ["batch", str(tmp_path), "-a", "layers", "-o", str(tmp_path / "out"),
                                        "--course", str(REPO), "--secret-file", str(REFERENCE), *flags])
        assert run.exit_code == 0, run.output
    assert "feedback" not in calls[0] and calls[1]["feedback"] is True


# --- Authoring commands wired to their modules: `grade new`, `grade starter`.

def test_grade_new_creates_an_assignment_skeleton_and_refuses_one_that_exists(tmp_path):
    for folder in ("rubrics", "assignments", "solutions"):
        (tmp_path / folder).mkdir()
    run = CliRunner().invoke(main, ["new", "scale", "--course", str(tmp_path)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert (tmp_path / "rubrics" / "scale" / "rubric.json").is_file() and "created " in run.output
    again = CliRunner().invoke(main, ["new", "scale", "--course", str(tmp_path)], catch_exceptions=False)
    assert again.exit_code == 2 and "usage error: " in again.stderr and "exists already" in again.stderr


def test_grade_starter_writes_or_checks_the_starter_of_the_assignment_it_names(tmp_path, monkeypatch):
    import types

    import grader

    seen = []
    fake = types.SimpleNamespace(
        write=lambda assignment: seen.append(("write", assignment.name)) or [tmp_path / "a.py"],
        check=lambda assignment: seen.append(("check", assignment.name)) or ["a.py: out of date"])
    monkeypatch.setitem(sys.modules, "grader.starter", fake)  # never the real one: it would write into the course
    monkeypatch.setattr(grader, "starter", fake, raising=False)
    wrote = CliRunner().invoke(main, ["starter", "-a", "layers", "--course", str(REPO)], catch_exceptions=False)
    assert wrote.exit_code == 0 and f"wrote {tmp_path / 'a.py'}" in wrote.output
    checked = CliRunner().invoke(main, ["starter", "-a", "layers", "--check", "--course", str(REPO)],
                                 catch_exceptions=False)
    assert checked.exit_code == 1 and "a.py: out of date" in checked.output
    assert seen == [("write", "layers"), ("check", "layers")]
