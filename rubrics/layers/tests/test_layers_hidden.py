"""Hidden tests of the `layers` assignment (slice: affine and ReLU).

Targets for gradients are central-difference gradients of the *reference*
forward pass, so a backward that is consistent with a wrong forward cannot pass.
Every input is drawn from ``rng`` (seeded from the run's seed and the test id).
"""

import math

import numpy as np
import pytest

from grader.comparison import RTOL_NUMERIC, check_array, check_tuple, check_unchanged
from grader.gradcheck import numerical_gradient_array

# (shape of x, M): 2-D, a batch of one, and 3-D / 4-D inputs that must be flattened.
AFFINE_CASES = [((5, 4), 3), ((1, 6), 2), ((3, 2, 4), 5), ((2, 3, 2, 2), 4)]
RELU_SHAPES = [(6, 5), (1, 7), (2, 3, 4)]


def affine_inputs(rng, x_shape, m):
    d = math.prod(x_shape[1:])
    return rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)


def student_affine_backward(student, x, w, b, dout):
    _, cache = check_tuple(student.affine_forward(x, w, b), length=2, name="affine_forward(x, w, b)")
    return check_tuple(student.affine_backward(dout, cache), length=3, name="affine_backward(dout, cache)")


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
    check_array(dw, target, name="dw", rtol=RTOL_NUMERIC, batch_size=x_shape[0])


@pytest.mark.item("affine_backward_db")
@pytest.mark.parametrize("x_shape,m", AFFINE_CASES)
def test_affine_backward_db_matches_numerical_gradient(student, ref, rng, x_shape, m):
    x, w, b = affine_inputs(rng, x_shape, m)
    dout = rng.standard_normal((x_shape[0], m))
    _, _, db = student_affine_backward(student, x, w, b, dout)
    target = numerical_gradient_array(lambda v: ref.affine_forward(x, w, v)[0], b, dout)
    check_array(db, target, name="db", rtol=RTOL_NUMERIC, batch_size=x_shape[0])


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


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs(student, rng):
    x, w, b = affine_inputs(rng, (4, 3, 2), 5)
    x[0, 0, 0] = -1.0  # guarantee negative entries for ReLU
    dout = rng.standard_normal((4, 5))
    calls = [
        ("affine_forward", (x, w, b), ("x", "w", "b")),
        ("relu_forward", (x,), ("x",)),
    ]
    for name, args, labels in calls:
        _, after = getattr(student, name).with_args(*args)
        for label, before, now in zip(labels, args, after):
            check_unchanged(before, now, name=f"{name}: {label}")
    for forward, backward, args in (("affine_forward", "affine_backward", (x, w, b)),
                                    ("relu_forward", "relu_backward", (x,))):
        _, cache = check_tuple(getattr(student, forward)(*args), length=2, name=f"{forward}(...)")
        upstream = dout if backward == "affine_backward" else rng.standard_normal(x.shape)
        _, after = getattr(student, backward).with_args(upstream, cache)
        check_unchanged(upstream, after[0], name=f"{backward}: dout")
