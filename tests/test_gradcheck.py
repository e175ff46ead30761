"""Central-difference gradients used to build gradient targets (grader/gradcheck.py)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.gradcheck import numerical_gradient, numerical_gradient_array


def away_from_zero(shape, seed=0) -> np.ndarray:
    """Entries with |x| in [0.5, 2], so 3x**2 is never tiny and relative errors are meaningful."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def max_relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))


def test_gradient_of_sum_of_cubes_is_three_x_squared_within_1e_7():
    x = away_from_zero((4, 3))
    grad = numerical_gradient(lambda z: np.sum(z ** 3), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert max_relative_error(grad, 3 * x ** 2) < 1e-7


def test_gradient_array_of_matrix_product_is_dout_times_w_transposed():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    dout = rng.standard_normal((3, 5))
    dx = numerical_gradient_array(lambda z: z @ w, x, dout)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dout @ w.T, rtol=1e-7, atol=1e-9)


def test_gradient_array_with_respect_to_the_weights_is_x_transposed_times_dout():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    dout = rng.standard_normal((3, 5))
    dw = numerical_gradient_array(lambda z: x @ z, w, dout)
    np.testing.assert_allclose(dw, x.T @ dout, rtol=1e-7, atol=1e-9)


def test_input_array_is_not_modified():
    x = away_from_zero((3, 4))
    before = x.copy()
    numerical_gradient(lambda z: np.sum(z ** 3), x)
    numerical_gradient_array(lambda z: 2 * z, x, np.ones_like(x))
    assert np.array_equal(x, before)
    assert x.dtype == before.dtype


def test_a_function_that_mutates_its_argument_does_not_corrupt_the_gradient():
    def sloppy(z):
        value = np.sum(z ** 3)
        z[...] = 0.0  # a forward pass that scribbles on its input
        return value

    x = away_from_zero((2, 3))
    before = x.copy()
    grad = numerical_gradient(sloppy, x)
    assert np.array_equal(x, before)
    assert max_relative_error(grad, 3 * before ** 2) < 1e-7


def test_works_for_three_dimensional_input():
    x = away_from_zero((2, 3, 4), seed=3)
    grad = numerical_gradient(lambda z: np.sum(z ** 3), x)
    assert grad.shape == (2, 3, 4)
    assert max_relative_error(grad, 3 * x ** 2) < 1e-7


def test_gradient_array_works_for_three_dimensional_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    dout = rng.standard_normal((2, 3, 4))
    dx = numerical_gradient_array(np.tanh, x, dout)
    np.testing.assert_allclose(dx, dout * (1 - np.tanh(x) ** 2), rtol=1e-6, atol=1e-9)


def test_works_for_zero_dimensional_scalar_input():
    x = np.array(1.5)
    grad = numerical_gradient(lambda z: float(z) ** 3, x)
    assert grad.shape == ()
    assert abs(float(grad) - 3 * 1.5 ** 2) < 1e-7 * 3 * 1.5 ** 2


def test_gradient_array_works_for_zero_dimensional_scalar_input():
    dx = numerical_gradient_array(lambda z: z * z, np.array(-2.0), np.array(3.0))
    assert dx.shape == ()
    assert float(dx) == pytest.approx(3.0 * 2 * -2.0, rel=1e-7)


def test_float32_and_integer_inputs_give_a_float64_gradient():
    grad = numerical_gradient(lambda z: np.sum(z ** 2), np.array([1, 2, 3]))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0], rtol=1e-7)
    grad32 = numerical_gradient(lambda z: np.sum(z ** 2), np.array([1.0, -2.0], dtype=np.float32))
    assert grad32.dtype == np.float64
    np.testing.assert_allclose(grad32, [2.0, -4.0], rtol=1e-7)
