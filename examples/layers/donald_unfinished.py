"""Donald K. -- layers (handing in what I have, ran out of time)."""
import numpy as np


def affine_forward(x, w, b):
    N, D = x.shape[0], w.shape[0]
    cache = (x, w, b)
    return x.reshape(N, D) @ w + b, cache


def affine_backward(dout, cache):
    x, w, b = cache
    N, D = x.shape[0], w.shape[0]
    dx = (dout @ w.T).reshape(*x.shape)
    dw = x.reshape(N, D).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0.0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0.0)


def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    p = 1.0 / (1.0 + z)
    p = np.where(x < 0, 1.0 - p, p)  # sigma(-x) = 1 - sigma(x)
    return p, p


def sigmoid_backward(dout, cache):
    return cache * (1.0 - cache) * dout


def tanh_forward(x):
    y = np.tanh(x)
    return y, y


def tanh_backward(dout, cache):
    return (1.0 - cache ** 2) * dout


def leaky_relu_forward(x, alpha=0.01):
    # TODO check the x == 0 case again
    out = x * np.where(x > 0, 1.0, alpha)
    return out, (x > 0, alpha)


def leaky_relu_backward(dout, cache):
    positive, alpha = cache
    dx = dout * alpha
    return np.where(positive, dout, dx)


def elu_forward(x, alpha=1.0):
    raise NotImplementedError("elu_forward is not implemented yet")


def elu_backward(dout, cache):
    raise NotImplementedError("elu_backward is not implemented yet")


def softplus_forward(x):
    raise NotImplementedError("softplus_forward is not implemented yet")


def softplus_backward(dout, cache):
    raise NotImplementedError("softplus_backward is not implemented yet")


def silu_forward(x):
    # TODO
    pass


def silu_backward(dout, cache):
    # TODO
    pass


def softmax(x):
    probs = np.exp(x - x.max(axis=-1, keepdims=True))
    return probs / probs.sum(axis=-1, keepdims=True)
