"""Mutants of a reference solution for mutation testing of hidden tests (grader/mutation.py)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

from grader import mutation
from grader.mutation import OPERATORS, Mutant, mutants

REPO = Path(__file__).resolve().parent.parent
REFERENCES = [REPO / "solutions" / name / f"{name}.py" for name in ("layers", "losses", "optim", "mlp")]

MODULE = '''"""A mini numpy module: 0 < 1, x.T and a + b are only words in this docstring."""

import numpy as np

EPS = 1e-8  # a module constant: outside every function, never mutated


def affine_backward(dout, cache):
    """Backward pass of an affine layer: dx, dw, db (x.T @ dout is dw)."""
    x, w, b = cache  # unpack the cache
    n = x.shape[0]
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(n, -1).T @ dout
    db = dout.sum(axis=0)  # summed over the batch, not averaged
    return dx, dw, db


def softmax_loss(scores, y, eps=1e-12):
    """Mean cross-entropy of the softmax of the scores, and its gradient."""
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=-1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y] + eps).mean()
    # the gradient
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU and a made-up local slope."""
    out = np.where(x > 0, x, alpha * x)
    slope = 1.0 if alpha < 0.5 else 0.5
    return out, np.maximum(slope, 0.0)


def mse(pred, target):
    """Half the mean squared error, and its gradient."""
    r = pred - target
    return np.mean(r * r) / 2, r / r.size


def linear(x, w):
    """x times w."""
    return np.dot(x, w)


def sgd(w, dw, lr=0.1):
    """One gradient step (w is rebound, not modified)."""
    step = lr * dw / len(dw)
    w = w - step
    return w


def _same(v):
    return v
'''

# The five operators added last (negate ... ufunc_out) model classic numpy bugs; few apply to MODULE.
NN_MODULE = '''"""A mini numpy module for the operators that model sign, abs, scale, copy and out= bugs."""

import copy

import numpy as np


def relu_forward(x):
    """max(0, x), and the input as the cache."""
    out = np.maximum(0, x)  # a new array
    return out, x


def relu_backward(dout, cache):
    """dout where the input was positive (dout itself is never modified)."""
    dx = dout.copy()  # dx = dout would alias it
    dx[cache <= 0] = 0
    return dx


def tanh_forward(x, scale=1.0):
    """tanh of the scaled input."""
    return np.tanh(scale * x)


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    z = np.exp(-np.abs(x))
    return np.log1p(z) + np.maximum(x, 0)


def l1(w, reg):
    """The L1 penalty and its gradient."""
    return reg * abs(np.sum(np.abs(w))), reg * np.sign(w)


def clip_probs(probs, logs, eps=1e-12):
    """Probabilities kept away from 0 and 1, and their logs written into `logs`."""
    p = np.clip(probs, eps, 1 - eps)  # keep away from 0 and 1
    q = np.log(probs, out=logs)  # already written into an input: left alone
    t = np.where(probs > 0.5, probs, eps)  # np.where is no ufunc
    return p, q, t


def snapshot(params, history):
    """Copies of the parameters and of the history."""
    saved = {k: np.copy(v) for k, v in params.items()}
    last = np.array(history[-1])
    table = np.array(history, dtype=np.float64)  # a converting copy: left alone
    both = copy.deepcopy(saved), copy.copy(last)
    grads = {}
    return both, grads, -1, -table
'''


@pytest.fixture(scope="module")
def all_mutants() -> list[Mutant]:
    return mutants(MODULE)


@pytest.fixture(scope="module")
def nn_mutants() -> list[Mutant]:
    return mutants(NN_MODULE)


def line_of(text: str, source: str = MODULE) -> int:
    """The 1-based number of the one line of ``source`` that contains ``text``."""
    found = [i for i, line in enumerate(source.splitlines(), 1) if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


def spliced(original: str, mutated: str) -> tuple[list[str], list[str]]:
    """(the original lines that changed, the lines that replaced them), everything around them
    being byte-identical: the longest common head and tail of lines are cut off."""
    a, b = original.splitlines(keepends=True), mutated.splitlines(keepends=True)
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return a[head:len(a) - tail], b[head:len(b) - tail]


def pick(ms: list[Mutant], operator: str, description_part: str, function: str | None = None) -> Mutant:
    """The one mutant of ``operator`` whose description contains ``description_part``."""
    found = [m for m in ms if m.operator == operator and description_part in m.description
             and function in (None, m.function)]
    assert len(found) == 1, (operator, description_part, [m.description for m in ms if m.operator == operator])
    return found[0]


def diff_lines(m: Mutant) -> tuple[list[str], list[str]]:
    body = [line for line in m.diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    return [line[1:] for line in body if line.startswith("-")], [line[1:] for line in body if line.startswith("+")]


def test_operators_are_the_twenty_one_documented_ones_in_order_each_with_its_generator():
    assert list(OPERATORS) == ["arith", "constant", "axis", "transpose", "drop_term", "batch_scale", "reduction",
                               "comparison", "branch", "inplace", "reorder_return", "swap_unpacked", "zeros",
                               "identity", "negate", "abs_dropped", "scale_argument", "copy_dropped", "ufunc_out",
                               "naive_form", "sign_quotient"]
    assert all(isinstance(text, str) and text and "\n" not in text for text in OPERATORS.values())
    assert list(mutation._GENERATORS) == list(OPERATORS)
    assert [g.__name__ for g in mutation._GENERATORS.values()] == [f"_{op}" for op in OPERATORS]
    assert all(g.__doc__ for g in mutation._GENERATORS.values())
    modules = [g.__module__ for g in mutation._GENERATORS.values()]  # arith ... identity, then the numpy pitfalls
    assert modules == ["grader.mutators"] * 14 + ["grader.pitfalls"] * 7


def test_every_mutant_compiles_changes_the_ast_and_has_a_unique_stable_id(all_mutants):
    original = ast.dump(ast.parse(MODULE))
    assert len(all_mutants) > 40
    for m in all_mutants:
        compile(m.source, "module.py", "exec")
        assert ast.dump(ast.parse(m.source)) != original
        assert m.operator in OPERATORS and "\n" not in m.description
        assert m.description.startswith(f"line {m.line}: ")
        assert re.fullmatch(rf"{m.function}/{m.operator}/[1-9][0-9]*", m.id)
    assert len({m.id for m in all_mutants}) == len(all_mutants)
    assert len({m.source for m in all_mutants}) == len(all_mutants)
    counts = Counter((m.function, m.operator) for m in all_mutants)
    for (function, operator), count in counts.items():
        ks = [int(m.id.rsplit("/", 1)[1]) for m in all_mutants if (m.function, m.operator) == (function, operator)]
        assert ks == list(range(1, count + 1))
    assert mutants(MODULE) == all_mutants  # same ids, sources and diffs on every run


def test_mutants_are_ordered_by_function_then_operator_then_position(all_mutants):
    functions = ["affine_backward", "softmax_loss", "leaky_relu", "mse", "linear", "sgd", "_same"]
    keys = [(functions.index(m.function), list(OPERATORS).index(m.operator)) for m in all_mutants]
    assert keys == sorted(keys)
    for function in functions:
        lines = [m.line for m in all_mutants if m.function == function and m.operator == "arith"]
        assert lines == sorted(lines)


def test_docstrings_and_code_outside_functions_are_never_mutated(all_mutants):
    tree = ast.parse(MODULE)
    docstrings = [ast.get_docstring(node, clean=False) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef))]
    for m in all_mutants:
        mutated = ast.parse(m.source)
        assert [ast.get_docstring(node, clean=False) for node in ast.walk(mutated)
                if isinstance(node, (ast.Module, ast.FunctionDef))] == docstrings
        assert MODULE.splitlines()[:9] == m.source.splitlines()[:9]  # module docstring, import, EPS, def line


def test_diff_is_a_unified_diff_with_two_lines_of_context_and_only_the_changed_line(all_mutants):
    m = pick(all_mutants, "axis", "axis=0 -> axis=1")
    line = line_of("db = dout.sum(axis=0)")
    assert m.diff.startswith("--- a/module.py\n+++ b/module.py\n")
    assert f"@@ -{line - 2},5 +{line - 2},5 @@" in m.diff
    assert diff_lines(m) == (["    db = dout.sum(axis=0)  # summed over the batch, not averaged"],
                             ["    db = dout.sum(axis=1)  # summed over the batch, not averaged"])
    named = mutants(MODULE, filename="layers.py", functions=["affine_backward"])
    assert named[0].diff.startswith("--- a/layers.py\n+++ b/layers.py\n")


def test_arith_mutant_swaps_one_operator_and_keeps_the_rest_of_the_file(all_mutants):
    m = pick(all_mutants, "arith", "`/=` -> `*=` in `dx /= n`")
    assert (m.function, m.line) == ("softmax_loss", line_of("dx /= n"))
    assert spliced(MODULE, m.source) == (["    dx /= n\n"], ["    dx *= n\n"])
    m = pick(all_mutants, "arith", "`-` -> `+` in `scores - np.max")
    assert spliced(MODULE, m.source)[1] == ["    shifted = scores + np.max(scores, axis=1, keepdims=True)\n"]
    assert not [m for m in all_mutants if m.operator == "arith" and "@" in m.description.split(" in ")[0]]


def test_constant_mutants_nudge_numbers_and_defaults_but_not_indices_axes_or_module_constants(all_mutants):
    m = pick(all_mutants, "constant", "1e-12 -> 0.0 (eps dropped) (default of `eps`)")
    assert m.line == line_of("def softmax_loss")
    assert spliced(MODULE, m.source) == (["def softmax_loss(scores, y, eps=1e-12):\n"],
                                         ["def softmax_loss(scores, y, eps=0.0):\n"])
    m = pick(all_mutants, "constant", "0.01 -> 0.02 (default of `alpha`)")
    assert spliced(MODULE, m.source)[1] == ["def leaky_relu(x, alpha=0.02):\n"]
    ones = [m for m in all_mutants if m.operator == "constant" and m.line == line_of("dx[np.arange(n), y] -= 1")]
    assert [spliced(MODULE, m.source)[1] for m in ones] == [["    dx[np.arange(n), y] -= 0\n"],
                                                            ["    dx[np.arange(n), y] -= 2\n"]]
    slope = [m.description for m in all_mutants if m.operator == "constant" and m.line == line_of("slope = ")]
    assert slope == [f"line {line_of('slope = ')}: {d}" for d in ("1.0 -> 0.0", "1.0 -> 2.0", "0.5 -> 1.0",
                                                                 "0.5 -> 1.0")]
    assert pick(all_mutants, "constant", "2 -> 1", "mse").line == line_of("np.mean(r * r) / 2")
    untouched = [line_of(text) for text in ("n = x.shape[0]", "db = dout.sum(axis=0)", "shifted = scores -")]
    assert not [m for m in all_mutants if m.operator == "constant" and m.line in untouched]
    assert all("EPS = 1e-8  # a module constant" in m.source for m in all_mutants)


def test_axis_mutant_swaps_axis_zero_and_one_and_keeps_the_rest_of_the_file(all_mutants):
    m = pick(all_mutants, "axis", "axis=0 -> axis=1")
    assert (m.function, m.line) == ("affine_backward", line_of("db = dout.sum(axis=0)"))
    assert spliced(MODULE, m.source) == (["    db = dout.sum(axis=0)  # summed over the batch, not averaged\n"],
                                         ["    db = dout.sum(axis=1)  # summed over the batch, not averaged\n"])
    assert "    x, w, b = cache  # unpack the cache\n" in m.source
    m = pick(all_mutants, "axis", "axis=1 -> axis=0")
    assert spliced(MODULE, m.source)[1] == ["    shifted = scores - np.max(scores, axis=0, keepdims=True)\n"]
    m = pick(all_mutants, "axis", "axis=-1 -> axis=0")
    assert m.line == line_of("probs = np.exp")
    m = pick(all_mutants, "axis", "keepdims=True dropped from `np.max(scores, axis=1, keepdims=True)`")
    assert spliced(MODULE, m.source)[1] == ["    shifted = scores - np.max(scores, axis=1)\n"]
    assert len([m for m in all_mutants if m.operator == "axis"]) == 5


def test_transpose_mutants_drop_add_and_swap_matrix_product_operands(all_mutants):
    ms = [m for m in all_mutants if m.operator == "transpose"]
    line = line_of("dx = (dout @ w.T)")
    assert [(m.line, spliced(MODULE, m.source)[1]) for m in ms if m.line == line] == [
        (line, ["    dx = (dout.T @ w.T).reshape(x.shape)\n"]),
        (line, ["    dx = (w.T @ dout).reshape(x.shape)\n"]),
        (line, ["    dx = (dout @ w).reshape(x.shape)\n"]),
    ]
    m = pick(ms, "transpose", "`.T` dropped: `x.reshape(n, -1).T` -> `x.reshape(n, -1)`")
    assert spliced(MODULE, m.source)[1] == ["    dw = x.reshape(n, -1) @ dout\n"]
    assert not [m for m in ms if ".T.T" in m.source]  # no .T added to an operand that has one
    assert [spliced(MODULE, m.source)[1] for m in ms if m.function == "linear"] == [
        ["    return np.dot(x.T, w)\n"], ["    return np.dot(w, x)\n"]]


def test_drop_term_mutants_drop_either_term_of_a_sum_and_the_subtrahend_of_a_difference(all_mutants):
    m = pick(all_mutants, "drop_term", "`w - step` -> `w`")
    assert spliced(MODULE, m.source) == (["    w = w - step\n"], ["    w = w\n"])
    line = line_of("loss = -np.log")
    assert [spliced(MODULE, m.source)[1] for m in all_mutants if m.operator == "drop_term" and m.line == line] == [
        ["    loss = -np.log(probs[np.arange(n), y]).mean()\n"], ["    loss = -np.log(eps).mean()\n"]]
    assert len([m for m in all_mutants if m.operator == "drop_term" and m.line == line_of("w = w - step")]) == 1


def test_batch_scale_mutants_drop_or_double_a_division_by_a_batch_size_but_not_by_a_literal(all_mutants):
    ms = [m for m in all_mutants if m.operator == "batch_scale"]
    line = line_of("step = lr * dw / len(dw)")
    assert [(m.description, spliced(MODULE, m.source)[1]) for m in ms if m.line == line] == [
        (f"line {line}: `/ len(dw)` dropped from `lr * dw / len(dw)`", ["    step = lr * dw\n"]),
        (f"line {line}: `/ len(dw)` doubled to `/ len(dw) / len(dw)`", ["    step = lr * dw / len(dw) / len(dw)\n"]),
    ]
    m = pick(ms, "batch_scale", "`dx /= n` -> `dx /= n * n`")
    assert spliced(MODULE, m.source) == (["    dx /= n\n"], ["    dx /= n * n\n"])
    assert [spliced(MODULE, m.source)[1] for m in ms if m.function == "mse"] == [
        ["    return np.mean(r * r) / 2, r\n"], ["    return np.mean(r * r) / 2, r / r.size / r.size\n"]]
    probs = [m for m in ms if m.line == line_of("probs = np.exp")]  # divisor is a call to np.sum: not batch-like
    assert probs == []


def test_reduction_mutants_swap_sum_and_mean_functions_and_methods(all_mutants):
    m = pick(all_mutants, "reduction", "`dout.sum` -> `dout.mean`")
    assert spliced(MODULE, m.source)[1] == ["    db = dout.mean(axis=0)  # summed over the batch, not averaged\n"]
    m = pick(all_mutants, "reduction", "`np.sum` -> `np.mean`")
    assert m.line == line_of("probs = np.exp")
    assert pick(all_mutants, "reduction", "`np.mean` -> `np.sum`").function == "mse"
    assert pick(all_mutants, "reduction", ").mean` -> `").line == line_of("loss = -np.log")


def test_comparison_mutants_make_strict_comparisons_loose_and_back(all_mutants):
    m = pick(all_mutants, "comparison", "`>` -> `>=` in `x > 0`")
    assert spliced(MODULE, m.source)[1] == ["    out = np.where(x >= 0, x, alpha * x)\n"]
    m = pick(all_mutants, "comparison", "`<` -> `<=` in `alpha < 0.5`")
    assert spliced(MODULE, m.source)[1] == ["    slope = 1.0 if alpha <= 0.5 else 0.5\n"]
    chained = mutants("def f(a, b, c):\n    return a < b > c\n")
    assert [m.source.splitlines()[1] for m in chained if m.operator == "comparison"] == [
        "    return a <= b > c", "    return a < b >= c"]


def test_branch_mutants_swap_maximum_and_minimum_and_the_branches_of_where_and_if_else(all_mutants):
    ms = [m for m in all_mutants if m.operator == "branch"]
    assert [(m.line, spliced(MODULE, m.source)[1]) for m in ms] == [
        (line_of("out = np.where"), ["    out = np.where(x > 0, alpha * x, x)\n"]),
        (line_of("slope = "), ["    slope = 0.5 if alpha < 0.5 else 1.0\n"]),
        (line_of("return out, np.maximum"), ["    return out, np.minimum(slope, 0.0)\n"]),
    ]
    assert ms[2].description.endswith("`np.maximum` -> `np.minimum`")


def test_inplace_mutants_update_an_input_in_place_at_the_statement_indentation(all_mutants):
    m = pick(all_mutants, "inplace", "`r = pred - target`")
    assert m.description == (f"line {line_of('r = pred - target')}: `r = pred - target` -> `pred -= target` "
                             "then `r = pred` (input `pred` modified in place)")
    assert spliced(MODULE, m.source) == (["    r = pred - target\n"], ["    pred -= target\n", "    r = pred\n"])
    m = pick(all_mutants, "inplace", "`w = w - step`")
    assert spliced(MODULE, m.source) == (["    w = w - step\n"], ["    w -= step\n"])
    m = pick(all_mutants, "inplace", "`shifted = scores - np.max")
    assert spliced(MODULE, m.source)[1] == ["    scores -= np.max(scores, axis=1, keepdims=True)\n",
                                            "    shifted = scores\n"]
    items = mutants('def update(params, grads, lr):\n    """Step."""\n    if lr:\n'
                    '        w = params["w"] - lr * grads["w"]  # new w\n'
                    '        return params["b"] - lr * grads["b"], w\n')
    assert [m.source for m in items if m.operator == "inplace"] == [
        'def update(params, grads, lr):\n    """Step."""\n    if lr:\n'
        "        params['w'] -= lr * grads['w']\n        w = params['w']  # new w\n"
        '        return params["b"] - lr * grads["b"], w\n',
        'def update(params, grads, lr):\n    """Step."""\n    if lr:\n'
        '        w = params["w"] - lr * grads["w"]  # new w\n'
        "        params['b'] -= lr * grads['b']\n        return params['b'], w\n",
    ]
    rebound = mutants("def f(p, g, c):\n    p[0] = p[0] * g\n    if c: return p - g\n    return p\n")
    assert [m.source for m in rebound if m.operator == "inplace"] == [  # none for the one-line `if`
        "def f(p, g, c):\n    p[0] *= g\n    if c: return p - g\n    return p\n"]


def test_reorder_return_mutants_swap_each_adjacent_pair_of_returned_values(all_mutants):
    ms = [m for m in all_mutants if m.operator == "reorder_return" and m.function == "affine_backward"]
    assert [m.description for m in ms] == [f"line {line_of('return dx, dw, db')}: returned `dx` and `dw` swapped",
                                           f"line {line_of('return dx, dw, db')}: returned `dw` and `db` swapped"]
    assert [spliced(MODULE, m.source) for m in ms] == [(["    return dx, dw, db\n"], ["    return dw, dx, db\n"]),
                                                       (["    return dx, dw, db\n"], ["    return dx, db, dw\n"])]
    assert not [m for m in all_mutants if m.operator == "reorder_return" and m.function in ("sgd", "linear")]


def test_swap_unpacked_mutants_swap_adjacent_names_and_keep_the_trailing_comment(all_mutants):
    ms = [m for m in all_mutants if m.operator == "swap_unpacked"]
    assert [spliced(MODULE, m.source)[1] for m in ms] == [["    w, x, b = cache  # unpack the cache\n"],
                                                          ["    x, b, w = cache  # unpack the cache\n"]]
    assert ms[0].description == (f"line {line_of('x, w, b = cache')}: unpacked `x` and `w` swapped: "
                                 "`x, w, b = cache` -> `w, x, b = ...`")


def test_zeros_mutant_replaces_every_returned_value_of_a_function_by_zeros_like_it(all_mutants):
    m = pick(all_mutants, "zeros", "", "softmax_loss")
    assert (m.id, m.line) == ("softmax_loss/zeros/1", line_of("return loss, dx"))
    assert spliced(MODULE, m.source) == (["    return loss, dx\n"],
                                         ["    return np.zeros_like(loss), np.zeros_like(dx)\n"])
    two = mutants("import numpy as np\n\n\ndef f(x):\n    if x is None:\n        return None\n    if x.ndim:\n"
                  "        return x  # an array\n    return -x\n")
    assert [(m.operator, m.line, m.source) for m in two if m.operator == "zeros"] == [
        ("zeros", 8, "import numpy as np\n\n\ndef f(x):\n    if x is None:\n        return None\n    if x.ndim:\n"
                     "        return np.zeros_like(x)  # an array\n    return np.zeros_like(-x)\n")]
    assert "(and 1 more return)" in [m for m in two if m.operator == "zeros"][0].description
    assert not [m for m in mutants("def f(x):\n    return x + 1\n") if m.operator == "zeros"]  # no numpy as np


def test_identity_mutant_returns_the_first_positional_input_and_skips_functions_without_one(all_mutants):
    m = pick(all_mutants, "identity", "", "softmax_loss")
    assert m.description == f"line {line_of('return loss, dx')}: result replaced by the input `scores`: " \
                            "`return scores, scores`"
    assert spliced(MODULE, m.source)[1] == ["    return scores, scores\n"]
    assert not [m for m in all_mutants if m.operator == "identity" and m.function == "_same"]  # same AST: dropped
    assert not [m for m in mutants("def f(*, lr=0.1):\n    return lr * 2\n") if m.operator == "identity"]


NEW_OPERATORS = ["negate", "abs_dropped", "scale_argument", "copy_dropped", "ufunc_out"]


def nn_line(text: str) -> int:
    return line_of(text, NN_MODULE)


def test_new_operator_mutants_compile_change_only_their_line_and_leave_module_code_alone(nn_mutants):
    original, lines = ast.dump(ast.parse(NN_MODULE)), NN_MODULE.splitlines(keepends=True)
    assert {m.operator for m in nn_mutants} >= set(NEW_OPERATORS)
    for m in (m for m in nn_mutants if m.operator in NEW_OPERATORS):
        compile(m.source, "module.py", "exec")
        assert ast.dump(ast.parse(m.source)) != original
        old, new = spliced(NN_MODULE, m.source)
        assert old == [lines[m.line - 1]] and len(new) == 1  # one statement on one line: only it changed
        assert m.source.startswith('"""A mini numpy module') and "import copy\n\nimport numpy as np\n" in m.source
    assert mutants(NN_MODULE) == nn_mutants


def test_negate_mutants_drop_a_unary_minus_or_negate_one_returned_element(nn_mutants):
    m = pick(nn_mutants, "negate", "`-` dropped", "softplus")
    line = nn_line("z = np.exp(-np.abs(x))")
    assert (m.id, m.line, m.description) == ("softplus/negate/1", line,
                                             f"line {line}: `-` dropped: `-np.abs(x)` -> `np.abs(x)`")
    assert spliced(NN_MODULE, m.source) == (["    z = np.exp(-np.abs(x))\n"], ["    z = np.exp(np.abs(x))\n"])
    ms = [m for m in nn_mutants if m.operator == "negate" and m.function == "relu_forward"]
    line = nn_line("return out, x")
    assert [(m.line, m.description, spliced(NN_MODULE, m.source)) for m in ms] == [
        (line, f"line {line}: returned `out` negated: `return -out, x`",
         (["    return out, x\n"], ["    return -out, x\n"])),
        (line, f"line {line}: returned `x` negated: `return out, -x`",
         (["    return out, x\n"], ["    return out, -x\n"])),
    ]
    m = pick(nn_mutants, "negate", "returned `reg * np.sign(w)` negated")
    assert spliced(NN_MODULE, m.source)[1] == ["    return reg * abs(np.sum(np.abs(w))), -(reg * np.sign(w))\n"]
    # a tuple, a dict and a constant are not negated, `-1` keeps its sign, `-table` loses it
    assert [spliced(NN_MODULE, m.source)[1] for m in nn_mutants if m.operator == "negate"
            and m.function == "snapshot"] == [["    return both, grads, -1, table\n"]]
    indexed = mutants("def f(x):\n    return x[-1], 2.0, None, x[:-1]\n")  # -1 an index: its sign kept
    assert [m.source.splitlines()[1] for m in indexed if m.operator == "negate"] == [
        "    return -x[-1], 2.0, None, x[:-1]", "    return x[-1], 2.0, None, -x[:-1]"]


def test_abs_dropped_mutants_drop_np_abs_and_the_builtin_abs_one_call_each(nn_mutants):
    m = pick(nn_mutants, "abs_dropped", "", "softplus")
    line = nn_line("z = np.exp(-np.abs(x))")
    assert (m.line, m.description) == (line, f"line {line}: `np.abs` dropped: `np.abs(x)` -> `x`")
    assert spliced(NN_MODULE, m.source) == (["    z = np.exp(-np.abs(x))\n"], ["    z = np.exp(-x)\n"])
    ms = [m for m in nn_mutants if m.operator == "abs_dropped" and m.function == "l1"]
    assert [m.description.split(": ", 1)[1] for m in ms] == [
        "`abs` dropped: `abs(np.sum(np.abs(w)))` -> `np.sum(np.abs(w))`", "`np.abs` dropped: `np.abs(w)` -> `w`"]
    assert [spliced(NN_MODULE, m.source)[1] for m in ms] == [["    return reg * np.sum(np.abs(w)), reg * np.sign(w)\n"],
                                                             ["    return reg * abs(np.sum(w)), reg * np.sign(w)\n"]]


def test_scale_argument_mutants_double_and_halve_the_argument_of_an_elementwise_numpy_function(nn_mutants):
    ms = [m for m in nn_mutants if m.operator == "scale_argument" and m.function == "tanh_forward"]
    line = nn_line("return np.tanh(scale * x)")
    assert [(m.line, m.description, spliced(NN_MODULE, m.source)[1]) for m in ms] == [
        (line, f"line {line}: argument of `np.tanh` scaled: `np.tanh(scale * x)` -> `np.tanh(2 * (scale * x))`",
         ["    return np.tanh(2 * (scale * x))\n"]),
        (line, f"line {line}: argument of `np.tanh` scaled: `np.tanh(scale * x)` -> `np.tanh(scale * x / 2)`",
         ["    return np.tanh(scale * x / 2)\n"]),
    ]
    assert [spliced(NN_MODULE, m.source)[1] for m in nn_mutants
            if m.operator == "scale_argument" and m.function == "softplus"] == [
        ["    z = np.exp(2 * -np.abs(x))\n"], ["    z = np.exp(-np.abs(x) / 2)\n"],
        ["    return np.log1p(2 * z) + np.maximum(x, 0)\n"], ["    return np.log1p(z / 2) + np.maximum(x, 0)\n"]]
    # np.log(probs, out=logs) has a keyword, np.maximum and np.sign are not in the list
    assert not [m for m in nn_mutants if m.operator == "scale_argument" and m.function in ("clip_probs", "l1")]


def test_copy_dropped_mutants_remove_an_explicit_copy_so_the_result_aliases_its_input(nn_mutants):
    m = pick(nn_mutants, "copy_dropped", "", "relu_backward")
    line = nn_line("dx = dout.copy()")
    assert (m.line, m.description) == (line, f"line {line}: `.copy()` dropped: `dout.copy()` -> `dout`")
    assert spliced(NN_MODULE, m.source) == (["    dx = dout.copy()  # dx = dout would alias it\n"],
                                            ["    dx = dout  # dx = dout would alias it\n"])
    ms = [m for m in nn_mutants if m.operator == "copy_dropped" and m.function == "snapshot"]
    assert [(m.line, m.description.split(": ", 1)[1], spliced(NN_MODULE, m.source)[1]) for m in ms] == [
        (nn_line("saved = "), "`np.copy` dropped: `np.copy(v)` -> `v`",
         ["    saved = {k: v for k, v in params.items()}\n"]),
        (nn_line("last = "), "`np.array` dropped: `np.array(history[-1])` -> `history[-1]`",
         ["    last = history[-1]\n"]),
        (nn_line("both = "), "`copy.deepcopy` dropped: `copy.deepcopy(saved)` -> `saved`",
         ["    both = saved, copy.copy(last)\n"]),
        (nn_line("both = "), "`copy.copy` dropped: `copy.copy(last)` -> `last`",
         ["    both = copy.deepcopy(saved), last\n"]),
    ]  # not np.array(history, dtype=np.float64): it converts as well as copies
    assert len([m for m in nn_mutants if m.operator == "copy_dropped"]) == 5


def test_ufunc_out_mutants_write_an_elementwise_call_into_the_first_parameter_among_its_arguments(nn_mutants):
    ms = [m for m in nn_mutants if m.operator == "ufunc_out"]
    line, clip = nn_line("out = np.maximum(0, x)"), nn_line("p = np.clip(probs")
    assert [(m.id, m.line, m.description) for m in ms] == [
        ("relu_forward/ufunc_out/1", line,
         f"line {line}: `np.maximum(0, x)` -> `np.maximum(0, x, out=x)` (input `x` overwritten in place)"),
        ("clip_probs/ufunc_out/1", clip,
         f"line {clip}: `np.clip(probs, eps, 1 - eps)` -> `np.clip(probs, eps, 1 - eps, out=probs)` "
         "(input `probs` overwritten in place)"),
    ]  # not np.log(probs, out=logs) (an out= already), not np.where (no ufunc), not np.exp(-np.abs(x)) (no name)
    assert [spliced(NN_MODULE, m.source) for m in ms] == [
        (["    out = np.maximum(0, x)  # a new array\n"], ["    out = np.maximum(0, x, out=x)  # a new array\n"]),
        (["    p = np.clip(probs, eps, 1 - eps)  # keep away from 0 and 1\n"],
         ["    p = np.clip(probs, eps, 1 - eps, out=probs)  # keep away from 0 and 1\n"]),
    ]
    local = mutants("import numpy as np\n\n\ndef f(a):\n    b = a * 2\n    c = np.exp(b, dtype=float)\n"
                    "    return np.exp(a)\n")  # b is no parameter; a return is no assignment
    assert not [m for m in local if m.operator == "ufunc_out"]


# The two operators that model robustness bugs: a numerically stable form written naively (it
# overflows at +-1000, gives log(0) at probabilities of 0 or 1) and np.sign as a quotient (nan at 0).
STABLE_MODULE = '''"""A mini numpy module written in numerically stable forms."""

import numpy as np


def log_sigmoid(z):
    """log(sigmoid(z)) for any z."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.minimum(z, 0) - np.log1p(e)


def elu(x, alpha=1.0):
    """ELU and its local slope."""
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))  # no overflow for x >> 0
    slope = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(0, x)))
    return out, slope


def log_softmax(x, y):
    """Log-probabilities of the rows of x, and three more shifted arrays."""
    shifted = x - np.max(x, axis=1, keepdims=True)  # the largest entry is 0
    rows = x[0] - x[0].max()
    flat = np.ravel(x) - np.amax(np.ravel(x))
    other = x - np.max(y)  # a max of something else: no shift
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True)), rows, flat, other


def bce(probs, target, eps=1e-12):
    """Binary cross-entropy of clipped probabilities, and a softplus of a clipped array."""
    p = np.clip(probs, eps, 1 - eps)  # no log(0)
    q = np.clip(probs, a_min=eps, a_max=1 - eps)
    r = np.clip(probs, eps, 1 - eps, out=probs)  # an out=: left alone
    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - q)), np.logaddexp(0, -r)


def l1(w, reg):
    """The gradient of the L1 penalty, 0 at w == 0."""
    return reg * np.sign(w), np.sign(w - 1) / 2, np.sign(w, out=w)  # the last has a keyword: left alone
'''

ROBUSTNESS_OPERATORS = ["naive_form", "sign_quotient"]


@pytest.fixture(scope="module")
def stable_mutants() -> list[Mutant]:
    return mutants(STABLE_MODULE)


def stable_line(text: str) -> int:
    return line_of(text, STABLE_MODULE)


def rewrites(ms: list[Mutant], operator: str, function: str) -> list[tuple[int, str, list[str], list[str]]]:
    """(line, description after the line, original lines, mutated lines) of each mutant of
    ``operator`` in ``function`` of STABLE_MODULE."""
    return [(m.line, m.description.split(": ", 1)[1], *spliced(STABLE_MODULE, m.source)) for m in ms
            if m.operator == operator and m.function == function]


def test_robustness_mutants_compile_change_only_their_line_and_are_deterministic(stable_mutants):
    original, lines = ast.dump(ast.parse(STABLE_MODULE)), STABLE_MODULE.splitlines(keepends=True)
    ours = [m for m in stable_mutants if m.operator in ROBUSTNESS_OPERATORS]
    assert Counter(m.operator for m in ours) == {"naive_form": 6, "sign_quotient": 2}
    for m in ours:
        compile(m.source, "module.py", "exec")
        assert ast.dump(ast.parse(m.source)) != original
        assert m.description.startswith(f"line {m.line}: ") and "\n" not in m.description
        old, new = spliced(STABLE_MODULE, m.source)
        assert old == [lines[m.line - 1]] and len(new) == 1  # one statement on one line: only it changed
    assert mutants(STABLE_MODULE) == stable_mutants
    assert [m.id for m in ours if m.function == "bce"] == ["bce/naive_form/1", "bce/naive_form/2", "bce/naive_form/3"]


def test_naive_form_writes_log1p_expm1_and_logaddexp_as_the_formulas_they_stand_for(stable_mutants):
    line = stable_line("np.log1p(e)")
    assert rewrites(stable_mutants, "naive_form", "log_sigmoid") == [
        (line, "`np.log1p(e)` -> `np.log(1 + e)` (naive form)",
         ["    return np.minimum(z, 0) - np.log1p(e)\n"], ["    return np.minimum(z, 0) - np.log(1 + e)\n"])]
    line = stable_line("np.expm1(")
    assert rewrites(stable_mutants, "naive_form", "elu")[0] == (
        line, "`np.expm1(np.minimum(x, 0))` -> `np.exp(np.minimum(x, 0)) - 1` (naive form)",
        ["    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))  # no overflow for x >> 0\n"],
        ["    out = np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))  # no overflow for x >> 0\n"])
    m = pick(stable_mutants, "naive_form", "np.logaddexp")
    line = stable_line("np.logaddexp(0, -r)")
    assert (m.function, m.line, m.description) == (
        "bce", line, f"line {line}: `np.logaddexp(0, -r)` -> `np.log(np.exp(0) + np.exp(-r))` (naive form)")
    assert spliced(STABLE_MODULE, m.source)[1] == [
        "    return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - q)), np.log(np.exp(0) + np.exp(-r))\n"]


def test_naive_form_drops_a_clipping_given_by_position_or_keyword_but_not_one_with_an_out(stable_mutants):
    clips = [r for r in rewrites(stable_mutants, "naive_form", "bce") if "clipping" in r[1]]
    p, q = stable_line("p = np.clip("), stable_line("q = np.clip(")
    assert clips == [
        (p, "clipping dropped: `np.clip(probs, eps, 1 - eps)` -> `probs`",
         ["    p = np.clip(probs, eps, 1 - eps)  # no log(0)\n"], ["    p = probs  # no log(0)\n"]),
        (q, "clipping dropped: `np.clip(probs, a_min=eps, a_max=1 - eps)` -> `probs`",
         ["    q = np.clip(probs, a_min=eps, a_max=1 - eps)\n"], ["    q = probs\n"]),
    ]  # not r = np.clip(probs, eps, 1 - eps, out=probs)


def test_naive_form_drops_the_bound_that_keeps_the_argument_of_exp_non_positive(stable_mutants, monkeypatch):
    line = stable_line("slope = ")
    assert rewrites(stable_mutants, "naive_form", "elu")[1] == (
        line, "`np.exp(np.minimum(0, x))` -> `np.exp(x)` (naive form)",
        ["    slope = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(0, x)))\n"],
        ["    slope = np.where(x > 0, 1.0, alpha * np.exp(x))\n"])
    minimum = mutants("import numpy as np\n\n\ndef f(x):\n    return np.exp(np.minimum(x, 0.0)), np.exp(-x)\n")
    assert [(m.line, m.source.splitlines()[4]) for m in minimum if m.operator == "naive_form"] == [
        (5, "    return np.exp(x), np.exp(-x)")]
    # np.exp(-np.abs(z)) -> np.exp(-z) is the mutant abs_dropped makes first: it is kept under that operator
    line = stable_line("e = np.exp(-np.abs(z))")
    assert [r[0] for r in rewrites(stable_mutants, "naive_form", "log_sigmoid")] == [stable_line("np.log1p(e)")]
    assert rewrites(stable_mutants, "abs_dropped", "log_sigmoid") == [
        (line, "`np.abs` dropped: `np.abs(z)` -> `z`",
         ["    e = np.exp(-np.abs(z))  # in (0, 1]\n"], ["    e = np.exp(-z)  # in (0, 1]\n"])]
    monkeypatch.setattr(mutation, "_GENERATORS", {op: g for op, g in mutation._GENERATORS.items()
                                                  if op != "abs_dropped"})
    alone = mutants(STABLE_MODULE)  # without abs_dropped, naive_form makes that very mutant
    m = pick(alone, "naive_form", "np.exp(-np.abs(z))")
    assert (m.id, m.line, m.description) == ("log_sigmoid/naive_form/1", line,
                                             f"line {line}: `np.exp(-np.abs(z))` -> `np.exp(-z)` (naive form)")
    assert spliced(STABLE_MODULE, m.source)[1] == ["    e = np.exp(-z)  # in (0, 1]\n"]


def test_naive_form_drops_a_max_shift_of_the_same_expression_only(stable_mutants, monkeypatch):
    shifts = [(stable_line(text), old, new) for text, old, new in [
        ("shifted = x - np.max", "x - np.max(x, axis=1, keepdims=True)", "    shifted = x  # the largest entry is 0\n"),
        ("rows = ", "x[0] - x[0].max()", "    rows = x[0]\n"),
        ("flat = ", "np.ravel(x) - np.amax(np.ravel(x))", "    flat = np.ravel(x)\n")]]
    # `e - max(e)` -> `e` is a mutant drop_term makes first (a - b -> a): it is kept under that operator
    assert not rewrites(stable_mutants, "naive_form", "log_softmax")
    drops = [(m.line, spliced(STABLE_MODULE, m.source)[1]) for m in stable_mutants if m.operator == "drop_term"]
    assert all((line, [new]) in drops for line, _, new in shifts)
    monkeypatch.setattr(mutation, "_GENERATORS", {op: g for op, g in mutation._GENERATORS.items()
                                                  if op != "drop_term"})
    alone = mutants(STABLE_MODULE)  # without drop_term, naive_form makes those very mutants
    assert [(m.line, m.description, spliced(STABLE_MODULE, m.source)[1]) for m in alone
            if m.operator == "naive_form" and m.function == "log_softmax"] == [
        (line, f"line {line}: max shift dropped: `{old}` -> `{old.split(' - ')[0]}`", [new])
        for line, old, new in shifts]  # not other = x - np.max(y): a max of another array
    assert [m.id for m in alone if m.operator == "naive_form" and m.function == "log_softmax"] == [
        "log_softmax/naive_form/1", "log_softmax/naive_form/2", "log_softmax/naive_form/3"]


def test_sign_quotient_writes_np_sign_as_a_quotient_that_is_nan_at_zero(stable_mutants):
    line = stable_line("return reg * np.sign(w)")
    assert rewrites(stable_mutants, "sign_quotient", "l1") == [
        (line, "`np.sign(w)` -> `w / np.abs(w)` (nan at 0)",
         ["    return reg * np.sign(w), np.sign(w - 1) / 2, np.sign(w, out=w)  # the last has a keyword: left alone\n"],
         ["    return reg * (w / np.abs(w)), np.sign(w - 1) / 2, np.sign(w, out=w)"
          "  # the last has a keyword: left alone\n"]),
        (line, "`np.sign(w - 1)` -> `(w - 1) / np.abs(w - 1)` (nan at 0)",
         ["    return reg * np.sign(w), np.sign(w - 1) / 2, np.sign(w, out=w)  # the last has a keyword: left alone\n"],
         ["    return reg * np.sign(w), (w - 1) / np.abs(w - 1) / 2, np.sign(w, out=w)"
          "  # the last has a keyword: left alone\n"]),
    ]
    assert [m.id for m in stable_mutants if m.operator == "sign_quotient"] == ["l1/sign_quotient/1",
                                                                               "l1/sign_quotient/2"]


def test_per_function_cap_chooses_round_robin_across_operators_and_keeps_the_uncapped_ids(all_mutants):
    for cap in (1, 3, 5, 9):
        capped = mutants(MODULE, per_function=cap)
        assert set(capped) <= set(all_mutants)  # same ids, same sources
        assert capped == [m for m in all_mutants if m in capped]  # same order
        for function in {m.function for m in all_mutants}:
            full = [m for m in all_mutants if m.function == function]
            mine = [m for m in capped if m.function == function]
            assert len(mine) == min(cap, len(full))
            operators = [op for op in OPERATORS if any(m.operator == op for m in full)]
            assert {m.operator for m in mine} == set(operators[:cap])  # one each before any second
    capped = [m for m in mutants(MODULE, per_function=14) if m.function == "softmax_loss"]
    counts = Counter(m.operator for m in capped)  # 13 operators apply to softmax_loss: one more for arith
    assert len(counts) == 13 and counts["arith"] == 2 and counts["constant"] == 1
    assert [m.id for m in capped if m.operator == "arith"] == ["softmax_loss/arith/1", "softmax_loss/arith/2"]
    assert mutants(MODULE, per_function=0) == []


def test_functions_filter_keeps_only_the_named_functions_with_the_same_ids(all_mutants):
    only = mutants(MODULE, functions=["sgd", "mse"])
    assert only == [m for m in all_mutants if m.function in ("sgd", "mse")]
    assert {m.function for m in only} == {"sgd", "mse"}
    with pytest.raises(ValueError, match="relu_foward"):
        mutants(MODULE, functions=["relu_foward"])


def test_splicing_keeps_non_ascii_comments_and_crlf_line_endings_byte_identical():
    source = ('"""Doc: σ."""\r\n\r\nimport numpy as np\r\n\r\n\r\ndef f(x, y):\r\n    """σ(x) ≥ 0."""\r\n'
              "    z = x * 2  # σ-scaled, ≥ 0\r\n    t = x - y\r\n    return z, t\r\n")
    ms = mutants(source)
    m = pick(ms, "arith", "`*` -> `/` in `x * 2`")
    assert spliced(source, m.source) == (["    z = x * 2  # σ-scaled, ≥ 0\r\n"], ["    z = x / 2  # σ-scaled, ≥ 0\r\n"])
    m = pick(ms, "inplace", "`t = x - y`")
    assert spliced(source, m.source) == (["    t = x - y\r\n"], ["    x -= y\r\n", "    t = x\r\n"])
    for m in ms:
        compile(m.source, "module.py", "exec")


@pytest.fixture(scope="module")
def reference_mutants() -> dict[Path, list[Mutant]]:
    return {path: mutants(path.read_text(), filename=path.name) for path in REFERENCES}


@pytest.mark.parametrize("path", REFERENCES, ids=lambda p: p.stem)
def test_every_reference_solution_gets_many_compiling_mutants_for_each_public_function(path, reference_mutants):
    ms = reference_mutants[path]
    assert len(ms) >= 40
    for m in ms:
        compile(m.source, path.name, "exec")
        assert spliced(path.read_text(), m.source)[0]  # something changed
    public = [n.name for n in ast.parse(path.read_text()).body
              if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    per_function = Counter(m.function for m in ms)
    assert {name: per_function[name] for name in public if per_function[name] < 5} == {}  # the ones short of 5


def test_all_twenty_one_operators_occur_across_the_reference_solutions(reference_mutants):
    seen = Counter(m.operator for ms in reference_mutants.values() for m in ms)
    assert {op for op in OPERATORS if seen[op] == 0} == set()
    assert set(seen) == set(OPERATORS)


@pytest.mark.parametrize("name", ["mutation.py", "mutators.py", "pitfalls.py"])
def test_the_mutation_modules_stay_under_400_lines_and_import_one_way(name):
    source = (REPO / "grader" / name).read_text()
    assert len(source.splitlines()) < 400
    imported = {n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import) for a in n.names}
    grader = {module for module in imported if module and module.startswith("grader")}
    # one way: mutation -> pitfalls -> mutators, mutation -> mutators, never the reverse
    assert grader == {"mutation.py": {"grader.mutators", "grader.pitfalls"}, "mutators.py": set(),
                      "pitfalls.py": {"grader.mutators"}}[name]
