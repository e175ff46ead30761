"""Bjarne S. -- layers.py, with type hints because I like to know what goes where."""
from __future__ import annotations

import numpy as np
from numpy import ndarray

Cache = tuple


def affine_forward(x: ndarray, w: ndarray, b: ndarray) -> tuple[ndarray, Cache]:
    n: int = x.shape[0]
    return x.reshape(n, -1) @ w + b, (x, w, b)


def affine_backward(dout: ndarray, cache: Cache) -> tuple[ndarray, ndarray, ndarray]:
    x, w, _b = cache
    n: int = x.shape[0]
    dx: ndarray = (dout @ w.T).reshape(x.shape)
    dw: ndarray = x.reshape(n, -1).T @ dout
    db: ndarray = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    return np.maximum(x, 0.0), x


def relu_backward(dout: ndarray, cache: ndarray) -> ndarray:
    return np.where(cache > 0.0, dout, 0.0)


def _sigma(x: ndarray) -> ndarray:
    em = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + em), em / (1.0 + em))


def sigmoid_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    s: ndarray = _sigma(x)
    return s, s


def sigmoid_backward(dout: ndarray, cache: ndarray) -> ndarray:
    return dout * cache * (1.0 - cache)


def tanh_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    t: ndarray = np.tanh(x)
    return t, t


def tanh_backward(dout: ndarray, cache: ndarray) -> ndarray:
    return dout * (1.0 - cache * cache)


def leaky_relu_forward(x: ndarray, slope: float = 0.01) -> tuple[ndarray, Cache]:
    return np.where(x > 0.0, x, slope * x), (x, slope)


def leaky_relu_backward(dout: ndarray, cache: Cache) -> ndarray:
    x, slope = cache
    return np.where(x > 0.0, dout, slope * dout)


def elu_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    # alpha = 1 (the usual choice)
    return np.where(x > 0.0, x, np.expm1(np.minimum(x, 0.0))), x


def elu_backward(dout: ndarray, cache: ndarray) -> ndarray:
    return np.where(cache > 0.0, dout, np.exp(np.minimum(cache, 0.0)) * dout)


def softplus_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))), x


def softplus_backward(dout: ndarray, cache: ndarray) -> ndarray:
    return dout * _sigma(cache)


def silu_forward(x: ndarray) -> tuple[ndarray, ndarray]:
    return x * _sigma(x), x


def silu_backward(dout: ndarray, cache: ndarray) -> ndarray:
    s: ndarray = _sigma(cache)
    return dout * s * (1.0 + cache * (1.0 - s))


def softmax(x: ndarray) -> ndarray:
    logits: ndarray = x - x.max(axis=-1, keepdims=True)
    weights: ndarray = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)
