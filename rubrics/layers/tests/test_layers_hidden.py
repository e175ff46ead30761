"""Hidden tests of the `layers` assignment: the affine layer, ReLU, and the check
that no function of the assignment modifies its inputs.

The other activations are in test_activations_hidden.py, softmax in
test_softmax_hidden.py. Targets for gradients are central-difference gradients
of the *reference* forward pass, so a backward that is consistent with a wrong
forward cannot pass. Every input is drawn from ``rng`` (seeded from the run's
seed and the test id).
"""

import math

import numpy as np
import pytest

from grader.comparison import RTOL_NUMERIC, check_array, check_tuple, check_unchanged
from grader.failure import MismatchError
from grader.gradcheck import numerical_gradient_array
from grader.protocol import Handle

# (shape of x, M): 2-D, a batch of one, and 3-D / 4-D inputs that must be flattened.
AFFINE_CASES = [((5, 4), 3), ((1, 6), 2), ((3, 2, 4), 5), ((2, 3, 2, 2), 4)]
RELU_SHAPES = [(6, 5), (1, 7), (2, 3, 4)]


def affine_inputs(rng, x_shape, m):
    d = math.prod(x_shape[1:])
    return rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)


def student_affine_backward(student, x, w, b, dout):
    _, cache = check_tuple(student.affine_forward(x, w, b), length=2, name="affine_forward(x, w, b)")
    return check_tuple(student.affine_backward(dout, cache), length=3, name="affine_backward(dout, cache)")


def dw_mistakes(x, dout):
    x_flat = x.reshape(x.shape[0], -1)
    return {"dw = dout.T @ x_flat is the transpose of the right result; dw = x_flat.T @ dout "
            "has the shape of w, (D, M)": (x_flat.T @ dout).T}


def db_mistakes(dout):
    return {"db was summed over axis 1 (each example's M outputs) instead of axis 0 "
            "(the batch of N examples)": dout.sum(axis=1)}


@pytest.mark.item("affine_forward")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_forward_matches_reference(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    out, _ = check_tuple(student.affine_forward(x, w, b), length=2, name="affine_forward(x, w, b)")
    expected, _ = ref.affine_forward(x, w, b)
    check_array(out, expected, name="out", batch_size=x_shape[0])


@pytest.mark.item("affine_backward_dx")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dx_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    dx, _, _ = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(v, w, b)[0], x, dout)
    check_array(dx, target, name="dx", rtol=RTOL_NUMERIC, batch_size=x_shape[0])


@pytest.mark.item("affine_backward_dw")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_dw_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    _, dw, _ = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(x, v, b)[0], w, dout)
    check_array(dw, target, name="dw", rtol=RTOL_NUMERIC, batch_size=x_shape[0], likely=dw_mistakes(x, dout))


@pytest.mark.item("affine_backward_db")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_db_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    _, _, db = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(x, w, v)[0], b, dout)
    check_array(db, target, name="db", rtol=RTOL_NUMERIC, batch_size=x_shape[0], likely=db_mistakes(dout))


@pytest.mark.item("relu_forward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_forward_matches_reference(student, ref, rng, shape):
    x = rng.standard_normal(shape)
    out, _ = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    check_array(out, ref.relu_forward(x)[0], name="out")


@pytest.mark.item("relu_forward")
def test_relu_forward_is_zero_at_and_below_the_kink(student):
    x = np.array([[-2.0, -0.0, 0.0, 1e-300, 3.5]])
    out, _ = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    check_array(out, np.array([[0.0, 0.0, 0.0, 1e-300, 3.5]]), name="out")


@pytest.mark.item("relu_backward")
@pytest.mark.parametrize("shape", RELU_SHAPES)
def test_relu_backward_matches_numerical_gradient(student, ref, rng, shape):
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    dout = rng.standard_normal(shape)
    _, cache = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    dx = student.relu_backward(dout, cache)
    target = numerical_gradient_array(lambda v: ref.relu_forward(v)[0], x, dout)
    check_array(dx, target, name="dx", rtol=RTOL_NUMERIC)


@pytest.mark.item("relu_backward")
def test_relu_backward_is_zero_at_the_kink(student, rng):
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.0]])
    dout = rng.uniform(1.0, 2.0, size=x.shape)
    _, cache = check_tuple(student.relu_forward(x), length=2, name="relu_forward(x)")
    dx = student.relu_backward(dout, cache)
    check_array(dx, np.where(x > 0, dout, 0.0), name="dx (the handout takes the derivative at 0 as 0)")


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
    x, w, b = affine_inputs(rng, (4, 3, 2), 5)
    x[0, 0, :] = [-1.0, 0.0]  # guarantee negative entries and a kink for the activations
    for layer, kwargs in LAYERS:
        forward, backward = f"{layer}_forward", f"{layer}_backward"
        args, labels = ((x, w, b), ("x", "w", "b")) if layer == "affine" else ((x,), ("x",))
        result, after = getattr(student, forward).with_args(*args, **kwargs)
        for label, before, now in zip(labels, args, after):
            check_unchanged(before, now, name=f"{forward}: {label}")
        _, cache = check_tuple(result, length=2, name=f"{forward}(...)")
        dout = rng.standard_normal((x.shape[0], w.shape[1]) if layer == "affine" else x.shape)
        _, after = getattr(student, backward).with_args(dout, cache)
        check_unchanged(dout, after[0], name=f"{backward}: dout")
        check_arrays_unchanged(cache, after[1], name=f"{backward}: the cache")
    logits = x.reshape(x.shape[0], -1)
    _, after = student.softmax.with_args(logits)
    check_unchanged(logits, after[0], name="softmax: x")
