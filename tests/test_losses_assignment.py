"""The `losses` assignment: it validates, each known bug costs exactly its items with
feedback that names the wrong quantity (and the likely cause where one is known),
correct solutions written differently get full marks, and the starters agree."""

import ast

import nbformat
import pytest
from conftest import notebook_functions, public_functions
from conftest import FIXTURES, REPO, SHORT_LIMITS, feedback, full_marks, scores

from grader import api, rubric

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

ASSIGNMENT = "losses"
STARTER = REPO / "assignments" / ASSIGNMENT / "losses.py"
NOTEBOOK = REPO / "assignments" / ASSIGNMENT / "losses.ipynb"
SOLUTION = REPO / "solutions" / ASSIGNMENT / "losses.py"
RUBRIC = rubric.load(REPO / "rubrics" / ASSIGNMENT / "rubric.json")

# fixture: {item it loses: substrings its feedback must hold (the quantity, then the cause)}
BUGS = {
    "buggy_softmax_loss_grad_not_averaged.py": {"softmax_loss_grad": ("dx: ", "(N) too large")},
    "buggy_softmax_loss_not_shifted_overflows.py": {
        "softmax_loss_value": ("loss: ", "NaN or infinite"),
        "softmax_loss_grad": ("dx (logits of +-1000): ", "NaN or infinite")},
    "buggy_softmax_loss_log_of_underflowed_probability.py": {"softmax_loss_value": ("loss: ", "NaN or infinite")},
    "buggy_softmax_loss_shifts_x_in_place.py": {
        "inputs_unchanged": ("softmax_loss: argument 1", "modified in place")},
    "buggy_svm_loss_counts_correct_class_margin.py": {"svm_loss_value": ("loss: ", "expected 1.25, got 2.25")},
    "buggy_svm_loss_grad_missing_correct_class_term.py": {
        "svm_loss_grad": ("dx: ", "missing the correct-class term")},
    "buggy_svm_loss_grad_counts_margin_at_hinge.py": {
        "svm_loss_grad": ("dx (margins of exactly 0: gradient 0): ", "use > 0, not >= 0")},
    "buggy_mse_loss_grad_missing_factor_2.py": {"mse_loss_grad": ("dpred: ", "2x too small")},
    "buggy_mse_loss_mean_over_batch_only.py": {
        "mse_loss_value": ("loss: ",),
        "mse_loss_grad": ("dpred: ", "not by N = shape[0]")},
    "buggy_mae_loss_sums_instead_of_averaging.py": {
        "mae_loss_value": ("loss: ",),
        "mae_loss_grad": ("dpred: ", "times too large: the loss is the mean over all n = size elements")},
    "buggy_mae_loss_grad_nan_at_zero_residual.py": {
        "mae_loss_grad": ("dpred (where pred == target: 0): ", "NaN or infinite")},
    "buggy_huber_loss_quadratic_part_missing_half.py": {
        "huber_loss_value": ("loss: ",),
        "huber_loss_grad": ("dpred: ", "the quadratic part is 0.5 r**2")},
    "buggy_bce_loss_not_clipped.py": {
        "bce_loss_value": ("loss: ", "NaN or infinite"),
        "bce_loss_grad": ("dprobs (probabilities of exactly 0 and 1, clipped", "NaN or infinite")},
    "buggy_bce_loss_grad_wrt_logits.py": {"bce_loss_grad": ("dprobs: ", "gradient with respect to the logits")},
    "buggy_bce_loss_clips_probs_in_place.py": {"inputs_unchanged": ("bce_loss: argument 1", "modified in place")},
    "buggy_bce_with_logits_overflows.py": {"bce_with_logits_loss_value": ("loss: ", "NaN or infinite")},
    "buggy_bce_with_logits_grad_sign_flipped.py": {"bce_with_logits_loss_grad": ("dlogits: ", "wrong sign")},
    "buggy_l1_penalty_without_abs.py": {"l1_penalty_value": ("penalty: ",)},
    "buggy_l1_penalty_grad_missing_reg.py": {"l1_penalty_grad": ("dw: ", "missing the factor reg")},
    "buggy_l2_penalty_grad_sign_flipped.py": {"l2_penalty_grad": ("dw: ", "wrong sign")},
    "buggy_l2_penalty_with_half.py": {
        "l2_penalty_value": ("penalty: ", "2x too small"),
        "l2_penalty_grad": ("dw: ", "2x too small")},
    "buggy_elastic_net_penalty_l2_part_halved.py": {
        "elastic_net_penalty_value": ("penalty: ",),
        "elastic_net_penalty_grad": ("dw: ", "factor 1/2 (scikit-learn's convention)")},
}
ALTERNATIVES = ["alternative_loops_losses.py", "alternative_onehot_losses.py"]


def test_losses_assignment_validates_reference_full_marks_and_starter_zero():
    checks = api.validate(assignment=ASSIGNMENT, course=REPO, limits=SHORT_LIMITS, seed=5)
    assert [f"{c.name}: {c.detail}" for c in checks if not c.ok] == []
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                        "every rubric item has tests", "every test names one rubric item"}


@pytest.mark.parametrize("fixture", sorted(BUGS))
def test_each_bug_loses_exactly_its_items_with_feedback_naming_quantity_and_cause(grade_fixture, fixture):
    document = grade_fixture(fixture, assignment=ASSIGNMENT)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    lost = BUGS[fixture]
    expected = {item: 0 if item in lost else points for item, points in full_marks(document).items()}
    assert scores(document) == expected
    for item, phrases in lost.items():
        text = feedback(document, item)
        for phrase in phrases:
            assert phrase in text, f"{item}: {phrase!r} not in feedback:\n{text}"


def test_every_rubric_item_is_lost_by_some_buggy_fixture():
    covered = {item for lost in BUGS.values() for item in lost}
    assert {item.id for item in RUBRIC.items} - covered == set()
    assert sorted(BUGS) == sorted(p.name for p in FIXTURES.joinpath(ASSIGNMENT).glob("buggy_*.py"))


@pytest.mark.parametrize("fixture", ALTERNATIVES)
def test_correct_solutions_written_differently_get_full_marks(grade_fixture, fixture):
    document = grade_fixture(fixture, assignment=ASSIGNMENT)
    assert document["extra_data"]["grader_errors"] == []
    assert document["score"] == document["extra_data"]["max_score"] == 100, \
        [(t["extra_data"]["item"], t["output"]) for t in document["tests"] if t["status"] != "passed"]


@pytest.mark.parametrize("fixture", ALTERNATIVES)
def test_alternative_solutions_stand_alone_without_the_reference(fixture):
    tree = ast.parse(FIXTURES.joinpath(ASSIGNMENT, fixture).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"math", "numpy"}
    assert public_functions(tree).keys() == public_functions(ast.parse(SOLUTION.read_text())).keys()


def test_py_starter_has_the_reference_functions_signatures_and_docstrings():
    assert public_functions(ast.parse(STARTER.read_text())) == public_functions(ast.parse(SOLUTION.read_text()))


def test_notebook_starter_defines_the_same_public_functions_as_the_py_starter():
    assert notebook_functions(NOTEBOOK) == public_functions(ast.parse(STARTER.read_text()))


def test_notebook_has_a_title_then_imports_numpy_then_a_markdown_and_a_code_cell_per_function():
    cells = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert cells[1].cell_type == "code" and "import numpy as np" in cells[1].source
    pairs = cells[2:]
    assert [c.cell_type for c in pairs] == ["markdown", "code"] * len(notebook_functions(NOTEBOOK))
    for markdown, code in zip(pairs[::2], pairs[1::2]):
        (name,) = public_functions(ast.parse(code.source))
        assert f"`{name}`" in markdown.source
