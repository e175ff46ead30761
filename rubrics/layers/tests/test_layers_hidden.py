"""Hidden tests of the `layers` assignment: the affine layer, ReLU, and the check
that no function of the assignment modifies its inputs (judged only on the functions
that return: a crash or a timeout already costs that function's own item).

The other activations are in test_activations_hidden.py, softmax in
test_softmax_hidden.py. Targets for gradients are central-difference gradients
of the *reference* forward pass, so a backward that is consistent with a wrong
forward cannot pass. Every input is drawn from ``rng`` (seeded from the run's
seed and the test id).
"""

import math

import numpy as np
import pytest
from layerchecks import RTOL_FORWARD, RTOL_GRADCHECK, any_subgradient, check_finite

from grader.comparison import check_array
from grader.failure import MismatchError, StudentCodeError
from grader.testing import (MutationLog, backward, central_differences, check_backward, forward,
                            forward_backward)

# Tolerances: RTOL_FORWARD and RTOL_GRADCHECK in layerchecks.py (shared with the activations).
# Why RTOL_KINK = 1e-6: values at the kink are exact (0, dout, or a value between them).
RTOL_KINK = 1e-6

# (shape of x, M): 2-D, a batch of one, and 3-D / 4-D inputs that must be flattened.
AFFINE_CASES = [((5, 4), 3), ((1, 6), 2), ((3, 2, 4), 5), ((2, 3, 2, 2), 4)]
RELU_SHAPES = [(6, 5), (1, 7), (2, 3, 4)]
DIVISION_AT_ZERO = "a division by x (or by |x|) at x == 0"


def affine_inputs(rng, x_shape, m):
    """{"x": (N, d_1, ..., d_k), "w": (D, M), "b": (M,)}, D = d_1 * ... * d_k."""
    d = math.prod(x_shape[1:])
    return {"x": rng.standard_normal(x_shape), "w": rng.standard_normal((d, m)), "b": rng.standard_normal(m)}


# Named mistakes, matched on the whole array (not read off a ratio), so the same text on every
# input; never "<k>x (N)", which the engine treats as a one-input factor hint.
TOO_LARGE = ("is a factor (N) too large: the product over the batch already adds up the N examples' "
             "contributions; do not scale it by N")
TOO_SMALL = ("is a factor (N) too small: the gradient is summed over the batch, not averaged "
             "(the loss already divides by N)")


def dw_mistakes(x, dout, target):
    n = x.shape[0]
    mistakes = {"dw = dout.T @ x is the transpose of the right result: dw has the shape of w, (D, M)":
                (x.reshape(n, -1).T @ dout).T}
    if n > 1:
        mistakes[f"dw {TOO_LARGE}"] = n * target
        mistakes[f"dw {TOO_SMALL}"] = target / n
    return mistakes


def db_mistakes(dout, target):
    n = dout.shape[0]
    mistakes = {"db was summed over axis 1 (each example's M outputs) instead of axis 0 "
                "(the batch of N examples)": dout.sum(axis=1)}
    if n > 1:
        mistakes[f"db {TOO_LARGE}"] = n * target
        mistakes[f"db {TOO_SMALL}"] = target / n
    return mistakes


def dx_mistakes(x, dout, target):
    n = x.shape[0]
    return {f"dx {TOO_SMALL}": target / n} if n > 1 else {}


def relu_backward_mistakes(x, dout):
    return {"dx = dout * out: ReLU's local gradient is 1 where x > 0 (a mask), not the output max(0, x)":
            dout * np.maximum(x, 0),
            "dx is the mask alone: multiply it by dout (downstream = upstream x local gradient)":
            (x > 0).astype(float),
            "the gradient passes where x < 0: ReLU's local gradient is 0 there": dout,
            "the mask is inverted: the gradient passes where x > 0 and is 0 where x < 0": np.where(x > 0, 0.0, dout)}


@pytest.mark.item("affine_forward")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_forward_matches_reference(student, ref, rng, x_shape, m):
    inputs = affine_inputs(rng, x_shape, m)
    out, _ = forward(student, "affine", inputs=inputs)
    expected, _ = ref.affine_forward(*inputs.values())
    check_array(out, expected, name="out", rtol=RTOL_FORWARD, batch_size=x_shape[0],
                likely={"the bias b was not added: out = x_flat @ w + b": expected - inputs["b"]})


@pytest.mark.item("affine_backward_dx")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dx_matches_numerical_gradient(student, ref, rng, x_shape, m):
    inputs = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    check_backward(student, ref, "affine", inputs=inputs, dout=dout, wrt="x", rtol=RTOL_GRADCHECK,
                   batch_size=x_shape[0], likely=lambda target: dx_mistakes(inputs["x"], dout, target))


@pytest.mark.item("affine_backward_dw")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dw_matches_numerical_gradient(student, ref, rng, x_shape, m):
    # Written out (check_backward does the same): tests/test_audit.py weakens the course by removing
    # this very check_array.
    inputs = affine_inputs(rng, x_shape, m)
    x, dout = inputs["x"], rng.standard_normal((x_shape[0], m))
    _, (_, dw, _) = forward_backward(student, "affine", inputs=inputs, dout=dout)
    target = central_differences(ref.affine_forward, args=tuple(inputs.values()), wrt=1, dout=dout)
    check_array(dw, target, name="dw", rtol=RTOL_GRADCHECK, batch_size=x_shape[0],
                likely=dw_mistakes(x, dout, target))


@pytest.mark.item("affine_backward_db")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_db_matches_numerical_gradient(student, ref, rng, x_shape, m):
    inputs = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    check_backward(student, ref, "affine", inputs=inputs, dout=dout, wrt="b", rtol=RTOL_GRADCHECK,
                   batch_size=x_shape[0], likely=lambda target: db_mistakes(dout, target))


@pytest.mark.item("relu_forward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_forward_matches_reference(student, ref, rng, shape):
    x = 3 * rng.standard_normal(shape)
    out, _ = forward(student, "relu", inputs={"x": x})
    check_array(out, ref.relu_forward(x)[0], name="out", rtol=RTOL_FORWARD)


@pytest.mark.item("relu_backward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_backward_matches_numerical_gradient(student, ref, rng, shape):
    x = 3 * rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    x.flat[:2] = [-1.5, 2.5]  # both sides of the kink, whatever the draw
    dout = rng.standard_normal(shape)
    check_backward(student, ref, "relu", inputs={"x": x}, dout=dout, rtol=RTOL_GRADCHECK,
                   likely=relu_backward_mistakes(x, dout))


@pytest.mark.item("relu_edge_cases")
def test_relu_backward_is_right_at_large_inputs_and_takes_a_valid_slope_at_the_kink(student, rng):
    # As for the other activations' edge items: right at |x| = 1000 and any subgradient at the
    # kink (grade audit found no plausible bug this item could catch when only the kink was probed).
    x = np.array([[0.0, -0.0, 1000.0], [-1000.0, 0.0, 0.0]])
    dout = rng.uniform(1.0, 2.0, size=x.shape)
    out, cache = forward(student, "relu", inputs={"x": x})
    # finite at the kink (a division by x there gives nan); its value is relu_forward's business
    check_finite(out, name="relu_forward(x): out at x == 0", look_for=DIVISION_AT_ZERO)
    dx = backward(student, "relu", dout=dout, cache=cache)
    # Any subgradient is right at x == 0: every value from 0 to dout (PyTorch takes 0, so does
    # this course; `x >= 0` takes dout). Compared with the accepted value nearest to the student's.
    expected = any_subgradient(dx, np.where(x > 0, dout, 0.0), x=x, dout=dout, slope=0.0)
    check_array(dx, expected, name="dx at |x| = 1000 and at x == 0 (any value from 0 to dout is accepted "
                "at x == 0; the course takes 0)", rtol=RTOL_KINK, likely=relu_backward_mistakes(x, dout))


# Every pair of functions, with the keyword arguments it is called with. The forward
# pass gets x (and w, b); its backward gets dout and the forward's own cache.
LAYERS = [
    ("affine", {}),
    ("relu", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("leaky_relu", {"alpha": 0.1}),
    ("elu", {"alpha": 1.5}),
    ("softplus", {}),
    ("silu", {}),
]


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs(student, rng):
    """Every function that returns is judged; one that raises or times out is skipped (that is
    its own item's loss, and a function that never ran is no evidence of mutation). Every
    mutation found is listed, the caches passed to the backward passes included. If no
    function returned at all, nothing was shown: the item fails."""
    inputs = affine_inputs(rng, (4, 3, 2), 5)
    x, w = inputs["x"], inputs["w"]
    x[0, 0, :] = [-1.0, 0.0]  # guarantee negative entries and a kink for the activations
    log = MutationLog()
    for layer, kwargs in LAYERS:
        args = inputs if layer == "affine" else {"x": x}
        result = log.call(student, f"{layer}_forward", args=tuple(args.values()), labels=tuple(args), kwargs=kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            continue  # no cache to pass on: the forward's own item says what it returned
        dout = rng.standard_normal((x.shape[0], w.shape[1]) if layer == "affine" else x.shape)
        log.call(student, f"{layer}_backward", args=(dout, result[1]), labels=("dout", "the cache"))
    log.call(student, "softmax", args=(x.reshape(x.shape[0], -1),), labels=("x",))
    if log.mutations:
        raise MismatchError("\n".join(log.mutations))
    if not log.judged:
        raise StudentCodeError("no function returned, so none could be checked for modifying its inputs: "
                               + "; ".join(f"{function} ({message.splitlines()[0][:120]})"
                                           for function, message in log.skipped))
