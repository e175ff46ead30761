"""Public tests of the `layers` assignment: small fixed cases you can work out by hand,
one or two per rubric item.

Run them with `grade local` in the assignment folder. Passing them does not
mean full marks: hidden tests with random shapes and values run when you submit.
"""

import numpy as np
import pytest

from grader.comparison import check_array, check_tuple

X = np.array([[1.0, 2.0], [3.0, 4.0]])                # N = 2, D = 2
W = np.array([[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]])     # D = 2, M = 3
B = np.array([0.0, 1.0, -1.0])                        # M = 3
DOUT = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])  # N = 2, M = 3


def affine_gradients(student):
    _, cache = check_tuple(student.affine_forward(X, W, B), length=2, name="affine_forward(x, w, b)")
    return check_tuple(student.affine_backward(DOUT, cache), length=3, name="affine_backward(dout, cache)")


@pytest.mark.item("affine_forward")
def test_affine_forward_small_example(student):
    out, _ = check_tuple(student.affine_forward(X, W, B), length=2, name="affine_forward(x, w, b)")
    check_array(out, np.array([[2.0, 3.0, 2.0], [5.0, 5.0, 4.0]]), name="out")


@pytest.mark.item("affine_backward_dx")
def test_affine_backward_dx_small_example(student):
    dx, _, _ = affine_gradients(student)
    check_array(dx, np.array([[-1.0, 4.5], [1.0, -1.0]]), name="dx")  # dout @ w.T


@pytest.mark.item("affine_backward_dw")
def test_affine_backward_dw_small_example(student):
    _, dw, _ = affine_gradients(student)
    check_array(dw, np.array([[1.0, 3.0, -1.0], [2.0, 4.0, 0.0]]), name="dw", batch_size=2)  # x.T @ dout


@pytest.mark.item("affine_backward_db")
def test_affine_backward_db_small_example(student):
    _, _, db = affine_gradients(student)
    check_array(db, np.array([1.0, 1.0, 1.0]), name="db", batch_size=2)  # dout summed over the batch


@pytest.mark.item("relu_forward")
def test_relu_forward_small_example(student):
    out, _ = check_tuple(student.relu_forward(np.array([[-1.0, 0.0, 2.0]])), length=2, name="relu_forward(x)")
    check_array(out, np.array([[0.0, 0.0, 2.0]]), name="out")


@pytest.mark.item("relu_backward")
def test_relu_backward_small_example(student):
    _, cache = check_tuple(student.relu_forward(np.array([[-1.0, 0.0, 2.0]])), length=2, name="relu_forward(x)")
    dx = student.relu_backward(np.array([[5.0, 6.0, 7.0]]), cache)
    check_array(dx, np.array([[0.0, 0.0, 7.0]]), name="dx")


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
    dx = backward_of(student, "sigmoid", np.array([[0.0, LN3, -LN3]]), np.array([[1.0, 4.0, -4.0]]))
    check_array(dx, np.array([[0.25, 0.75, -0.75]]), name="dx")


@pytest.mark.item("tanh_forward")
def test_tanh_forward_small_example(student):
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5
    out, _ = check_tuple(student.tanh_forward(np.array([[0.0, LN2, -LN2]])), length=2, name="tanh_forward(x)")
    check_array(out, np.array([[0.0, 0.6, -0.6]]), name="out")


@pytest.mark.item("tanh_backward")
def test_tanh_backward_small_example(student):
    # tanh'(x) = 1 - tanh(x)^2: 1 at 0, 1 - 9/25 = 16/25 = 0.64 at +-ln 2
    dx = backward_of(student, "tanh", np.array([[0.0, LN2, -LN2]]), np.array([[1.0, 1.0, 2.0]]))
    check_array(dx, np.array([[1.0, 0.64, 1.28]]), name="dx")


@pytest.mark.item("leaky_relu_forward")
def test_leaky_relu_forward_small_example(student):
    x = np.array([[-2.0, 0.0, 3.0]])
    out, _ = check_tuple(student.leaky_relu_forward(x), length=2, name="leaky_relu_forward(x)")
    check_array(out, np.array([[-0.02, 0.0, 3.0]]), name="out (default alpha = 0.01)")
    out, _ = check_tuple(student.leaky_relu_forward(x, alpha=0.5), length=2, name="leaky_relu_forward(x, alpha=0.5)")
    check_array(out, np.array([[-1.0, 0.0, 3.0]]), name="out (alpha = 0.5)")


@pytest.mark.item("leaky_relu_backward")
def test_leaky_relu_backward_small_example(student):
    # slope alpha where x <= 0 (also at x == 0), 1 where x > 0
    dx = backward_of(student, "leaky_relu", np.array([[-2.0, 0.0, 3.0]]), np.array([[2.0, 4.0, 6.0]]), alpha=0.5)
    check_array(dx, np.array([[1.0, 2.0, 6.0]]), name="dx (alpha = 0.5)")


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
    # alpha e^x where x <= 0 (alpha e^0 = alpha at x == 0), 1 where x > 0
    dx = backward_of(student, "elu", np.array([[-LN2, 0.0, 2.0]]), np.array([[1.0, 1.0, 1.0]]), alpha=2.0)
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
