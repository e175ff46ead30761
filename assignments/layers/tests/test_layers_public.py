"""Public tests of the `layers` assignment: small fixed cases you can work out by hand.

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
