# Barbara L. -- layers
# Derivatives at the kinks follow the DSE cheat sheet (slide 248): "1 if x >= 0".
import numpy as np


def affine_forward(x, w, b):
    n = len(x)
    return np.matmul(np.reshape(x, (n, -1)), w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n = len(x)
    dx = np.reshape(np.matmul(dout, w.T), np.shape(x))
    dw = np.matmul(np.reshape(x, (n, -1)).T, dout)
    return dx, dw, np.sum(dout, axis=0)


def relu_forward(x):
    return np.clip(x, 0, None), x


def relu_backward(dout, cache):
    on = (cache >= 0).astype(dout.dtype)
    return dout * on


def sigmoid_forward(x):
    expm = np.exp(-np.abs(x))
    top = np.where(x >= 0, np.ones_like(x), expm)
    out = top / (1 + expm)
    return out, out


def sigmoid_backward(dout, cache):
    one_minus = 1 - cache
    return dout * cache * one_minus


def tanh_forward(x):
    return np.tanh(x), np.tanh(x)


def tanh_backward(dout, cache):
    return dout * (1 + cache) * (1 - cache)


def leaky_relu_forward(x, alpha=0.01):
    on = (x > 0).astype(x.dtype)
    return x * (on + alpha * (1 - on)), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    on = (x >= 0).astype(dout.dtype)
    return dout * (on + alpha * (1 - on))


def elu_forward(x, alpha=1.0):
    on = (x > 0).astype(x.dtype)
    return on * x + (1 - on) * alpha * np.expm1(np.minimum(x, 0)), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    on = (x >= 0).astype(dout.dtype)
    return dout * (on + (1 - on) * alpha * np.exp(np.minimum(x, 0)))


def softplus_forward(x):
    return np.logaddexp(x, 0), x


def softplus_backward(dout, cache):
    s, _ = sigmoid_forward(cache)
    return dout * s


def silu_forward(x):
    s, _ = sigmoid_forward(x)
    return x * s, x


def silu_backward(dout, cache):
    s, _ = sigmoid_forward(cache)
    return dout * (s + cache * s * (1 - s))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
