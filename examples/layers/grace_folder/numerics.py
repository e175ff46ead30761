"""Grace's numerically careful helpers, shared by layers.py (and, later, losses.py)."""
import numpy as np


def logistic(x):
    """sigma(x) for any float array, exp only ever of non-positive numbers."""
    x = np.asarray(x, dtype=float)
    result = np.empty_like(x)
    pos = x >= 0
    neg = ~pos
    result[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[neg])
    result[neg] = e / (1.0 + e)
    return result


def log1p_exp(x):
    """log(1 + e^x) without overflow."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def flatten_batch(x):
    """(N, d1, ..., dk) -> (N, d1 * ... * dk)."""
    return x.reshape(x.shape[0], -1)
