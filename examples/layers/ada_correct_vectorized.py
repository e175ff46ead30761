import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(len(x), -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(len(x), -1)
    return dout.dot(w.T).reshape(x.shape), flat.T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
