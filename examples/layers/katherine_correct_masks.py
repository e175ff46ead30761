# Katherine J. - layers.py
# Style: boolean masks + fresh copies (never touch the caller's arrays).
# My caches hold masks where that is all the backward pass needs.
import numpy as np


def affine_forward(x, w, b):
    batch = x.shape[0]
    features = int(np.prod(x.shape[1:]))
    x_rows = np.reshape(x, (batch, features))
    out = np.matmul(x_rows, w)
    out += b  # out is my own new array, fine to add in place
    return out, (x_rows, w, x.shape)


def affine_backward(dout, cache):
    x_rows, w, in_shape = cache
    grad_x = np.matmul(dout, np.transpose(w))
    grad_w = np.matmul(np.transpose(x_rows), dout)
    grad_b = np.add.reduce(dout, axis=0)
    return np.reshape(grad_x, in_shape), grad_w, grad_b


def relu_forward(x):
    positive = x > 0
    out = np.zeros_like(x)
    out[positive] = x[positive]
    return out, positive


def relu_backward(dout, cache):
    grad = np.zeros_like(dout)
    grad[cache] = dout[cache]
    return grad


def _logistic(x):
    # sigma(x) = (1 + tanh(x / 2)) / 2: tanh saturates to +-1, never overflows
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def sigmoid_forward(x):
    y = _logistic(x)
    return y, y


def sigmoid_backward(dout, cache):
    local = cache - cache ** 2
    return dout * local


def tanh_forward(x):
    y = np.tanh(x)
    return y, y


def tanh_backward(dout, cache):
    return dout - dout * cache * cache


def leaky_relu_forward(x, alpha=0.01):
    positive = x > 0
    out = alpha * x
    out[positive] = x[positive]
    return out, (positive, alpha)


def leaky_relu_backward(dout, cache):
    positive, alpha = cache
    grad = alpha * dout
    grad[positive] = dout[positive]
    return grad


def elu_forward(x, alpha=1.0):
    positive = x > 0
    out = x.copy()
    out[~positive] = alpha * np.expm1(x[~positive])
    return out, (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    positive = x > 0
    grad = dout.copy()
    grad[~positive] = alpha * np.exp(x[~positive]) * dout[~positive]
    return grad


def softplus_forward(x):
    out = np.log1p(np.exp(-np.abs(x)))
    positive = x > 0
    out[positive] += x[positive]
    return out, x


def softplus_backward(dout, cache):
    return dout * _logistic(cache)


def silu_forward(x):
    s = _logistic(x)
    out = x * s
    # local gradient s + x s (1 - s), computed now while s is at hand
    return out, s + out * (1 - s)


def silu_backward(dout, cache):
    return dout * cache


def softmax(x):
    shifted = x - np.amax(x, axis=-1, keepdims=True)
    numer = np.exp(shifted)
    denom = np.sum(numer, axis=-1, keepdims=True)
    return numer / denom
