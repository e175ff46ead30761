import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    raise NotImplementedError("affine_backward is not implemented yet")


def relu_forward(x):
    raise NotImplementedError("relu_forward is not implemented yet")


def relu_backward(dout, cache):
    raise NotImplementedError("relu_backward is not implemented yet")
