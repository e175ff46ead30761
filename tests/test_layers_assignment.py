"""The `layers` assignment as course material: it validates, every realistic bug in
tests/fixtures/layers/buggy_*.py loses exactly the rubric items it should (with
feedback that names the wrong output and the likely mistake), correct solutions
written differently from the reference get full marks, and the notebook starter
matches the .py starter.

Run as a script, this module (re)writes assignments/layers/layers.ipynb from
assignments/layers/layers.py:  python tests/test_layers_assignment.py
"""

import ast
import json
import sys

import nbformat
import pytest
from conftest import FIXTURES, REFERENCE, REPO, SHORT_LIMITS, STARTER, feedback, full_marks, scores

from grader import api, result

RUBRIC = json.loads((REPO / "rubrics" / "layers" / "rubric.json").read_text())
ALL_ITEMS = {item["id"] for item in RUBRIC["items"]}
NOTEBOOK = REPO / "assignments" / "layers" / "layers.ipynb"

# fixture -> {item it loses: texts its feedback must contain}. Every other item keeps full marks.
# "dx:"/"dw:"/"db:"/"out"/"softmax(x)" is the output check_array names; the rest is the likely cause.
BUGGY = {
    "buggy_affine_forward_ignores_bias.py": {"affine_forward": ["out: "]},
    "buggy_affine_backward_dx_not_reshaped.py": {"affine_backward_dx": ["dx: ", "reshape to (3, 2, 4)"]},
    "buggy_affine_backward_dw_transposed.py": {"affine_backward_dw": ["dw: ", "transpose"]},
    "buggy_affine_backward_dw_times_n.py": {"affine_backward_dw": ["dw: ", "(N) too large"]},
    "buggy_affine_backward_db_sign_flipped.py": {"affine_backward_db": ["db: ", "wrong sign"]},
    "buggy_affine_backward_db_summed_over_axis_1.py": {
        "affine_backward_db": ["db: ", "summed over axis 1 (each example's M outputs) instead of axis 0"]},
    "buggy_relu_forward_returns_the_mask.py": {"relu_forward": ["out: ", "returns booleans"]},
    "buggy_relu_backward_passes_gradient_at_zero.py": {
        "relu_backward": ["dx (the handout takes the derivative at 0 as 0): "]},
    "buggy_sigmoid_forward_exponent_sign_flipped.py": {
        "sigmoid_forward": ["out: ", "the sign of the exponent is flipped"]},
    # The cache is the forward's output, so its nan at x > 709 also fails the backward.
    "buggy_sigmoid_forward_overflows.py": {"sigmoid_forward": ["out for x = ", "NaN or infinite"],
                                           "sigmoid_backward": ["dx for x = ", "NaN or infinite"]},
    "buggy_sigmoid_backward_uses_input_not_output.py": {
        "sigmoid_backward": ["dx: ", "applied to the input x instead of to the output sigma(x)"]},
    "buggy_sigmoid_backward_scales_dout_in_place.py": {
        "inputs_unchanged": ["sigmoid_backward: dout was modified in place"]},
    "buggy_tanh_forward_overflows.py": {"tanh_forward": ["out for x = ", "NaN or infinite"],
                                        "tanh_backward": ["dx for x = ", "NaN or infinite"]},
    "buggy_tanh_backward_uses_input_not_output.py": {
        "tanh_backward": ["dx: ", "applied to the input x instead of to the output tanh(x)"]},
    "buggy_leaky_relu_forward_alpha_on_positive_side.py": {
        "leaky_relu_forward": ["out: ", "alpha applied on the wrong side"]},
    "buggy_leaky_relu_backward_alpha_on_positive_side.py": {
        "leaky_relu_backward": ["dx: ", "alpha applied on the wrong side"]},
    "buggy_elu_forward_alpha_outside_parentheses.py": {"elu_forward": ["out: ", "the parentheses are missing"]},
    "buggy_elu_backward_forgets_alpha.py": {"elu_backward": ["dx: ", "the factor alpha is missing"]},
    "buggy_softplus_forward_overflows.py": {"softplus_forward": ["out for x = ", "NaN or infinite"]},
    "buggy_softplus_backward_sigmoid_of_negative_x.py": {
        "softplus_backward": ["dx: ", "sigma(-x) = 1 / (1 + exp(x)) instead of sigma(x)"]},
    "buggy_silu_forward_overflows.py": {"silu_forward": ["out for x = ", "NaN or infinite"]},
    "buggy_silu_backward_forgets_product_rule.py": {"silu_backward": ["dx: ", "needs the product rule"]},
    "buggy_softmax_not_stable.py": {"softmax": ["subtract each row's max first", "NaN or infinite"]},
    "buggy_softmax_over_axis_0.py": {"softmax": ["softmax(x): ", "normalized over axis 0 instead of the last axis"]},
}
ALTERNATIVES = ["alternative_loops_layers.py", "alternative_cache_layout_layers.py"]


def assert_loses_exactly(document, lost):
    """Items in ``lost`` score 0, every other item full marks, and it was graded normally."""
    result.validate(document)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    expected = {item: (0 if item in lost else points) for item, points in full_marks(document).items()}
    assert scores(document) == expected


def starter_functions(source: str) -> dict:
    """{name: ast dump of the def} for the top-level public functions of a module's source."""
    return {node.name: ast.dump(node) for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}


def test_grade_validate_passes_for_layers():
    checks = api.validate(assignment="layers", limits=SHORT_LIMITS, seed=2024)
    failed = [f"{c.name}: {c.detail}" for c in checks if not c.ok]
    assert not failed, "\n".join(failed)
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                        "every rubric item has tests"}


def test_rubric_has_one_item_per_output_of_every_function_and_100_points():
    functions = starter_functions(STARTER.read_text())
    expected = {"inputs_unchanged", "affine_backward_dx", "affine_backward_dw", "affine_backward_db"}
    expected |= {name for name in functions if name != "affine_backward"}
    assert ALL_ITEMS == expected
    assert RUBRIC["total_points"] == 100 == sum(item["points"] for item in RUBRIC["items"])
    for item in RUBRIC["items"]:
        if item["id"].endswith("_forward") or item["id"] == "softmax":
            assert item["title"] == f"{item['id']}: output"
        elif item["id"] != "inputs_unchanged":
            function, _, output = item["id"].rpartition("_backward")
            assert item["title"] == f"{function}_backward: {output.lstrip('_') or 'dx'}"


def test_every_buggy_fixture_is_checked_and_every_graded_item_has_one():
    on_disk = {p.name for p in (FIXTURES / "layers").glob("buggy_*.py")}
    assert on_disk == set(BUGGY)
    caught = {item for lost in BUGGY.values() for item in lost}
    assert caught == ALL_ITEMS


@pytest.mark.parametrize("name", sorted(BUGGY))
def test_buggy_submission_loses_exactly_its_items_and_the_feedback_names_the_mistake(grade_fixture, name):
    document = grade_fixture(name)
    assert_loses_exactly(document, set(BUGGY[name]))
    for item, texts in BUGGY[name].items():
        text = feedback(document, item)
        for expected in texts:
            assert expected in text, f"{item}: {expected!r} not in feedback:\n{text}"


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_correct_solution_written_differently_gets_full_marks(grade_fixture, name):
    document = grade_fixture(name)
    assert_loses_exactly(document, set())
    assert document["score"] == 100


def test_starter_has_the_solutions_functions_signatures_and_docstrings_and_only_raises():
    solution = {node.name: node for node in ast.parse(REFERENCE.read_text()).body if isinstance(node, ast.FunctionDef)}
    starter = {node.name: node for node in ast.parse(STARTER.read_text()).body if isinstance(node, ast.FunctionDef)}
    assert list(starter) == list(solution)
    for name, node in starter.items():
        assert ast.dump(node.args) == ast.dump(solution[name].args), name
        assert ast.get_docstring(node) == ast.get_docstring(solution[name]), name
        body = node.body[1:]  # after the docstring: only `raise NotImplementedError(...)`
        assert len(body) == 1 and isinstance(body[0], ast.Raise), name
        assert body[0].exc.func.id == "NotImplementedError", name


# -- the notebook starter -------------------------------------------------------------
def build_notebook(starter_source: str) -> nbformat.NotebookNode:
    """The notebook version of the starter: a title, then per function a markdown cell
    (its docstring's summary) and a code cell (the function itself), then a demo cell."""
    tree = ast.parse(starter_source)
    lines = starter_source.splitlines()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells.append(nbformat.v4.new_markdown_cell(
        "# Assignment: layers (notebook version)\n\n"
        "The same starter functions as `layers.py`, one per cell. `README.md` beside this notebook has "
        "the formulas, the conventions at the kinks and the rules (no mutation of inputs, float outputs, "
        "finite results for large inputs). Run the first code cell first: it imports numpy.\n\n"
        "Hand in either this notebook (`layers.ipynb`) or `layers.py`, not both. When a notebook is graded, "
        "only its imports and definitions run: the demo cell at the end is for you to try your code."))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    for index, node in enumerate(functions):
        summary = ast.get_docstring(node).split("\n\nParameters")[0]
        signature = lines[node.lineno - 1].removeprefix("def ").removesuffix(":")
        notebook.cells.append(nbformat.v4.new_markdown_cell(f"## `{signature}`\n\n{summary}"))
        source = "\n".join(lines[node.lineno - 1:node.end_lineno])
        notebook.cells.append(nbformat.v4.new_code_cell(("import numpy as np\n\n\n" if index == 0 else "") + source))
    demo = nbformat.v4.new_code_cell(
        "# A small demo: run it once your functions are filled in.\n"
        "x = np.array([[-2.0, 0.0, 3.0]])\n"
        "out, cache = relu_forward(x)\n"
        "print(\"relu:\", out, \"dx:\", relu_backward(np.ones_like(x), cache))\n"
        "out, cache = sigmoid_forward(x)\n"
        "print(\"sigmoid:\", out, \"dx:\", sigmoid_backward(np.ones_like(x), cache))\n"
        "print(\"softmax:\", softmax(x))")
    demo.metadata["tags"] = ["demo"]
    notebook.cells.append(demo)
    return notebook


def test_notebook_starter_defines_the_same_functions_as_the_py_starter():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    in_notebook = {}
    for source in code:
        in_notebook.update(starter_functions(source))
    # Same names, and per function the same signature, docstring and body (compared as syntax trees).
    assert in_notebook == starter_functions(STARTER.read_text()), \
        "the notebook is out of date: run python tests/test_layers_assignment.py"


def test_notebook_has_a_title_a_markdown_and_a_code_cell_per_function_and_a_final_demo():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    kinds = [cell.cell_type for cell in notebook.cells]
    count = len(starter_functions(STARTER.read_text()))
    assert kinds == ["markdown"] + ["markdown", "code"] * count + ["code"]
    assert notebook.nbformat == 4 and notebook.cells[0].source.startswith("# ")
    assert "import numpy as np" in notebook.cells[2].source
    demo = ast.parse(notebook.cells[-1].source)
    assert not any(isinstance(node, ast.FunctionDef) for node in demo.body)
    called = {node.func.id for node in ast.walk(demo) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert called & set(starter_functions(STARTER.read_text()))


if __name__ == "__main__":
    nbformat.write(build_notebook(STARTER.read_text()), NOTEBOOK)
    print(f"wrote {NOTEBOOK}", file=sys.stderr)
