"""Public tests of the `layers` assignment: small fixed cases you can work out by hand,
one or two per rubric item, and the classic mistakes named with the same hints as the
hidden tests (a modified input, a derivative applied to the input instead of the output,
a transposed dw, an N-fold error).

Run them with `grade local` in the assignment folder. Passing them does not
mean full marks: hidden tests with random shapes and values run when you submit.
"""

import numpy as np
import pytest

from grader.comparison import check_array, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError, StudentFailure

X = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]])                       # N = 3, D = 2
W = np.array([[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 2.0, -1.0]])              # D = 2, M = 4
B = np.array([0.0, 1.0, -1.0, 0.5])                                        # M = 4
DOUT = np.array([[1.0, 0.0, 2.0, -1.0], [0.0, 1.0, -1.0, 2.0], [3.0, -2.0, 1.0, 0.0]])  # N = 3, M = 4
N = 3

# Worked out by hand from out[i, j] = sum_k x[i, k] w[k, j] + b[j] and the chain rule.
OUT = np.array([[0.0, -1.0, -6.0, 4.5], [2.0, 4.0, 4.5, -1.5], [-0.5, 2.0, 2.0, -2.5]])
DX = np.array([[-3.0, 5.5], [5.0, -3.0], [2.0, 1.5]])
DW = np.array([[-2.0, 2.5, 0.5, 0.0], [1.0, 1.0, -6.0, 8.0]])
DB = np.array([4.0, -1.0, 2.0, 1.0])

TOO_LARGE = ("is a factor (N) too large: the product over the batch already adds up the N examples' "
             "contributions; do not scale it by N")
TOO_SMALL = ("is a factor (N) too small: the gradient is summed over the batch, not averaged "
             "(the loss already divides by N)")


def n_fold(name, right):
    return {f"{name} {TOO_LARGE}": N * right, f"{name} {TOO_SMALL}": right / N}


def affine_gradients(student):
    _, cache = check_tuple(student.affine_forward(X, W, B), length=2, name="affine_forward(x, w, b)")
    return check_tuple(student.affine_backward(DOUT, cache), length=3, name="affine_backward(dout, cache)")


@pytest.mark.item("affine_forward")
def test_affine_forward_small_example(student):
    out, _ = check_tuple(student.affine_forward(X, W, B), length=2, name="affine_forward(x, w, b)")
    check_array(out, OUT, name="out", likely={"the bias b was not added: out = x_flat @ w + b": OUT - B})


@pytest.mark.item("affine_backward_dx")
def test_affine_backward_dx_small_example(student):
    dx, _, _ = affine_gradients(student)
    check_array(dx, DX, name="dx", batch_size=N, likely=n_fold("dx", DX))


@pytest.mark.item("affine_backward_dw")
def test_affine_backward_dw_small_example(student):
    _, dw, _ = affine_gradients(student)
    likely = {"dw = dout.T @ x is the transpose of the right result: dw has the shape of w, (D, M)": DW.T}
    check_array(dw, DW, name="dw", batch_size=N, likely=likely | n_fold("dw", DW))


@pytest.mark.item("affine_backward_db")
def test_affine_backward_db_small_example(student):
    _, _, db = affine_gradients(student)
    likely = {"db was summed over axis 1 (each example's M outputs) instead of axis 0 "
              "(the batch of N examples)": np.array([2.0, 2.0, 2.0])}
    check_array(db, DB, name="db", batch_size=N, likely=likely | n_fold("db", DB))


@pytest.mark.item("relu_forward")
def test_relu_forward_small_example(student):
    out, _ = check_tuple(student.relu_forward(np.array([[-1.5, 0.5, 2.0]])), length=2, name="relu_forward(x)")
    check_array(out, np.array([[0.0, 0.5, 2.0]]), name="out")


RELU_X = np.array([[-1.5, 0.5, 2.0], [3.0, -0.5, 0.25]])  # several positive values: a factor is never one number
RELU_DOUT = np.array([[5.0, 6.0, 7.0], [-1.0, 2.0, 4.0]])


@pytest.mark.item("relu_backward")
def test_relu_backward_small_example(student):
    _, cache = check_tuple(student.relu_forward(RELU_X), length=2, name="relu_forward(x)")
    dx = student.relu_backward(RELU_DOUT, cache)
    likely = {"dx = dout * out: ReLU's local gradient is 1 where x > 0 (a mask), not the output max(0, x)":
              np.array([[0.0, 3.0, 14.0], [-3.0, 0.0, 1.0]]),
              "dx is the mask alone: multiply it by dout (downstream = upstream x local gradient)":
              np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])}
    check_array(dx, np.array([[0.0, 6.0, 7.0], [-1.0, 0.0, 4.0]]), name="dx", likely=likely)


# The activations below are checked at x = 0 and at x = +-ln 3 or +-ln 2, where the
# exponentials are simple fractions: e^(ln 3) = 3, so sigma(ln 3) = 1 / (1 + 1/3) = 3/4.
LN2, LN3 = np.log(2.0), np.log(3.0)


def backward_of(student, name, x, dout, **kwargs):
    """dx of ``<name>_backward`` called with the cache of your own ``<name>_forward``."""
    _, cache = check_tuple(getattr(student, f"{name}_forward")(x, **kwargs), length=2, name=f"{name}_forward(x)")
    return getattr(student, f"{name}_backward")(dout, cache)


@pytest.mark.item("sigmoid_forward")
def test_sigmoid_forward_small_example(student):
    out, _ = check_tuple(student.sigmoid_forward(np.array([[0.0, LN3, -LN3]])), length=2, name="sigmoid_forward(x)")
    check_array(out, np.array([[0.5, 0.75, 0.25]]), name="out")


@pytest.mark.item("sigmoid_backward")
def test_sigmoid_backward_small_example(student):
    # sigma'(x) = sigma(x) (1 - sigma(x)): 1/2 * 1/2 = 1/4 at 0, 3/4 * 1/4 = 3/16 at +-ln 3
    x, dout = np.array([[0.0, LN3, -LN3]]), np.array([[1.0, 4.0, -4.0]])
    likely = {"the derivative sigma(1 - sigma) was applied to the input x instead of to the output "
              "sigma(x): did you cache x and compute x * (1 - x)?": dout * x * (1 - x)}
    check_array(backward_of(student, "sigmoid", x, dout), np.array([[0.25, 0.75, -0.75]]), name="dx", likely=likely)


@pytest.mark.item("tanh_forward")
def test_tanh_forward_small_example(student):
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5
    out, _ = check_tuple(student.tanh_forward(np.array([[0.0, LN2, -LN2]])), length=2, name="tanh_forward(x)")
    check_array(out, np.array([[0.0, 0.6, -0.6]]), name="out")


@pytest.mark.item("tanh_backward")
def test_tanh_backward_small_example(student):
    # tanh'(x) = 1 - tanh(x)^2: 1 at 0, 1 - 9/25 = 16/25 = 0.64 at +-ln 2
    x, dout = np.array([[0.0, LN2, -LN2]]), np.array([[1.0, 1.0, 2.0]])
    likely = {"1 - tanh^2 was applied to the input x instead of to the output tanh(x): "
              "did you cache x and compute 1 - x**2?": dout * (1 - x * x)}
    check_array(backward_of(student, "tanh", x, dout), np.array([[1.0, 0.64, 1.28]]), name="dx", likely=likely)


@pytest.mark.item("leaky_relu_forward")
def test_leaky_relu_forward_small_example(student):
    x = np.array([[-2.0, 0.0, 3.0]])
    out, _ = check_tuple(student.leaky_relu_forward(x), length=2, name="leaky_relu_forward(x)")
    check_array(out, np.array([[-0.02, 0.0, 3.0]]), name="out (default alpha = 0.01)")
    out, _ = check_tuple(student.leaky_relu_forward(x, alpha=0.5), length=2, name="leaky_relu_forward(x, alpha=0.5)")
    check_array(out, np.array([[-1.0, 0.0, 3.0]]), name="out (alpha = 0.5)")


@pytest.mark.item("leaky_relu_backward")
def test_leaky_relu_backward_small_example(student):
    # slope alpha where x < 0, 1 where x > 0
    dx = backward_of(student, "leaky_relu", np.array([[-2.0, 1.0, 3.0]]), np.array([[2.0, 4.0, 6.0]]), alpha=0.5)
    check_array(dx, np.array([[1.0, 4.0, 6.0]]), name="dx (alpha = 0.5)")


@pytest.mark.item("elu_forward")
def test_elu_forward_small_example(student):
    # alpha (e^(-ln 2) - 1) = alpha (1/2 - 1) = -alpha / 2
    x = np.array([[-LN2, 0.0, 2.0]])
    out, _ = check_tuple(student.elu_forward(x), length=2, name="elu_forward(x)")
    check_array(out, np.array([[-0.5, 0.0, 2.0]]), name="out (default alpha = 1)")
    out, _ = check_tuple(student.elu_forward(x, alpha=2.0), length=2, name="elu_forward(x, alpha=2.0)")
    check_array(out, np.array([[-1.0, 0.0, 2.0]]), name="out (alpha = 2)")


@pytest.mark.item("elu_backward")
def test_elu_backward_small_example(student):
    # alpha e^x where x < 0 (2 * 1/2 = 1 at -ln 2, 2 * 1/3 at -ln 3), 1 where x > 0
    dx = backward_of(student, "elu", np.array([[-LN2, -LN3, 2.0]]), np.array([[1.0, 3.0, 1.0]]), alpha=2.0)
    check_array(dx, np.array([[1.0, 2.0, 1.0]]), name="dx (alpha = 2)")


@pytest.mark.item("softplus_forward")
def test_softplus_forward_small_example(student):
    # log(1 + e^x): log 2 at 0, log 4 at ln 3, log(4/3) at -ln 3
    out, _ = check_tuple(student.softplus_forward(np.array([[0.0, LN3, -LN3]])), length=2, name="softplus_forward(x)")
    check_array(out, np.log(np.array([[2.0, 4.0, 4.0 / 3.0]])), name="out")


@pytest.mark.item("softplus_backward")
def test_softplus_backward_small_example(student):
    # softplus'(x) = sigma(x)
    dx = backward_of(student, "softplus", np.array([[0.0, LN3, -LN3]]), np.array([[2.0, 4.0, 4.0]]))
    check_array(dx, np.array([[1.0, 3.0, 1.0]]), name="dx")


@pytest.mark.item("silu_forward")
def test_silu_forward_small_example(student):
    # x sigma(x): 0 at 0, ln 3 * 3/4 at ln 3, -ln 3 * 1/4 at -ln 3
    out, _ = check_tuple(student.silu_forward(np.array([[0.0, LN3, -LN3]])), length=2, name="silu_forward(x)")
    check_array(out, np.array([[0.0, 0.75 * LN3, -0.25 * LN3]]), name="out")


@pytest.mark.item("silu_backward")
def test_silu_backward_small_example(student):
    # sigma(x) + x sigma(x) (1 - sigma(x)): 1/2 at 0, 3/4 + 3/16 ln 3 at ln 3, 1/4 - 3/16 ln 3 at -ln 3
    dx = backward_of(student, "silu", np.array([[0.0, LN3, -LN3]]), np.array([[1.0, 1.0, 1.0]]))
    check_array(dx, np.array([[0.5, 0.75 + 3 / 16 * LN3, 0.25 - 3 / 16 * LN3]]), name="dx")


@pytest.mark.item("softmax")
def test_softmax_small_example(student):
    # e^0, e^(ln 2), e^(ln 3) = 1, 2, 3 (sum 6); a row of equal scores is uniform
    probs = student.softmax(np.array([[0.0, LN2, LN3], [5.0, 5.0, 5.0]]))
    check_array(probs, np.array([[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]]), name="softmax(x)")


# -- edge cases: |x| = 800 (exp(800) is inf) and the kink x == 0 -----------------------------
BIG = np.array([[-800.0, 800.0]])
EDGE = {  # name: (forward at BIG, local gradient at BIG)
    "sigmoid": ([[0.0, 1.0]], [[0.0, 0.0]]),
    "tanh": ([[-1.0, 1.0]], [[0.0, 0.0]]),
    "elu": ([[-1.0, 800.0]], [[0.0, 1.0]]),
    "softplus": ([[0.0, 800.0]], [[0.0, 1.0]]),
    "silu": ([[0.0, 800.0]], [[0.0, 1.0]]),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.item(f"{n}_edge_cases")) for n in EDGE])
def test_finite_and_right_at_800(student, name):
    forward, local = (np.array(v) for v in EDGE[name])
    try:
        out, _ = check_tuple(getattr(student, f"{name}_forward")(BIG), length=2, name=f"{name}_forward(x)")
        check_array(out, forward, name="out for x = [[-800, 800]]")
        check_array(backward_of(student, name, BIG, np.ones_like(BIG)), local, name="dx for x = [[-800, 800]]")
    except StudentFailure as exc:
        raise type(exc)(f"{exc}\n    hint: README.md, the numerical stability note of {name}") from None


@pytest.mark.item("softmax_edge_cases")
def test_softmax_of_large_logits(student):
    check_array(student.softmax(np.array([[800.0, 800.0 + LN3]])), np.array([[0.25, 0.75]]),
                name="softmax(x) for x = [[800, 800 + ln 3]] (subtract each row's maximum before exp)")


@pytest.mark.parametrize("name,alpha", [pytest.param("relu", None, marks=pytest.mark.item("relu_edge_cases")),
                                        pytest.param("leaky_relu", 0.5, marks=pytest.mark.item("leaky_relu_edge_cases"))])
def test_any_slope_between_the_two_sides_is_accepted_at_zero(student, name, alpha):
    x, dout = np.array([[0.0, -0.0]]), np.array([[2.0, 4.0]])
    dx = backward_of(student, name, x, dout, **({} if alpha is None else {"alpha": alpha}))
    low = (0.0 if alpha is None else alpha) * dout
    expected = low.copy()
    if isinstance(dx, np.ndarray) and dx.shape == x.shape and dx.dtype.kind == "f":
        # anything from the left slope to the right one (times dout)
        expected = np.clip(np.where(np.isfinite(dx), dx, low), low, dout)
    check_array(dx, expected, name=f"dx at x == 0 (any value from {low[0, 0] / 2:g} * dout to dout is accepted)")


# -- no function modifies its inputs -----------------------------------------------------------
def unchanged_arrays(before, after, *, name):
    """Every array in ``before`` (an array or a tuple/list of them) is as it was; numbers are not compared."""
    if isinstance(before, (tuple, list)):
        if not isinstance(after, (tuple, list)) or len(after) != len(before):
            raise MismatchError(f"{name} was modified in place by the function (its length changed)")
        for index, (old, new) in enumerate(zip(before, after)):
            unchanged_arrays(old, new, name=f"{name}[{index}]")
    elif not isinstance(before, (int, float, str, type(None))):
        check_unchanged(before, after, name=name)


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs(student):
    """Only functions that return are judged (a crash is that function's own item)."""
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 1.0]])
    mutations, judged = [], 0
    calls = [("affine_forward", (X, W, B), ("x", "w", "b"))]
    for name in ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "silu"):
        calls.append((f"{name}_forward", (x,), ("x",)))
    calls.append(("softmax", (x,), ("x",)))
    for function, args, labels in calls:
        try:
            result, after = getattr(student, function).with_args(*args)
        except StudentCodeError as exc:
            if "arguments after the call" in str(exc):
                raise  # it ran, but its account of its arguments is unreadable
            continue  # it could not run: its own item says why
        judged += 1
        for label, before, now in zip(labels, args, after):
            try:
                check_unchanged(before, now, name=f"{function}: {label}")
            except MismatchError as exc:
                mutations.append(str(exc))
        backward = function.replace("_forward", "_backward")
        if backward != function and isinstance(result, (tuple, list)) and len(result) == 2:
            dout = DOUT if function == "affine_forward" else np.ones_like(x) * 3.0
            try:
                _, after = getattr(student, backward).with_args(dout, result[1])
            except StudentCodeError as exc:
                if "arguments after the call" in str(exc):
                    raise
                continue
            try:
                check_unchanged(dout, after[0], name=f"{backward}: dout")
                unchanged_arrays(result[1], after[1], name=f"{backward}: the cache")
            except MismatchError as exc:
                mutations.append(str(exc))
    if mutations:
        raise MismatchError("\n".join(mutations))
    if not judged:
        raise StudentCodeError("no function returned, so none could be checked for modifying its inputs")
