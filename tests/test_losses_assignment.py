"""What the `losses` assignment has of its own (what every assignment has is in
tests/test_course_material.py: validation, the public tests, the catalog): the catalog holds
the mistakes the issue names, code that is unstable only at the extremes keeps >= 80% of its
function, and some correct solutions stand alone, without the reference."""

import ast

import pytest
from conftest import REPO, catalog, fixture_path, public_functions

from grader import rubric
from grader.recall import expectations

ASSIGNMENT = "losses"
SOLUTION = REPO / "solutions" / ASSIGNMENT / "losses.py"
RUBRIC = rubric.load(REPO / "rubrics" / ASSIGNMENT / "rubric.json")

MISTAKES = catalog(ASSIGNMENT) / "mistakes"  # graded by tests/test_course_material.py, all in one batch
POINTS = {item.id: item.points for item in RUBRIC.items}
FUNCTIONS = sorted(public_functions(ast.parse(SOLUTION.read_text())))
# Right on ordinary inputs, but overflowing or underflowing at logits of +-1000 (CS231n's
# probs-then-log softmax among them), or unclipped at probabilities of exactly 0 and 1.
UNSTABLE_ONLY_AT_EXTREMES = ["softmax_loss_log_of_underflowed_probability", "softmax_loss_not_shifted_overflows",
                             "bce_with_logits_overflows", "bce_loss_not_clipped"]
# Correct solutions that need nothing of the reference (the catalog's others build on correct_losses).
STANDALONE = ["variants/alternative_loops_losses.py", "variants/alternative_onehot_losses.py"]


def function_of(item):
    return next(f for f in sorted(FUNCTIONS, key=len, reverse=True) if item.startswith(f + "_"))


def test_the_catalog_holds_the_mistakes_the_issue_names():
    assert expectations(MISTAKES / "softmax_loss_shifts_x_in_place.py") == {
        "inputs_unchanged": ("softmax_loss: argument 1 (x)", "modified in place")}
    forgotten_n = [expectations(MISTAKES / f"{name}.py") for name in
                   ("softmax_loss_grad_not_averaged", "softmax_loss_summed_over_the_batch",
                    "mae_loss_sums_instead_of_averaging")]
    assert all(any("too large" in phrase for phrases in lost.values() for phrase in phrases) for lost in forgotten_n)


@pytest.mark.parametrize("name", UNSTABLE_ONLY_AT_EXTREMES)
def test_a_function_right_on_ordinary_inputs_but_unstable_at_extremes_keeps_80_percent(name):
    """The catalog grades each of these and checks it loses exactly the items its docstring
    names; here: those items are worth at most 20% of the function."""
    lost = expectations(MISTAKES / f"{name}.py")
    (function,) = {function_of(item) for item in lost}
    total = sum(points for item, points in POINTS.items() if item != "inputs_unchanged" and function_of(item) == function)
    assert sum(POINTS[item] for item in lost) <= 0.2 * total + 1e-9, (function, lost, total)
    assert all(item.endswith(("_stable", "_clipped")) for item in lost)


@pytest.mark.parametrize("fixture", STANDALONE)
def test_alternative_solutions_stand_alone_without_the_reference(fixture):
    tree = ast.parse(fixture_path(ASSIGNMENT, fixture).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"math", "numpy"}
    assert public_functions(tree).keys() == public_functions(ast.parse(SOLUTION.read_text())).keys()
