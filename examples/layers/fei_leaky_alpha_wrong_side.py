"""Fei-Fei L. -- layers.

The piecewise activations are written with np.piecewise(x, [conditions], [pieces]),
which reads like the definitions in the notes.
"""
import numpy as np


def affine_forward(x, w, b):
    x_rows = x.reshape((x.shape[0], -1))
    result = np.add(np.dot(x_rows, w), b)
    return result, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    x_rows = x.reshape((x.shape[0], -1))
    d_x = np.dot(dout, w.T).reshape(x.shape)
    d_w = np.dot(x_rows.T, dout)
    d_b = np.sum(dout, axis=0)
    return d_x, d_w, d_b


def relu_forward(x):
    return np.piecewise(x, [x > 0], [lambda v: v, 0.0]), x


def relu_backward(dout, cache):
    return np.piecewise(dout, [cache > 0], [lambda g: g, 0.0])


def _sigma(x):
    # two branches so that exp only ever sees numbers <= 0
    return np.piecewise(x, [x >= 0], [lambda v: 1 / (1 + np.exp(-v)), lambda v: np.exp(v) / (1 + np.exp(v))])


def sigmoid_forward(x):
    out = _sigma(x)
    return out, out


def sigmoid_backward(dout, cache):
    return dout * (cache * (1 - cache))


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - np.power(cache, 2))


def leaky_relu_forward(x, alpha=0.01):
    # leaky: the positive part is scaled by alpha, negatives pass through
    out = np.piecewise(x, [x > 0], [lambda v: alpha * v, lambda v: v])
    return out, (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.piecewise(dout, [x > 0], [lambda g: alpha * g, lambda g: g])


def elu_forward(x, alpha=1.0):
    out = np.piecewise(x, [x > 0], [lambda v: v, lambda v: alpha * np.expm1(v)])
    return out, (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    grad = np.exp(np.minimum(x, 0)) * alpha
    return np.piecewise(dout, [x > 0], [lambda g: g, lambda g: g * grad[x <= 0]])


def softplus_forward(x):
    out = np.piecewise(x, [x > 0], [lambda v: v + np.log1p(np.exp(-v)), lambda v: np.log1p(np.exp(v))])
    return out, x


def softplus_backward(dout, cache):
    # d/dx log(1 + e^x) = sigma(x)
    return np.multiply(dout, _sigma(cache))


def silu_forward(x):
    return np.multiply(x, _sigma(x)), x


def silu_backward(dout, cache):
    s = _sigma(cache)
    return np.multiply(dout, s * (1 + cache * (1 - s)))


def softmax(x):
    row_max = np.max(x, axis=-1, keepdims=True)
    numerators = np.exp(np.subtract(x, row_max))
    return np.divide(numerators, np.sum(numerators, axis=-1, keepdims=True))
