"""The result document of one graded submission (grader/result.py): scoring, feedback, atomic writing."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from grader import result, schema
from grader.plugin import Outcome
from grader.rubric import Item, Rubric


def small_rubric() -> Rubric:
    items = (
        Item(id="forward", title="forward: output", points=10, visibility="visible"),
        Item(id="backward", title="backward: dx", points=15, visibility="visible"),
        Item(id="unchanged", title="inputs unchanged", points=5, visibility="hidden"),
    )
    return Rubric(path=Path("rubrics/demo/rubric.json"), assignment="demo", title="Demo", module="demo",
                  items=items, raw=b"{}")


PROVENANCE = {"assignment": "demo", "submission": "demo.py", "submission_sha256": "ab" * 32,
              "rubric_sha256": "cd" * 32, "seed": 1234, "sandbox": "subprocess", "worker_restarts": 0}


def passed(item: str, n: int = 1) -> list[Outcome]:
    return [Outcome(f"test_{item}.py::test_{k}", item, "passed") for k in range(n)]


def all_passing() -> list[Outcome]:
    return passed("forward", 2) + passed("backward", 3) + passed("unchanged", 1)


def build(outcomes, **kwargs) -> dict:
    document = result.build(rubric=small_rubric(), outcomes=outcomes, provenance=dict(PROVENANCE),
                            execution_time=kwargs.pop("execution_time", 1.23456), **kwargs)
    assert schema.errors("result", document) == []
    return document


def by_item(document: dict) -> dict:
    return {t["extra_data"]["item"]: t for t in document["tests"]}


# -- build ----------------------------------------------------------------------

def test_all_passing_outcomes_score_every_item():
    document = build(all_passing())
    assert document["score"] == 30
    assert document["output"] == "30/30 points"
    assert document["extra_data"]["status"] == "graded"
    assert document["extra_data"]["grader_errors"] == []
    assert document["extra_data"]["max_score"] == 30
    assert document["execution_time"] == 1.235
    assert [t["name"] for t in document["tests"]] == ["forward: output", "backward: dx", "inputs unchanged"]
    assert [t["number"] for t in document["tests"]] == ["1", "2", "3"]
    backward = by_item(document)["backward"]
    assert backward["status"] == "passed" and backward["score"] == 15 and backward["max_score"] == 15
    assert backward["output"] == "all 3 checks passed"
    assert backward["extra_data"] == {"item": "backward", "outcome": "passed", "checks": 3, "checks_passed": 3}
    assert by_item(document)["unchanged"]["visibility"] == "hidden"


def test_provenance_is_carried_into_extra_data():
    extra = build(all_passing())["extra_data"]
    for key, value in PROVENANCE.items():
        assert extra[key] == value
    assert extra["schema_version"] == result.SCHEMA_VERSION == 2


def test_item_passes_only_if_all_its_outcomes_passed():
    outcomes = all_passing()
    outcomes[3] = Outcome(outcomes[3].nodeid, "backward", "failed", "dx: 1 of 12 entries differ")
    backward = by_item(build(outcomes))["backward"]
    assert backward["status"] == "failed" and backward["score"] == 0
    assert backward["extra_data"] == {"item": "backward", "outcome": "failed", "checks": 3, "checks_passed": 2}
    assert backward["output"] == "dx: 1 of 12 entries differ"


def test_one_student_failure_zeroes_that_item_only():
    outcomes = all_passing() + [Outcome("t::extra", "forward", "failed", "out: wrong shape")]
    document = build(outcomes)
    tests = by_item(document)
    assert tests["forward"]["score"] == 0
    assert tests["backward"]["score"] == 15 and tests["unchanged"]["score"] == 5
    assert document["score"] == 20
    assert document["output"] == "20/30 points"
    assert document["extra_data"]["status"] == "graded"


def test_grader_error_outcome_is_reported_as_grader_error_not_as_student_failure():
    outcomes = passed("forward") + passed("backward", 2) + [
        Outcome("t::broken", "backward", "grader_error", "t::broken (call) raised KeyError: 'x'")]
    outcomes += passed("unchanged")
    document = build(outcomes)
    backward = by_item(document)["backward"]
    assert backward["extra_data"]["outcome"] == "grader_error"
    assert backward["output"] == result.GRADER_ERROR_NOTE
    assert "not your fault" in backward["output"]
    assert document["extra_data"]["status"] == "grader_error"
    assert document["extra_data"]["grader_errors"] == ["t::broken (call) raised KeyError: 'x'"]
    assert result.GRADER_ERROR_NOTE in document["output"]
    # The other items are scored normally, and none is marked as the student's failure.
    assert by_item(document)["forward"]["score"] == 10
    assert [t["extra_data"]["outcome"] for t in document["tests"]] == ["passed", "grader_error", "passed"]


def test_grader_error_without_an_item_is_listed_for_staff():
    outcomes = all_passing() + [Outcome("t::unmarked", None, "grader_error", "t::unmarked must carry an item")]
    document = build(outcomes)
    assert document["score"] == 30
    assert document["extra_data"]["status"] == "grader_error"
    assert document["extra_data"]["grader_errors"] == ["t::unmarked must carry an item"]


def test_item_with_no_tests_is_a_grader_error():
    document = build(passed("forward") + passed("backward"))
    unchanged = by_item(document)["unchanged"]
    assert unchanged["extra_data"] == {"item": "unchanged", "outcome": "grader_error", "checks": 0,
                                       "checks_passed": 0}
    assert unchanged["score"] == 0
    assert document["extra_data"]["status"] == "grader_error"
    assert document["extra_data"]["grader_errors"] == ["item 'unchanged': no test ran for it"]


def test_grader_errors_passed_in_are_kept():
    document = build(all_passing(), grader_errors=["reference solution failed to import"])
    assert document["extra_data"]["status"] == "grader_error"
    assert document["extra_data"]["grader_errors"] == ["reference solution failed to import"]


def test_submission_problem_zeroes_every_item_and_appears_in_the_output():
    problem = "the submission has no demo.py (it contains: notes.txt)"
    document = build(all_passing(), submission_problem=problem)
    assert document["score"] == 0
    assert document["output"] == f"0/30 points. Your submission could not be graded: {problem}"
    for test in document["tests"]:
        assert test["score"] == 0 and test["status"] == "failed"
        assert test["output"] == problem
        assert test["extra_data"]["outcome"] == "failed"
    assert document["extra_data"]["status"] == "submission_error"  # a TA can filter on it


def test_submission_problem_with_no_tests_run_is_not_a_grader_error():
    document = build([], submission_problem="layers.py does not compile")
    assert document["extra_data"]["status"] == "submission_error"
    assert document["extra_data"]["grader_errors"] == []


def test_repeated_identical_messages_are_shown_once_with_a_count():
    same = "dx: 3 of 12 entries differ; worst at [0, 1]"
    outcomes = [Outcome(f"t::dx{k}", "backward", "failed", same) for k in range(4)]
    outcomes += [Outcome("t::dw", "backward", "failed", "dw: expected shape (3,), got shape (1, 3)")]
    outcomes += passed("backward", 1) + passed("forward") + passed("unchanged")
    output = by_item(build(outcomes))["backward"]["output"]
    assert output.count(same) == 1
    assert output == (f"{same}\n    (in 4 of 6 checks)\n"
                      "dw: expected shape (3,), got shape (1, 3)")


def test_at_most_three_distinct_messages_are_shown():
    outcomes = [Outcome(f"t::f{k}", "forward", "failed", f"message {k}") for k in range(5)]
    output = by_item(build(outcomes + passed("backward") + passed("unchanged")))["forward"]["output"]
    assert output.splitlines() == ["message 0", "message 1", "message 2",
                                   "... and 2 more failing checks like these"]


def test_printed_output_of_a_failing_check_is_shown_with_its_message():
    outcomes = [Outcome("t::f", "forward", "failed", "out: wrong", printed="debug: 42")]
    output = by_item(build(outcomes + passed("backward") + passed("unchanged")))["forward"]["output"]
    assert output == "out: wrong\n    your code printed: debug: 42"


# -- write ----------------------------------------------------------------------

def test_written_document_validates_and_is_pretty_json(tmp_path):
    document = build(all_passing())
    path = tmp_path / "out" / "results.json"
    result.write(path, document)
    text = path.read_text("utf-8")
    assert json.loads(text) == document
    assert schema.errors("result", json.loads(text)) == []
    assert text.startswith('{\n  "score": 30,\n')
    assert text.endswith("}\n")
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old")
    result.write(path, build(all_passing()))
    assert json.loads(path.read_text())["score"] == 30


def _with_nan(where: str) -> dict:
    document = build(all_passing())
    if where == "execution_time":
        document["execution_time"] = math.nan
    elif where == "test score":
        document["tests"][1]["score"] = math.nan
    elif where == "max_score":
        document["extra_data"]["max_score"] = math.inf
    return document


@pytest.mark.parametrize("where", ["execution_time", "test score", "max_score"])
def test_nan_anywhere_makes_write_fail_leaving_existing_file_untouched(tmp_path, where):
    document = _with_nan(where)
    path = tmp_path / "results.json"
    path.write_text("previous result\n")
    with pytest.raises(ValueError, match="not JSON compliant"):
        result.write(path, document)
    assert path.read_text() == "previous result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_nan_makes_write_fail_without_creating_the_file(tmp_path):
    path = tmp_path / "results.json"
    with pytest.raises(ValueError):
        result.write(path, _with_nan("execution_time"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("breakage", ["missing score", "negative score", "bad status", "extra key",
                                      "bad sha", "bad outcome"])
def test_document_failing_the_schema_is_refused_before_anything_is_written(tmp_path, breakage):
    document = copy.deepcopy(build(all_passing()))
    if breakage == "missing score":
        del document["score"]
    elif breakage == "negative score":
        document["score"] = -1
    elif breakage == "bad status":
        document["extra_data"]["status"] = "ok"
    elif breakage == "extra key":
        document["tests"][0]["weight"] = 1
    elif breakage == "bad sha":
        document["extra_data"]["rubric_sha256"] = "xyz"
    elif breakage == "bad outcome":
        document["tests"][2]["extra_data"]["outcome"] = "skipped"
    path = tmp_path / "sub" / "results.json"
    with pytest.raises(ValueError, match="result does not follow result.schema.json"):
        result.write(path, document)
    assert not path.exists()
    assert not any(tmp_path.rglob("*.tmp"))


def test_validate_names_the_pointer_of_each_violation():
    document = build(all_passing())
    document["tests"][1]["status"] = "maybe"
    with pytest.raises(ValueError) as info:
        result.validate(document)
    assert "/tests/1/status: 'maybe' is not one of" in str(info.value)


def test_failed_rename_leaves_no_temp_file_behind(tmp_path):
    path = tmp_path / "results.json"
    path.mkdir()  # os.replace cannot put a file over a directory
    (path / "keep").write_text("x")
    with pytest.raises(OSError):
        result.write(path, build(all_passing()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    assert (path / "keep").read_text() == "x"
