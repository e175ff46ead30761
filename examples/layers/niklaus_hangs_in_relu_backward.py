# Niklaus W. -- layers.py
# Algorithms + data structures = programs. I wrote the ReLU gradient as an explicit scan.
import numpy as np


def affine_forward(x, w, b):
    xr = x.reshape(x.shape[0], -1)
    y = xr @ w
    return y + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    xr = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), xr.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx = dout.copy()
    i = 0
    while i < dx.size:
        if cache.flat[i] <= 0:
            dx.flat[i] = 0
            i += 1
    return dx


# Every activation caches the pair (input, output); each backward pass takes what it needs.


def logistic(x):
    q = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, q) / (1 + q)


def sigmoid_forward(x):
    y = logistic(x)
    return y, (x, y)


def sigmoid_backward(dout, cache):
    _, y = cache
    return y * (1 - y) * dout


def tanh_forward(x):
    y = np.tanh(x)
    return y, (x, y)


def tanh_backward(dout, cache):
    _, y = cache
    return (1 - y * y) * dout


def leaky_relu_forward(x, alpha=0.01):
    y = np.where(x > 0, x, alpha * x)
    return y, (x, y, alpha)


def leaky_relu_backward(dout, cache):
    x, _, alpha = cache
    return np.where(x > 0, 1.0, alpha) * dout


def elu_forward(x, alpha=1.0):
    y = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return y, (x, y, alpha)


def elu_backward(dout, cache):
    x, y, alpha = cache
    # on the negative side alpha e^x = y + alpha
    return np.where(x > 0, 1.0, y + alpha) * dout


def softplus_forward(x):
    y = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
    return y, (x, y)


def softplus_backward(dout, cache):
    x, _ = cache
    return logistic(x) * dout


def silu_forward(x):
    y = x * logistic(x)
    return y, (x, y)


def silu_backward(dout, cache):
    x, y = cache
    # d/dx [x s] = s + x s (1 - s) = s + y (1 - s)
    s = logistic(x)
    return (s + y * (1 - s)) * dout


def softmax(x):
    y = np.exp(x - np.amax(x, -1, keepdims=True))
    return y / np.add.reduce(y, -1, keepdims=True)
