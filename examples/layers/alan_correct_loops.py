# alan -- layers assignment
# I wrote every layer with plain Python loops first so I could follow the math
# one number at a time (vectorizing is for the next assignment). Slow, but right.
# Elementwise layers walk over x.flat; each one has a scalar rule below.
import math

import numpy as np


def affine_forward(x, w, b):
    n = x.shape[0]
    rows = x.reshape(n, -1)
    out = np.empty((n, w.shape[1]))
    for i, row in enumerate(rows):
        for j, column in enumerate(w.T):
            out[i, j] = sum(a * c for a, c in zip(row, column)) + b[j]
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n = x.shape[0]
    rows = x.reshape(n, -1)
    dx = np.zeros(rows.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for i in range(n):
        db += dout[i]
        dx[i] = [sum(w[k, j] * dout[i, j] for j in range(w.shape[1])) for k in range(w.shape[0])]
        for k in range(w.shape[0]):
            dw[k] += rows[i, k] * dout[i]
    return dx.reshape(x.shape), dw, db


# ---- scalar rules


def logistic(v):
    if v < 0:
        ev = math.exp(v)
        return ev / (ev + 1.0)
    return 1.0 / (math.exp(-v) + 1.0)


def softplus_scalar(v):
    if v > 30:
        return v + math.exp(-v)  # log(1 + e^v) = v + log(1 + e^-v), and log1p(e^-v) = e^-v here
    return math.log1p(math.exp(v))


def elementwise(rule, first, second=None):
    result = np.zeros(first.shape)
    for i in range(first.size):
        if second is None:
            result.flat[i] = rule(first.flat[i])
        else:
            result.flat[i] = rule(first.flat[i], second.flat[i])
    return result


# ---- layers


def relu_forward(x):
    return elementwise(lambda v: max(v, 0.0), x), x


def relu_backward(dout, cache):
    return elementwise(lambda g, v: g * (v > 0), dout, cache)


def sigmoid_forward(x):
    out = elementwise(logistic, x)
    return out, out


def sigmoid_backward(dout, cache):
    return elementwise(lambda g, s: g * s * (1.0 - s), dout, cache)


def tanh_forward(x):
    out = elementwise(math.tanh, x)
    return out, out


def tanh_backward(dout, cache):
    return elementwise(lambda g, t: g - g * t * t, dout, cache)


def leaky_relu_forward(x, alpha=0.01):
    return elementwise(lambda v: v * (1.0 if v > 0 else alpha), x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return elementwise(lambda g, v: g * (1.0 if v > 0 else alpha), dout, x)


def elu_forward(x, alpha=1.0):
    rule = lambda v: v if v > 0 else alpha * math.expm1(v)  # noqa: E731
    return elementwise(rule, x), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    rule = lambda g, v: g if v > 0 else g * alpha * math.exp(v)  # noqa: E731
    return elementwise(rule, dout, x)


def softplus_forward(x):
    return elementwise(softplus_scalar, x), x


def softplus_backward(dout, cache):
    return elementwise(lambda g, v: g * logistic(v), dout, cache)


def silu_forward(x):
    return elementwise(lambda v: v * logistic(v), x), x


def silu_backward(dout, cache):
    def rule(g, v):
        s = logistic(v)
        return g * s * (1.0 + v * (1.0 - s))
    return elementwise(rule, dout, cache)


def softmax(x):
    rows = x.reshape(-1, x.shape[-1])
    probs = np.zeros(rows.shape)
    for r in range(rows.shape[0]):
        biggest = rows[r].max()
        weights = [math.exp(v - biggest) for v in rows[r]]
        norm = math.fsum(weights)
        probs[r] = [wt / norm for wt in weights]
    return probs.reshape(x.shape)
