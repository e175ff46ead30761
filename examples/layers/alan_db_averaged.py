import numpy as np


def affine_forward(x, w, b):
    X = np.reshape(x, (x.shape[0], -1))
    return X @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    X = np.reshape(x, (x.shape[0], -1))
    dx = np.reshape(dout @ w.T, x.shape)
    dw = X.T @ dout
    db = np.mean(dout, axis=0)  # averaged over the batch
    return dx, dw, db


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
