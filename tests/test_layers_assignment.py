"""The `layers` assignment as course material: it validates, the rubric splits every
activation into ordinary items and a small edge-case item, a submission right on ordinary
inputs but overflowing at the extremes keeps >= 80% of that function's points, correct
solutions written differently (other kink conventions included) get full marks, the public
tests name the classic mistakes with the hidden tests' hints, nothing released holds a line
of a reference backward pass, and the notebook starter matches the .py starter.

Known mistakes are graded by tests/test_catalog.py from rubrics/layers/catalog/mistakes/
(one parallel batch); their docstrings say which items they lose and with which hints.

Run as a script, this module (re)writes assignments/layers/layers.ipynb from
assignments/layers/layers.py:  python tests/test_layers_assignment.py
"""

import ast
import json
import re
import shutil
import sys
import warnings

import nbformat
import pytest
from conftest import FIXTURES, REFERENCE, REPO, SHORT_LIMITS, STARTER, catalog, feedback, full_marks, scores

from grader import api, result
from grader.sandbox import SandboxWarning

RUBRIC = json.loads((REPO / "rubrics" / "layers" / "rubric.json").read_text())
ALL_ITEMS = {item["id"] for item in RUBRIC["items"]}
POINTS = {item["id"]: item["points"] for item in RUBRIC["items"]}
NOTEBOOK = REPO / "assignments" / "layers" / "layers.ipynb"
MISTAKES = catalog("layers") / "mistakes"
ACTIVATIONS = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "silu"]
# Correct solutions written differently from the reference; the kink ones take other valid
# subgradients at x == 0 (the right branch, the midpoint) than the reference does.
ALTERNATIVES = ["variants/alternative_loops_layers.py", "variants/alternative_cache_layout_layers.py",
                "variants/alternative_kink_other_side_layers.py", "variants/alternative_kink_midpoint_layers.py"]


def assert_loses_exactly(document, lost):
    """Items in ``lost`` score 0, every other item full marks, and it was graded normally."""
    result.validate(document)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    expected = {item: (0 if item in lost else points) for item, points in full_marks(document).items()}
    assert scores(document) == expected


def loses(path) -> dict:
    """{item: phrases} from a catalogued mistake's ``loses: item: a | b`` docstring lines."""
    lost = {}
    for line in (ast.get_docstring(ast.parse(path.read_text())) or "").splitlines():
        if line.strip().startswith("loses:"):
            item, _, phrases = line.strip()[len("loses:"):].partition(":")
            lost[item.strip()] = [p.strip() for p in phrases.split("|") if p.strip()]
    return lost


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


def test_rubric_splits_every_function_into_ordinary_items_and_a_small_edge_item_of_100_points():
    functions = starter_functions(STARTER.read_text())
    expected = {"inputs_unchanged", "affine_backward_dx", "affine_backward_dw", "affine_backward_db"}
    expected |= {name for name in functions if name != "affine_backward"}
    expected |= {f"{name}_edge_cases" for name in ACTIVATIONS + ["softmax"]}
    assert ALL_ITEMS == expected
    assert RUBRIC["total_points"] == 100 == sum(POINTS.values())
    for name in ACTIVATIONS + ["softmax"]:
        own = {item: points for item, points in POINTS.items() if item.startswith(f"{name}_") or item == name}
        if name == "relu":  # relu_ is also a prefix of nothing else; leaky_relu starts with "leaky"
            own = {item: points for item, points in own.items() if not item.startswith("leaky")}
        # Why 0.2: the bound on a robustness item's share of its function's points.
        assert own[f"{name}_edge_cases"] <= 0.2 * sum(own.values()), (name, own)
    for item in RUBRIC["items"]:
        if item["id"].endswith("_forward") or item["id"] == "softmax":
            assert item["title"] == f"{item['id']}: output"
        elif item["id"].endswith("_edge_cases"):
            assert item["title"].startswith(item["id"].removesuffix("_edge_cases") + ": ")
        elif item["id"] != "inputs_unchanged":
            function, _, output = item["id"].rpartition("_backward")
            assert item["title"] == f"{function}_backward: {output.lstrip('_') or 'dx'}"


@pytest.mark.parametrize("function", ["sigmoid", "tanh"])
def test_right_on_ordinary_inputs_but_overflowing_keeps_80_percent_of_the_function(grade_fixture, function):
    document = grade_fixture(f"mistakes/{function}_forward_overflows_keeps_80_percent.py")
    assert_loses_exactly(document, {f"{function}_edge_cases"})
    got, full = scores(document), full_marks(document)
    own = [item for item in full if item.startswith(f"{function}_")]
    kept = sum(got[item] for item in own) / sum(full[item] for item in own)
    assert kept >= 0.8, f"{function}: kept {kept:.0%} of its points"
    assert "NaN or infinite" in feedback(document, f"{function}_edge_cases")
    assert "hint: " in feedback(document, f"{function}_edge_cases")


@pytest.mark.parametrize("name", ALTERNATIVES)
def test_correct_solution_written_differently_gets_full_marks(grade_fixture, name):
    document = grade_fixture(name)
    assert_loses_exactly(document, set())
    assert document["score"] == 100


# Mistakes the public tests must flag with the same hint as the hidden tests (the phrases of
# the catalog entry's `loses:` line), two submissions of several mistakes each: one grading run
# per submission. Each: {mistake file: the item whose hidden-test phrases the public tests give}.
PUBLIC_MISTAKES = [
    {"relu_backward_writes_into_dout": "inputs_unchanged",
     "sigmoid_backward_derivative_of_x_not_out": "sigmoid_backward",
     "affine_backward_dw_transposed": "affine_backward_dw"},
    {"tanh_backward_derivative_of_x_not_out": "tanh_backward",
     "affine_backward_dw_n_times_too_large": "affine_backward_dw",
     "relu_backward_dout_times_out": "relu_backward"},
]


@pytest.mark.parametrize("mistakes", PUBLIC_MISTAKES, ids=lambda m: "+".join(i for i in m.values()))
def test_public_tests_name_the_classic_mistakes_with_the_hidden_tests_hints(tmp_path, mistakes):
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copyfile(REFERENCE, folder / "correct_layers.py")
    lines = ["from correct_layers import *  # noqa: F401,F403"]
    for stem in mistakes:
        shutil.copyfile(MISTAKES / f"{stem}.py", folder / f"mistake_{stem}.py")
        defined = [n.name for n in ast.parse((MISTAKES / f"{stem}.py").read_text()).body
                   if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        lines.append(f"from mistake_{stem} import {', '.join(defined)}  # noqa: F401")
    (folder / "layers.py").write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        document = api.run(submission=folder, assignment="layers", course=REPO, limits=SHORT_LIMITS,
                           seed=7, public_only=True)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    lost = {item for item, score in scores(document).items() if score != full_marks(document)[item]}
    hidden = {item for stem in mistakes for item in loses(MISTAKES / f"{stem}.py")}
    assert set(mistakes.values()) <= lost <= hidden  # public tests never take what hidden tests leave
    for stem, item in mistakes.items():
        text = feedback(document, item)
        for phrase in loses(MISTAKES / f"{stem}.py")[item]:
            assert phrase in text, f"{stem}: {phrase!r} not in the public feedback:\n{text}"
        assert not re.search(r"\dx too (large|small)", text), f"{stem}: a factor hint from one input:\n{text}"


def backward_lines() -> set[str]:
    """Every statement line of the reference's backward passes that no forward pass shares
    (unpacking the cache, flattening x), whitespace removed."""
    tree = ast.parse(REFERENCE.read_text())
    lines = REFERENCE.read_text().splitlines()
    found = {True: set(), False: set()}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for statement in node.body[1:]:  # after the docstring
                for line in lines[statement.lineno - 1:statement.end_lineno]:
                    normalized = re.sub(r"\s+", "", line)
                    if normalized and not normalized.startswith("return") and not normalized.endswith("=cache"):
                        found[node.name.endswith("_backward")].add(normalized)
    return found[True] - found[False]


def test_nothing_released_holds_a_line_of_a_reference_backward_pass():
    secret = backward_lines()
    assert len(secret) >= 10
    folder = REPO / "assignments" / "layers"
    for path in [folder / "README.md", folder / "layers.py", NOTEBOOK, *sorted((folder / "tests").glob("*.py"))]:
        text = path.read_text()
        if path.suffix == ".ipynb":
            text = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells)
        # `a = b` in prose or code, and the same written inside backticks, all count
        normalized = {re.sub(r"\s+", "", line).strip("`") for line in text.splitlines()}
        normalized |= {part for line in text.splitlines() for part in re.sub(r"\s+", "", line).split("`")}
        leaked = sorted(line for line in secret if line in normalized or any(line in n for n in normalized))
        assert not leaked, f"{path.relative_to(REPO)} holds reference backward code: {leaked}"


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
