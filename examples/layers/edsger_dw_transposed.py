import numpy as np


def affine_forward(x, w, b):
    N = x.shape[0]
    out = x.reshape(N, -1) @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = (dout @ w.T).reshape(x.shape)
    dw = dout.T @ x.reshape(N, -1)
    db = dout.sum(0)
    return dx, dw, db


def relu_forward(x):
    out = x * (x > 0)
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)
