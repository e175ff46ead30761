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

from grader.comparison import check_array, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError
from grader.gradcheck import numerical_gradient_array
from grader.protocol import Handle

# -- TOLERANCES (relative, check_array's metric); measured by
# `python rubrics/layers/measure_tolerances.py 50` (50 seeds of these tests' inputs).
# Why RTOL_FORWARD = 1e-6: affine_forward as x_flat @ w + b, np.dot, einsum or Python loops
# (math.fsum) differ from the reference by <= 4.5e-14; ReLU as maximum/where/x * mask by 0.
# Smallest bug 7.7e-2 (the bias left out). 1e-6 is far from both.
RTOL_FORWARD = 1e-6
# Why RTOL_GRADCHECK = 5e-5: dx, dw, db of the reference (and einsum/tensordot forms) against
# the central difference (h = 1e-5) of the reference forward: <= 3.9e-8 (affine), <= 1.2e-7
# (ReLU-like piecewise-linear gradients, away from the kink). Smallest bug 0.5 (an N-fold
# error at N = 2; transposes and wrong axes change the shape). Same constant as the
# activations' (~400x above the spread, 10^4 below the bug).
RTOL_GRADCHECK = 5e-5
# Why RTOL_KINK = 1e-6: values at the kink are exact (0, dout, or a value between them).
RTOL_KINK = 1e-6

# (shape of x, M): 2-D, a batch of one, and 3-D / 4-D inputs that must be flattened.
AFFINE_CASES = [((5, 4), 3), ((1, 6), 2), ((3, 2, 4), 5), ((2, 3, 2, 2), 4)]
RELU_SHAPES = [(6, 5), (1, 7), (2, 3, 4)]


def check_finite(out, *, name):
    """A numeric array of the input's size is finite everywhere; anything else (a wrong type,
    shape or dtype) is left to the forward's own item."""
    if isinstance(out, np.ndarray) and out.dtype.kind in "biuf" and not np.isfinite(out).all():
        bad = int((~np.isfinite(out)).sum())
        raise MismatchError(f"{name}: {bad} of {out.size} entries are NaN or infinite; "
                            "look for a division by x (or by |x|) at x == 0")


def affine_inputs(rng, x_shape, m):
    d = math.prod(x_shape[1:])
    return rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)


def student_affine_backward(student, x, w, b, dout):
    _, cache = check_tuple(student.affine_forward(x, w, b), length=2, name="affine_forward(x, w, b)")
    return check_tuple(student.affine_backward(dout, cache), length=3, name="affine_backward(dout, cache)")


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
    x, w, b = affine_inputs(rng, x_shape, m)
    out, _ = check_tuple(student.affine_forward(x, w, b), length=2, name="affine_forward(x, w, b)")
    expected, _ = ref.affine_forward(x, w, b)
    check_array(out, expected, name="out", rtol=RTOL_FORWARD, batch_size=x_shape[0],
                likely={"the bias b was not added: out = x_flat @ w + b": expected - b})


@pytest.mark.item("affine_backward_dx")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dx_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    dx, _, _ = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(v, w, b)[0], x, dout)
    check_array(dx, target, name="dx", rtol=RTOL_GRADCHECK, batch_size=x_shape[0], likely=dx_mistakes(x, dout, target))


@pytest.mark.item("affine_backward_dw")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dw_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    _, dw, _ = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(x, v, b)[0], w, dout)
    check_array(dw, target, name="dw", rtol=RTOL_GRADCHECK, batch_size=x_shape[0],
                likely=dw_mistakes(x, dout, target))


@pytest.mark.item("affine_backward_db")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_db_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    _, _, db = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(x, w, v)[0], b, dout)
    check_array(db, target, name="db", rtol=RTOL_GRADCHECK, batch_size=x_shape[0],
                likely=db_mistakes(dout, target))


@pytest.mark.item("relu_forward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_forward_matches_reference(student, ref, rng, shape):
    x = 3 * rng.standard_normal(shape)
    out, _ = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    check_array(out, ref.relu_forward(x)[0], name="out", rtol=RTOL_FORWARD)


@pytest.mark.item("relu_backward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_backward_matches_numerical_gradient(student, ref, rng, shape):
    x = 3 * rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    x.flat[:2] = [-1.5, 2.5]  # both sides of the kink, whatever the draw
    dout = rng.standard_normal(shape)
    _, cache = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    dx = student.relu_backward(dout, cache)
    target = numerical_gradient_array(lambda v: ref.relu_forward(v)[0], x, dout)
    check_array(dx, target, name="dx", rtol=RTOL_GRADCHECK, likely=relu_backward_mistakes(x, dout))


@pytest.mark.item("relu_edge_cases")
def test_relu_backward_is_right_at_large_inputs_and_takes_a_valid_slope_at_the_kink(student, rng):
    # As for the other activations' edge items: right at |x| = 1000 and any subgradient at the
    # kink (grade audit found no plausible bug this item could catch when only the kink was probed).
    x = np.array([[0.0, -0.0, 1000.0], [-1000.0, 0.0, 0.0]])
    dout = rng.uniform(1.0, 2.0, size=x.shape)
    out, cache = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    # finite at the kink (a division by x there gives nan); its value is relu_forward's business
    check_finite(out, name="relu_forward(x): out at x == 0")
    dx = student.relu_backward(dout, cache)
    expected = np.where(x > 0, dout, 0.0)
    if isinstance(dx, np.ndarray) and dx.shape == x.shape and dx.dtype.kind == "f":
        # Any subgradient is right at x == 0: every value from 0 to dout (PyTorch takes 0, so does
        # this course; `x >= 0` takes dout). Compare with the accepted value nearest to the student's.
        nearest = np.clip(np.where(np.isfinite(dx), dx, 0.0), 0.0, dout)
        expected = np.where(x == 0, nearest, expected)
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


def check_arrays_unchanged(before, after, *, name):
    """Every array in ``before`` (an array, or a tuple/list/dict holding arrays) is as it was in ``after``.
    An object kept in the worker (a namedtuple or class cache) is compared by the worker.
    Numbers are not compared."""
    if isinstance(before, (np.ndarray, Handle)):
        check_unchanged(before, after, name=name)
    elif isinstance(before, (tuple, list, dict)):
        if type(after) is not type(before) or len(after) != len(before):
            raise MismatchError(f"{name} was modified in place by the function (its length changed); "
                                "inputs must not be mutated")
        keys = before.keys() if isinstance(before, dict) else range(len(before))
        for key in keys:
            if isinstance(before, dict) and key not in after:
                raise MismatchError(f"{name}[{key!r}] was removed by the function; inputs must not be mutated")
            check_arrays_unchanged(before[key], after[key], name=f"{name}[{key!r}]")


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs(student, rng):
    """Every function that returns is judged; one that raises or times out is skipped (that is
    its own item's loss, and a function that never ran is no evidence of mutation). Every
    mutation found is listed. If no function returned at all, nothing was shown: the item fails."""
    x, w, b = affine_inputs(rng, (4, 3, 2), 5)
    x[0, 0, :] = [-1.0, 0.0]  # guarantee negative entries and a kink for the activations
    mutations: list[str] = []
    judged: list[str] = []
    skipped: list[str] = []

    def call(function, args, labels, **kwargs):
        """The function's result, with its arguments compared before and after; None if it did not return."""
        try:
            result, after = getattr(student, function).with_args(*args, **kwargs)
        except StudentCodeError as exc:
            if "arguments after the call" in str(exc):
                raise  # it ran, but its account of its arguments is unreadable: this item's own failure
            skipped.append(f"{function} ({str(exc).splitlines()[0][:120]})")
            return None
        judged.append(function)
        for label, before, now in zip(labels, args, after):
            try:
                check_arrays_unchanged(before, now, name=f"{function}: {label}")
            except MismatchError as exc:
                mutations.append(str(exc))
        return result

    for layer, kwargs in LAYERS:
        forward, backward = f"{layer}_forward", f"{layer}_backward"
        args, labels = ((x, w, b), ("x", "w", "b")) if layer == "affine" else ((x,), ("x",))
        result = call(forward, args, labels, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            continue  # no cache to pass on: the forward's own item says what it returned
        dout = rng.standard_normal((x.shape[0], w.shape[1]) if layer == "affine" else x.shape)
        call(backward, (dout, result[1]), ("dout", "the cache"))
    call("softmax", (x.reshape(x.shape[0], -1),), ("x",))
    if mutations:
        raise MismatchError("\n".join(mutations))
    if not judged:
        raise StudentCodeError("no function returned, so none could be checked for modifying its inputs: "
                               + "; ".join(skipped))
