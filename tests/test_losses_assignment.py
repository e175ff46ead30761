"""The `losses` assignment: it validates, the catalog of known mistakes
(rubrics/losses/catalog/mistakes/, graded by tests/test_catalog.py) covers every item and
keeps unstable-only-at-extremes code at >= 80% of its function, correct solutions written
differently (accepted conventions at kinks included) get full marks, and the starters agree."""

import ast

import nbformat
import pytest
from conftest import notebook_functions, public_functions
from conftest import FIXTURES, REPO, SHORT_LIMITS, catalog, fixture_path
from test_catalog import expectations

from grader import api, rubric

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

ASSIGNMENT = "losses"
STARTER = REPO / "assignments" / ASSIGNMENT / "losses.py"
NOTEBOOK = REPO / "assignments" / ASSIGNMENT / "losses.ipynb"
SOLUTION = REPO / "solutions" / ASSIGNMENT / "losses.py"
RUBRIC = rubric.load(REPO / "rubrics" / ASSIGNMENT / "rubric.json")

MISTAKES = catalog(ASSIGNMENT) / "mistakes"  # graded by tests/test_catalog.py, all in one batch
POINTS = {item.id: item.points for item in RUBRIC.items}
FUNCTIONS = sorted(public_functions(ast.parse(SOLUTION.read_text())))
# Right on ordinary inputs, but overflowing or underflowing at logits of +-1000 (CS231n's
# probs-then-log softmax among them), or unclipped at probabilities of exactly 0 and 1.
UNSTABLE_ONLY_AT_EXTREMES = ["softmax_loss_log_of_underflowed_probability", "softmax_loss_not_shifted_overflows",
                             "bce_with_logits_overflows", "bce_loss_not_clipped"]
# Correct solutions, graded here; the accepted conventions at kinks among them.
ALTERNATIVES = ["variants/alternative_loops_losses.py", "variants/alternative_onehot_losses.py",
                "variants/alternative_svm_loss_grad_counts_margin_at_hinge.py", "variants/alternative_subgradients_at_kinks.py"]


def test_losses_assignment_validates_reference_full_marks_and_starter_zero():
    checks = api.validate(assignment=ASSIGNMENT, course=REPO, limits=SHORT_LIMITS, seed=5)
    assert [f"{c.name}: {c.detail}" for c in checks if not c.ok] == []
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                        "every rubric item has tests", "every test names one rubric item"}


def function_of(item):
    return next(f for f in sorted(FUNCTIONS, key=len, reverse=True) if item.startswith(f + "_"))


def test_every_rubric_item_is_lost_by_some_catalogued_mistake_and_no_buggy_fixture_is_left_outside():
    covered = {item for path in MISTAKES.glob("*.py") for item in expectations(path)}
    assert set(POINTS) - covered == set()
    assert covered <= set(POINTS)
    assert sorted(p.name for p in FIXTURES.joinpath(ASSIGNMENT).glob("buggy_*.py")) == []


def test_the_catalog_holds_the_mistakes_the_issue_names():
    assert expectations(MISTAKES / "softmax_loss_shifts_x_in_place.py") == {
        "inputs_unchanged": ("softmax_loss: argument 1 (x)", "modified in place")}
    forgotten_n = [expectations(MISTAKES / f"{name}.py") for name in
                   ("softmax_loss_grad_not_averaged", "softmax_loss_summed_over_the_batch",
                    "mae_loss_sums_instead_of_averaging")]
    assert all(any("too large" in phrase for phrases in lost.values() for phrase in phrases) for lost in forgotten_n)


@pytest.mark.parametrize("name", UNSTABLE_ONLY_AT_EXTREMES)
def test_a_function_right_on_ordinary_inputs_but_unstable_at_extremes_keeps_80_percent(name):
    """The catalog (tests/test_catalog.py) grades each of these and checks it loses exactly the
    items its docstring names; here: those items are worth at most 20% of the function."""
    lost = expectations(MISTAKES / f"{name}.py")
    (function,) = {function_of(item) for item in lost}
    total = sum(points for item, points in POINTS.items() if item != "inputs_unchanged" and function_of(item) == function)
    assert sum(POINTS[item] for item in lost) <= 0.2 * total + 1e-9, (function, lost, total)
    assert all(item.endswith(("_stable", "_clipped")) for item in lost)


@pytest.mark.parametrize("fixture", ALTERNATIVES)
def test_correct_solutions_written_differently_get_full_marks(grade_fixture, fixture):
    document = grade_fixture(fixture, assignment=ASSIGNMENT)
    assert document["extra_data"]["grader_errors"] == []
    assert document["score"] == document["extra_data"]["max_score"] == 100, \
        [(t["extra_data"]["item"], t["output"]) for t in document["tests"] if t["status"] != "passed"]


@pytest.mark.parametrize("fixture", ALTERNATIVES[:2])  # the other two build on correct_losses
def test_alternative_solutions_stand_alone_without_the_reference(fixture):
    tree = ast.parse(fixture_path(ASSIGNMENT, fixture).read_text())
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
