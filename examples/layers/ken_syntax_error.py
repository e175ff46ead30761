import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b


def relu_forward(x):
    return np.maximum(0, x), x
