import numpy as np

# Guido v.R. -- layers


def affine_forward(x, w, b):
    N = x.shape[0]
    out = np.dot(x.reshape(N, -1), w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(N, -1).T, dout)
    db = np.mean(dout, axis=0)  # the bias is shared by the batch, so average it
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1, alpha)


def elu_forward(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0)))


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x):
    s = _sigmoid(x)
    return s, s


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def softplus_forward(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0), x


def softplus_backward(dout, cache):
    return dout * _sigmoid(cache)


def silu_forward(x):
    sx = _sigmoid(x)
    return x * sx, np.stack([x, sx])


def silu_backward(dout, cache):
    x, sx = cache
    return dout * (sx + x * sx * (1 - sx))


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)


def softmax(x):
    ex = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return ex / np.sum(ex, axis=-1, keepdims=True)
