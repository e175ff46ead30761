"""Anita B. -- layers. With my own quick test at the bottom."""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    cache = x
    out = np.maximum(0, x)
    return (out, cache)


def relu_backward(dout, cache):
    dx = np.where(cache > 0, dout, 0)
    return dx


def tanh_forward(x):
    out = np.tanh(x)
    cache = out
    return (out, cache)


def tanh_backward(dout, cache):
    dx = dout * (1 - cache ** 2)
    return dx


def sigmoid_forward(x):
    out = 0.5 * (1 + np.tanh(x / 2))  # = sigma(x), and tanh never overflows
    cache = out
    return (out, cache)


def sigmoid_backward(dout, cache):
    dx = dout * cache * (1 - cache)
    return dx


# quick test
x_test = np.random.randn(4, 3, 2)
w_test = np.random.randn(3, 5)   # should be (6, 5) -- forgot to update after changing x_test
b_test = np.zeros(5)
out_test, _ = affine_forward(x_test, w_test, b_test)
assert out_test.shape == (4, 5)
