"""Central-difference numerical gradients, for tests that build gradient targets.

Used in the trusted process only, on trusted functions (the reference
forward pass), so a wrong forward with a backward consistent with it cannot pass.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# Why: for float64 the central difference's truncation error is O(h^2) and its
# round-off O(eps/h); h = 1e-5 balances the two at ~1e-10 absolute.
H = 1e-5


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = H) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a number
    x : np.ndarray of any shape; it is not modified (a float64 copy is perturbed)

    Returns
    -------
    grad : np.ndarray shaped like ``x``, float64
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = float(f(x.copy()))
        x[idx] = old - h
        minus = float(f(x.copy()))
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                             dout: np.ndarray, *, h: float = H) -> np.ndarray:
    """Gradient of ``sum(f(x) * dout)`` with respect to ``x`` (backprop of ``dout`` through ``f``).

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning an array shaped like ``dout``
    x : np.ndarray of any shape; not modified
    dout : np.ndarray, the upstream gradient, shaped like ``f(x)``

    Returns
    -------
    dx : np.ndarray shaped like ``x``, float64
    """
    dout = np.asarray(dout, dtype=np.float64)
    return numerical_gradient(lambda z: float(np.sum(np.asarray(f(z), dtype=np.float64) * dout)), x, h=h)
