"""Written with explicit loops: slow but correct."""
import numpy as np


def affine_forward(x, w, b):
    n = x.shape[0]
    rows = x.reshape(n, -1)
    out = np.zeros((n, w.shape[1]))
    for i in range(n):
        for j in range(w.shape[1]):
            out[i, j] = np.sum(rows[i] * w[:, j]) + b[j]
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n = x.shape[0]
    rows = x.reshape(n, -1)
    dx = np.zeros_like(rows)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in range(n):
        dx[i] = w @ dout[i]
        dw += np.outer(rows[i], dout[i])
        db += dout[i]
    return dx.reshape(x.shape), dw, db


def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out, x


def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx
