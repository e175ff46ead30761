"""Grading one submission end to end through the API: scores, provenance, grader faults."""

import hashlib
import json
import shutil
import sys
import zipfile

import pytest
from conftest import REFERENCE, REPO, SHORT_LIMITS, STARTER, feedback, full_marks, scores, stage_fixture

from grader import api, course, result, starter
from grader.failure import GraderError

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


def grade(submission, **kwargs):
    kwargs.setdefault("limits", SHORT_LIMITS)
    kwargs.setdefault("seed", 11)
    kwargs.setdefault("assignment", "layers")
    return api.run(submission=submission, **kwargs)


@pytest.fixture
def course_copy(tmp_path):
    """A private copy of the course, free to break."""
    root = tmp_path / "course"
    for folder in ("assignments", "solutions", "rubrics"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_reference_solution_gets_full_marks_and_a_valid_result(tmp_path):
    out = tmp_path / "result.json"
    document = grade(REFERENCE, output=out)
    assert document["score"] == document["extra_data"]["max_score"] == 100
    assert all(t["status"] == "passed" for t in document["tests"])
    assert json.loads(out.read_text()) == document
    result.validate(json.loads(out.read_text()))


def test_starter_gets_zero_and_every_item_says_not_implemented():
    document = grade(STARTER)
    assert document["score"] == 0 and document["extra_data"]["status"] == "graded"
    for test in document["tests"]:
        assert "not implemented yet" in test["output"], test


def test_result_records_provenance_seed_and_hashes():
    document = grade(REFERENCE, seed=424242)
    extra = document["extra_data"]
    assert extra["seed"] == 424242
    assert extra["submission_sha256"] == hashlib.sha256(REFERENCE.read_bytes()).hexdigest()
    assert extra["assignment"] == "layers" and len(extra["rubric_sha256"]) == 64
    assert extra["sandbox"] in ("bwrap", "subprocess")
    assert document["execution_time"] > 0


def test_zip_and_folder_submissions_grade_like_the_file(tmp_path):
    bug = (REPO / "tests" / "fixtures" / "layers" / "buggy_affine_backward_dw_times_n.py").read_text()
    folder = tmp_path / "student" / "hw"
    folder.mkdir(parents=True)
    (folder / "layers.py").write_text(bug)
    shutil.copyfile(REFERENCE, folder / "correct_layers.py")
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "layers.py", "hw/layers.py")
        zf.write(folder / "correct_layers.py", "hw/correct_layers.py")
    from_folder = grade(tmp_path / "student")
    from_zip = grade(archive)
    assert scores(from_folder) == scores(from_zip)
    assert scores(from_zip)["affine_backward_dw"] == 0
    assert from_zip["score"] == from_zip["extra_data"]["max_score"] - full_marks(from_zip)["affine_backward_dw"]


def test_same_seed_gives_the_same_inputs_and_another_seed_other_inputs(tmp_path):
    folder = stage_fixture("buggy_affine_backward_dw_times_n.py", tmp_path)
    first = feedback(grade(folder, seed=5), "affine_backward_dw")
    assert feedback(grade(folder, seed=5), "affine_backward_dw") == first
    assert feedback(grade(folder, seed=6), "affine_backward_dw") != first


def test_a_missing_submission_is_a_usage_error_not_a_zero(tmp_path):
    """An operator's typo must not become a student's 0 (see test_cli for the exit code)."""
    with pytest.raises(api.UsageError, match="does not exist"):
        grade(tmp_path / "nothing_here.py")


def test_submission_without_the_module_names_what_it_found(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "layer.py").write_text("x = 1\n")
    document = grade(tmp_path / "sub")
    assert "has no layers.py (it contains: layer.py)" in document["output"]


def test_a_hidden_test_that_breaks_is_a_grader_error_not_the_students_zero(course_copy):
    (course_copy / "rubrics" / "layers" / "tests" / "test_broken.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.item('relu_forward')\n"
        "def test_broken(student, ref):\n"
        "    ref.no_such_function()\n")
    document = grade(REFERENCE, course=course_copy)
    relu = next(t for t in document["tests"] if t["extra_data"]["item"] == "relu_forward")
    assert relu["extra_data"]["outcome"] == "grader_error"
    assert "GRADER ERROR (not your fault" in relu["output"]
    assert document["extra_data"]["status"] == "grader_error"
    assert any("test_broken" in e and "AttributeError" in e for e in document["extra_data"]["grader_errors"])
    result.validate(document)


def test_a_test_without_an_item_marker_is_a_grader_error(course_copy):
    (course_copy / "rubrics" / "layers" / "tests" / "test_unmarked.py").write_text(
        "def test_unmarked(student):\n    assert True\n")
    document = grade(REFERENCE, course=course_copy)
    assert document["extra_data"]["status"] == "grader_error"
    assert any("must carry exactly one @pytest.mark.item" in e for e in document["extra_data"]["grader_errors"])


def test_a_test_file_that_does_not_import_is_a_grader_error(course_copy):
    (course_copy / "rubrics" / "layers" / "tests" / "test_typo.py").write_text("import numpyy\n")
    document = grade(REFERENCE, course=course_copy)
    assert document["extra_data"]["status"] == "grader_error"
    assert any("numpyy" in e for e in document["extra_data"]["grader_errors"])


def test_a_broken_reference_solution_is_a_grader_error(course_copy):
    (course_copy / "solutions" / "layers" / "layers.py").write_text("raise RuntimeError('oops')\n")
    document = grade(REFERENCE, course=course_copy)
    assert document["extra_data"]["status"] == "grader_error"
    assert document["score"] == 0
    assert any("reference solution" in e for e in document["extra_data"]["grader_errors"])


def test_rubric_hash_changes_when_a_hidden_test_changes(course_copy):
    before = grade(REFERENCE, course=course_copy)["extra_data"]["rubric_sha256"]
    hidden = course_copy / "rubrics" / "layers" / "tests" / "test_layers_hidden.py"
    hidden.write_text(hidden.read_text() + "\n# changed\n")
    assert grade(REFERENCE, course=course_copy)["extra_data"]["rubric_sha256"] != before


def test_unknown_assignment_raises_a_grader_error_naming_the_known_ones():
    with pytest.raises(GraderError, match="known: layers"):
        grade(REFERENCE, assignment="convnets")


def test_feedback_for_a_wrong_gradient_names_it_and_localizes_the_error(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    source = REFERENCE.read_text().replace("dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T.T * -1")
    assert source != REFERENCE.read_text()
    (folder / "layers.py").write_text(source)
    document = grade(folder)
    text = feedback(document, "affine_backward_dw")
    assert text.startswith("dw: ") and "worst at [" in text and "expected" in text
    assert "wrong sign" in text
    assert scores(document)["affine_backward_dx"] == full_marks(document)["affine_backward_dx"]


def test_validate_passes_for_layers():
    checks = api.validate(assignment="layers", limits=SHORT_LIMITS, seed=3)
    assert [c.name for c in checks if not c.ok] == []
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                         "every rubric item has tests"}


def test_validate_reports_an_item_without_tests_by_its_json_pointer(course_copy):
    rubric_path = course_copy / "rubrics" / "layers" / "rubric.json"
    rubric = json.loads(rubric_path.read_text())
    rubric["items"].append({"id": "softmax_extra", "title": "softmax_extra", "points": 0, "visibility": "visible"})
    rubric_path.write_text(json.dumps(rubric))
    checks = {c.name: c for c in api.validate(assignment="layers", course=course_copy, limits=SHORT_LIMITS)}
    assert not checks["every rubric item has tests"].ok
    assert f"/items/{len(rubric['items']) - 1}/id (softmax_extra)" in checks["every rubric item has tests"].detail


def test_files_attached_by_a_test_are_saved_beside_the_result(course_copy, tmp_path):
    (course_copy / "rubrics" / "layers" / "tests" / "test_attach.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.item('relu_forward')\n"
        "def test_attach(student, artifacts):\n"
        "    artifacts.add('curves.txt', 'epoch 1: loss 0.5')\n"
        "    artifacts.add('plot.png', b'\\x89PNG fake')\n")
    out = tmp_path / "results" / "ada.json"
    document = grade(REFERENCE, course=course_copy, output=out)
    assert document["extra_data"]["artifacts"] == ["ada.curves.txt", "ada.plot.png"]
    assert (out.parent / "ada.curves.txt").read_text() == "epoch 1: loss 0.5"
    assert (out.parent / "ada.plot.png").read_bytes() == b"\x89PNG fake"
    result.validate(json.loads(out.read_text()))


def test_an_artifact_with_a_path_in_its_name_is_a_grader_error(course_copy, tmp_path):
    (course_copy / "rubrics" / "layers" / "tests" / "test_attach.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.item('relu_forward')\n"
        "def test_attach(student, artifacts):\n"
        "    artifacts.add('../escape.txt', 'x')\n")
    document = grade(REFERENCE, course=course_copy, output=tmp_path / "r.json")
    assert document["extra_data"]["status"] == "grader_error"
    assert not (tmp_path.parent / "escape.txt").exists()


def _course_with_an_assignment_that_requires_layers(root):
    (root / "rubrics" / "net" / "tests").mkdir(parents=True)
    (root / "solutions" / "net").mkdir(parents=True)
    (root / "assignments" / "net").mkdir(parents=True)
    (root / "rubrics" / "net" / "rubric.json").write_text(json.dumps({
        "schema_version": 1, "assignment": "net", "title": "net", "module": "net", "requires": ["layers"],
        "items": [{"id": "double_relu", "title": "double_relu", "points": 1, "visibility": "visible"}]}))
    (root / "rubrics" / "net" / "tests" / "test_net.py").write_text(
        "import numpy as np\nimport pytest\nfrom grader.comparison import check_array\n\n"
        "@pytest.mark.item('double_relu')\n"
        "def test_double_relu(student, ref, rng):\n"
        "    x = rng.standard_normal((3, 4))\n"
        "    check_array(student.double_relu(x), ref.double_relu(x), name='out')\n")
    (root / "solutions" / "net" / "net.py").write_text(
        "from layers import relu_forward\n\n\ndef double_relu(x):\n    # BEGIN SOLUTION\n"
        "    return 2 * relu_forward(x)[0]\n    # END SOLUTION\n")
    starter.write(course.load(root, "net"))  # assignments/net/net.py and net.ipynb, from the solution


def test_an_assignment_can_require_the_students_own_earlier_modules(course_copy, tmp_path):
    _course_with_an_assignment_that_requires_layers(course_copy)
    checks = api.validate(assignment="net", course=course_copy, limits=SHORT_LIMITS, seed=1)
    assert [c.name for c in checks if not c.ok] == []
    student = tmp_path / "student"
    student.mkdir()
    shutil.copyfile(course_copy / "solutions" / "net" / "net.py", student / "net.py")
    lonely = grade(student, assignment="net", course=course_copy)
    assert lonely["score"] == 0 and "No module named 'layers'" in lonely["output"]
    (student / "layers.py").write_text("import numpy as np\n\ndef relu_forward(x):\n    return np.abs(x), x\n")
    wrong_layers = grade(student, assignment="net", course=course_copy)
    assert wrong_layers["score"] == 0 and "entries differ" in wrong_layers["tests"][0]["output"]
    shutil.copyfile(REFERENCE, student / "layers.py")
    assert grade(student, assignment="net", course=course_copy)["score"] == 1
    assert "layers" not in sys.modules
