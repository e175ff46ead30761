"""What the `layers` assignment has of its own (what every assignment has is in
tests/test_course_material.py: validation, the public tests, the catalog): the rubric splits
every activation into ordinary items and a small edge-case item, so a function right on
ordinary inputs but overflowing at the extremes keeps >= 80% of its points; the public tests
name the classic mistakes with the hidden tests' hints; nothing released holds a line of a
reference backward pass.
"""

import ast
import json
import re
import shutil
import warnings

import nbformat
import pytest
from conftest import REFERENCE, REPO, SHORT_LIMITS, catalog, feedback, full_marks, public_functions, scores

from grader import api
from grader.recall import expectations
from grader.sandbox import SandboxWarning

RUBRIC = json.loads((REPO / "rubrics" / "layers" / "rubric.json").read_text())
ALL_ITEMS = {item["id"] for item in RUBRIC["items"]}
POINTS = {item["id"]: item["points"] for item in RUBRIC["items"]}
NOTEBOOK = REPO / "assignments" / "layers" / "layers.ipynb"
MISTAKES = catalog("layers") / "mistakes"
ACTIVATIONS = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "silu"]


def test_rubric_splits_every_function_into_ordinary_items_and_a_small_edge_item_of_100_points():
    functions = public_functions(ast.parse(REFERENCE.read_text()))
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
def test_right_on_ordinary_inputs_but_overflowing_keeps_80_percent_of_the_function(function):
    """The catalogued mistake (graded by tests/test_course_material.py) loses only the edge item."""
    lost = expectations(MISTAKES / f"{function}_forward_overflows_keeps_80_percent.py")
    assert set(lost) == {f"{function}_edge_cases"}
    own = [item for item in POINTS if item.startswith(f"{function}_")]
    assert sum(POINTS[item] for item in own if item not in lost) >= 0.8 * sum(POINTS[item] for item in own)
    said = " | ".join(lost[f"{function}_edge_cases"])  # phrases its feedback holds
    assert "NaN or infinite" in said and "hint: " in said


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
    hidden = {item for stem in mistakes for item in expectations(MISTAKES / f"{stem}.py")}
    assert set(mistakes.values()) <= lost <= hidden  # public tests never take what hidden tests leave
    for stem, item in mistakes.items():
        text = feedback(document, item)
        for phrase in expectations(MISTAKES / f"{stem}.py")[item]:
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
