"""The bundled example submissions (examples/<assignment>/) grade as examples/README.md says:
one result per example, all valid and graded (no grader error, whatever the student did),
full marks exactly for the ones marked correct, each the score the table states, a recorded
timeout for the hanging ones."""

import json
import re
from pathlib import Path

import pytest
from conftest import REPO, SHORT_LIMITS

from grader import api, course, result

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

EXAMPLES = REPO / "examples"
KINDS = {"correct", "partly wrong", "crashing", "hanging", "hostile"}
# A table row: | `student` | `file` | kind | what it demonstrates | expected score |
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*([a-z ]+?)\s*\|.*\|\s*(\d+)\s*\|\s*$")


def test_the_examples_folder_is_a_folder_of_classes_one_per_assignment_of_the_course():
    """What the README's first command, `grade batch examples/ -o out`, grades: every class."""
    assert api.class_folders(submissions=EXAMPLES, course=REPO) == {name: EXAMPLES / name for name in course.names(REPO)}


def readme_rows(assignment: str) -> dict:
    """{student: (file, kind)} from the table under examples/README.md's "## <assignment>" heading."""
    text = (EXAMPLES / "README.md").read_text()
    section = re.search(rf"^## `?{assignment}`?\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"examples/README.md has no '## {assignment}' section"
    rows = {}
    for line in section.group(1).splitlines():
        match = ROW.match(line)
        if match:
            student, file, kind, score = match.groups()
            assert kind in KINDS, f"examples/README.md, {student}: unknown kind {kind!r}"
            assert student not in rows, f"examples/README.md lists {student} twice under {assignment}"
            rows[student] = (file, kind, int(score))
    return rows


def example_entries(assignment: str) -> dict:
    """{student id: path} as the plain-folder layout sees examples/<assignment>/."""
    folder = EXAMPLES / assignment
    return {p.name.removesuffix(".py").removesuffix(".zip"): p
            for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


@pytest.mark.parametrize("assignment", ["layers", "losses", "optim", "mlp"])
def test_examples_grade_as_the_examples_readme_says(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("NNGRADE_COURSE_SECRET", "examples-course-secret")
    entries = example_entries(assignment)
    rows = readme_rows(assignment)
    assert len(entries) >= 20
    assert sorted(rows) == sorted(entries), "examples/README.md's table and the example files disagree"
    for student, (file, _, _) in rows.items():
        assert entries[student].name == file.rstrip("/"), f"{student}: README names {file}"

    out = tmp_path / "out"
    summary = api.batch(submissions=EXAMPLES / assignment, assignment=assignment, output=out,
                        course=REPO, limits=SHORT_LIMITS, jobs=2)

    documents = {p.name.removesuffix(".json"): json.loads(p.read_text())
                 for p in (out / "results").glob("*.json")}
    assert sorted(documents) == sorted(entries)
    assert summary.total == len(entries) and summary.grader_errors == 0
    for student, document in documents.items():
        result.validate(document)
        extra = document["extra_data"]
        # Nothing could be graded (a crash, exit or hang at import): the student's doing, and a
        # status a TA can filter on. The README's "at import" names say which ones those are.
        at_import = "at_import" in student or student.startswith(("ken_", "anita_"))
        expected_status = "submission_error" if at_import else "graded"
        assert extra["status"] == expected_status, f"{student}: {extra['status']}: {extra.get('grader_errors')}"
        assert extra["student_id"] == student
        _, kind, expected_score = rows[student]
        assert document["score"] == expected_score, f"{student}: README says {expected_score}, graded {document['score']}"
        full = document["score"] == extra["max_score"]
        if kind == "correct":
            lost = [t["extra_data"]["item"] for t in document["tests"] if t["score"] < t["max_score"]]
            assert full, f"{student} is marked correct but scored {document['score']}: lost {lost}"
        else:
            assert not full, f"{student} ({kind}) got full marks"
        if kind == "hanging":
            assert extra["worker_timeouts"] > 0, f"{student} is marked hanging but nothing timed out"
    assert summary.timeouts >= sum(kind == "hanging" for _, kind, _ in rows.values())
    for name in ("summary.json", "grades.csv", "report.html"):
        assert (out / name).is_file(), f"{name} was not written"
