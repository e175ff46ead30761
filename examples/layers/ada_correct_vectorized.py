"""Homework 2: layers. Ada L.

Everything vectorized; no Python loops anywhere. The sigmoid comes from
logaddexp: log(1 + e^-x) = logaddexp(0, -x), so sigma(x) = exp(-logaddexp(0, -x))
and nothing ever overflows.
"""
import numpy as np


def _sig(x):
    return np.exp(-np.logaddexp(0.0, -x))


def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return flat.dot(w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(len(x), -1)
    dx = dout.dot(w.T).reshape(x.shape)
    return dx, flat.T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def sigmoid_forward(x):
    s = _sig(x)
    return s, s


def sigmoid_backward(dout, cache):
    return dout * (cache - np.square(cache))


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1.0 - np.square(cache))


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def elu_forward(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))) * dout


def softplus_forward(x):
    return np.logaddexp(0.0, x), x


def softplus_backward(dout, cache):
    return dout * _sig(cache)


def silu_forward(x):
    s = _sig(x)
    return x * s, (x, s)


def silu_backward(dout, cache):
    x, s = cache
    return dout * s * (1.0 + x * (1.0 - s))


def softmax(x):
    logz = np.logaddexp.reduce(x, axis=-1, keepdims=True)
    return np.exp(x - logz)
