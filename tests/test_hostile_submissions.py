"""Broken and hostile submissions: each loses exactly the items it affects, with a clear
message, within its time limit, and the grader stays intact.

Fixtures are in tests/fixtures/layers/, one per failure mode; see conftest.py.
"""

import json
import os
import time

import pytest
from conftest import (REFERENCE, REPO, SHORT_LIMITS, descendants, feedback, full_marks, needs_bwrap, scores,
                      wait_until_gone, worker_processes)

from grader import api, result

ALL_ITEMS = {item["id"] for item in json.loads((REPO / "rubrics" / "layers" / "rubric.json").read_text())["items"]}
AFFINE_ITEMS = {"affine_forward", "affine_backward_dx", "affine_backward_dw", "affine_backward_db"}
# A hang must cost about one timeout; 20 s is far above that and far below "hung forever".
HANG_BOUND_SECONDS = 20


def assert_loses_exactly(document, lost):
    """Items in ``lost`` score 0, every other item full marks, and it was graded normally (or,
    when every item is lost because nothing could be imported, recorded as a submission error)."""
    result.validate(document)
    status = "submission_error" if lost == ALL_ITEMS and document["score"] == 0 else "graded"
    assert document["extra_data"]["status"] == status, document["extra_data"]["grader_errors"]
    expected = {item: (0 if item in lost else points) for item, points in full_marks(document).items()}
    assert scores(document) == expected


def test_dw_bug_loses_only_the_dw_item_and_names_the_factor_n(grade_fixture):
    document = grade_fixture("buggy_affine_backward_dw_times_n.py")
    assert_loses_exactly(document, {"affine_backward_dw"})
    assert "(N) too large" in feedback(document, "affine_backward_dw")


def test_infinite_loop_at_import_scores_zero_within_the_import_limit(grade_fixture):
    started = time.monotonic()
    document = grade_fixture("infinite_loop_at_import.py")
    assert time.monotonic() - started < HANG_BOUND_SECONDS
    assert_loses_exactly(document, ALL_ITEMS)
    assert f"did not finish within {SHORT_LIMITS.import_timeout:g} s" in feedback(document, "relu_forward")


def test_infinite_loop_in_a_function_costs_only_the_items_that_call_it(grade_fixture):
    started = time.monotonic()
    document = grade_fixture("infinite_loop_in_relu_forward.py")
    assert time.monotonic() - started < HANG_BOUND_SECONDS
    assert_loses_exactly(document, {"relu_forward", "relu_backward", "relu_edge_cases"})
    assert "relu_forward() did not return within" in feedback(document, "relu_forward")
    assert document["extra_data"]["worker_restarts"] >= 1


def test_sys_exit_at_import_scores_zero_and_says_so(grade_fixture):
    document = grade_fixture("sys_exit_at_import.py")
    assert_loses_exactly(document, ALL_ITEMS)
    assert "called sys.exit()" in feedback(document, "affine_forward")


def test_os_exit_at_import_scores_zero_and_says_the_process_died(grade_fixture):
    document = grade_fixture("os_exit_at_import.py")
    assert_loses_exactly(document, ALL_ITEMS)
    assert "died while importing" in feedback(document, "affine_forward")
    assert "exited with code 0" in feedback(document, "affine_forward")


def test_keyboard_interrupt_in_a_function_is_the_students_failure_not_the_graders(grade_fixture):
    document = grade_fixture("keyboard_interrupt_in_relu_backward.py")
    assert_loses_exactly(document, {"relu_backward", "relu_edge_cases"})
    assert "relu_backward() raised KeyboardInterrupt" in feedback(document, "relu_backward")


def test_8_gib_allocation_fails_in_the_worker_and_costs_only_its_items(grade_fixture):
    document = grade_fixture("allocates_8_gib_in_affine_forward.py")
    assert_loses_exactly(document, AFFINE_ITEMS)
    assert "MemoryError" in feedback(document, "affine_forward")


def test_printed_fake_result_json_is_not_a_verdict(grade_fixture):
    document = grade_fixture("prints_fake_passing_result_json.py")
    assert_loses_exactly(document, {"affine_forward"})
    assert document["score"] == document["extra_data"]["max_score"] - full_marks(document)["affine_forward"]


def test_monkeypatched_numpy_comparisons_do_not_reach_the_grader(grade_fixture):
    document = grade_fixture("monkeypatches_numpy_allclose_and_testing.py")
    assert_loses_exactly(document, {"affine_forward"})
    assert "entries differ" in feedback(document, "affine_forward")


def test_shipped_numpy_py_and_conftest_py_are_never_loaded(grade_fixture):
    document = grade_fixture("ships_numpy_py_and_conftest_py")
    assert_loses_exactly(document, {"relu_forward"})
    assert "NNGRADE_STUDENT_CONFTEST_LOADED" not in os.environ
    assert "NNGRADE_FAKE_NUMPY_IMPORTED" not in os.environ


def test_returning_nan_fails_the_item_and_names_the_nan(grade_fixture):
    document = grade_fixture("returns_nan_from_affine_forward.py")
    assert_loses_exactly(document, {"affine_forward"})
    assert "NaN or infinite" in feedback(document, "affine_forward")


def test_ndarray_subclass_with_always_true_comparisons_is_compared_by_value(grade_fixture):
    document = grade_fixture("returns_always_equal_ndarray_subclass.py")
    assert_loses_exactly(document, {"relu_forward"})


def test_broadcastable_wrong_shape_fails_with_both_shapes_named(grade_fixture):
    document = grade_fixture("returns_broadcastable_wrong_shape_db.py")
    assert_loses_exactly(document, {"affine_backward_db"})
    text = feedback(document, "affine_backward_db")
    assert "expected shape (3,), got shape (1, 3)" in text


def test_mutating_inputs_loses_the_mutation_item_only(grade_fixture):
    document = grade_fixture("mutates_its_inputs.py")
    assert_loses_exactly(document, {"inputs_unchanged"})
    assert "relu_forward: x was modified in place" in feedback(document, "inputs_unchanged")


@needs_bwrap
def test_reading_the_reference_solution_by_path_fails_inside_the_sandbox(grade_fixture):
    document = grade_fixture("reads_reference_solution_by_path.py", backend="bwrap")
    assert_loses_exactly(document, ALL_ITEMS)
    assert "FileNotFoundError" in feedback(document, "affine_forward")


def test_syntax_error_is_reported_with_file_and_line(grade_fixture):
    document = grade_fixture("syntax_error_at_line_7.py")
    assert_loses_exactly(document, ALL_ITEMS)
    text = feedback(document, "relu_forward")
    assert "SyntaxError" in text and "layers.py, line 7" in text


def test_exception_at_import_is_reported_with_its_line(grade_fixture):
    document = grade_fixture("raises_value_error_at_import.py")
    assert_loses_exactly(document, ALL_ITEMS)
    text = feedback(document, "affine_forward")
    assert "importing layers.py raised FileNotFoundError" in text and "line 6" in text


def test_missing_function_loses_its_items_and_is_named(grade_fixture):
    document = grade_fixture("missing_relu_backward.py")
    assert_loses_exactly(document, {"relu_backward", "relu_edge_cases"})
    assert "has no function relu_backward()" in feedback(document, "relu_backward")


def test_wrong_signature_is_reported_as_such(grade_fixture):
    document = grade_fixture("wrong_signature_affine_forward.py")
    assert_loses_exactly(document, AFFINE_ITEMS)
    assert "signature" in feedback(document, "affine_forward")


def test_wrong_return_type_is_reported_as_such(grade_fixture):
    document = grade_fixture("affine_forward_returns_out_without_cache.py")
    assert_loses_exactly(document, AFFINE_ITEMS)
    assert "expected a tuple of 2 values, got an array" in feedback(document, "affine_forward")


HOSTILE = ["infinite_loop_at_import.py", "infinite_loop_in_relu_forward.py", "sys_exit_at_import.py",
           "os_exit_at_import.py", "keyboard_interrupt_in_relu_backward.py",
           "allocates_8_gib_in_affine_forward.py", "prints_fake_passing_result_json.py",
           "monkeypatches_numpy_allclose_and_testing.py", "ships_numpy_py_and_conftest_py"]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts worker processes through /proc")
def test_grader_is_intact_after_every_hostile_submission_and_leaves_no_worker_behind(grade_fixture):
    for name in HOSTILE:
        grade_fixture(name)
    document = api.run(submission=REFERENCE, assignment="layers", seed=7, limits=SHORT_LIMITS)
    assert document["score"] == document["extra_data"]["max_score"] > 0
    ours = descendants(os.getpid()) & set(worker_processes())
    assert wait_until_gone(ours, seconds=5) == set()
