# Ken T. -- layers.py
# (last-minute edit before the deadline; didn't run it again)
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    s = np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))
    return s, s


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)
