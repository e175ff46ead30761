"""Edsger D. -- layers.py

Organisation: all forward passes first, then all backward passes, in the same order.
"""
import numpy as np

# ---------------------------------------------------------------- forward passes


def affine_forward(x, w, b):
    num_examples = x.shape[0]
    x_matrix = x.reshape(num_examples, -1)
    scores = x_matrix @ w
    scores = scores + b
    cache = (x, w, b)
    return scores, cache


def relu_forward(x):
    out = x * (x > 0)
    cache = x
    return out, cache


def sigmoid_forward(x):
    small = np.exp(-np.abs(x))
    out = np.where(x < 0, small, 1.0) / (1.0 + small)
    cache = out
    return out, cache


def tanh_forward(x):
    out = np.tanh(x)
    cache = out
    return out, cache


def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x <= 0, alpha * x, x)
    cache = (x, alpha)
    return out, cache


def elu_forward(x, alpha=1.0):
    clipped = np.minimum(x, 0.0)
    out = np.where(x <= 0, alpha * np.expm1(clipped), x)
    cache = (x, alpha)
    return out, cache


def softplus_forward(x):
    out = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    cache = x
    return out, cache


def silu_forward(x):
    sig, _ = sigmoid_forward(x)
    out = x * sig
    cache = (x, sig)
    return out, cache


def softmax(x):
    stable = x - np.max(x, axis=-1, keepdims=True)
    unnormalized = np.exp(stable)
    probs = unnormalized / np.sum(unnormalized, axis=-1, keepdims=True)
    return probs


# ---------------------------------------------------------------- backward passes


def affine_backward(dout, cache):
    x, w, b = cache
    num_examples = x.shape[0]
    x_matrix = x.reshape(num_examples, -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = dout.T @ x_matrix
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def sigmoid_backward(dout, cache):
    out = cache
    dx = dout * out * (1.0 - out)
    return dx


def tanh_backward(dout, cache):
    out = cache
    dx = dout * (1.0 - out * out)
    return dx


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = np.where(x <= 0, alpha * dout, dout)
    return dx


def elu_backward(dout, cache):
    x, alpha = cache
    dx = np.where(x <= 0, alpha * np.exp(np.minimum(x, 0.0)) * dout, dout)
    return dx


def softplus_backward(dout, cache):
    x = cache
    sig, _ = sigmoid_forward(x)
    dx = dout * sig
    return dx


def silu_backward(dout, cache):
    x, sig = cache
    dx = dout * sig * (1.0 + x * (1.0 - sig))
    return dx
