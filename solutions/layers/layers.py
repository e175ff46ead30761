"""Reference solution for the ``layers`` assignment (affine and ReLU layers).

Each layer is a pair of functions: ``*_forward`` computes the output and a
``cache`` of what the backward pass needs; ``*_backward`` takes the upstream
gradient ``dout`` and that cache and returns the gradients of the inputs.
Conventions follow the CS231n layer API used in the course lecture notes.

This file is trusted and never shown to students or to grading workers.
"""

import numpy as np


def affine_forward(x, w, b):
    """Forward pass of an affine (fully connected) layer.

    Each example ``x[i]`` is flattened to a row of length D = d_1 * ... * d_k;
    then ``out = x_flat @ w + b`` (``b`` is broadcast over the N rows).

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        A mini-batch of N examples. Not modified.
    w : ndarray, shape (D, M)
        Weights, with D = d_1 * ... * d_k. Not modified.
    b : ndarray, shape (M,)
        Biases. Not modified.

    Returns
    -------
    out : ndarray, shape (N, M)
        Layer output, same float dtype as the inputs.
    cache : tuple (x, w, b)
        The inputs, unchanged, for ``affine_backward``.
    """
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    x_flat = x.reshape(n, d)
    out = x_flat @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of an affine layer.

    With x_flat = x reshaped to (N, D): ``dx = (dout @ w.T)`` reshaped to
    x's shape, ``dw = x_flat.T @ dout``, ``db = sum of dout over axis 0``.
    The gradients are summed, not averaged, over the batch (the loss averages).

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient dL/dout. Not modified.
    cache : tuple (x, w, b)
        As returned by ``affine_forward``: x (N, d_1, ..., d_k), w (D, M), b (M,).

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
        Gradient with respect to x (same shape as x).
    dw : ndarray, shape (D, M)
        Gradient with respect to w.
    db : ndarray, shape (M,)
        Gradient with respect to b.
    """
    x, w, b = cache
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    x_flat = x.reshape(n, d)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """Forward pass of a rectified linear unit (ReLU), elementwise.

    ``out = max(0, x)`` for every element.

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        The rectified input.
    cache : ndarray, same shape as x
        The input x, unchanged, for ``relu_backward``.
    """
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of a ReLU (the "max gate routes the gradient").

    ``dx = dout`` where ``x > 0`` and ``0`` elsewhere. At the kink the
    derivative is taken as 0, so ``dx`` is 0 wherever ``x == 0``.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : ndarray, same shape as dout
        The input x of ``relu_forward``.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x (a float array, never int or bool).
    """
    x = cache
    dx = np.where(x > 0, dout, np.zeros((), dtype=dout.dtype))
    return dx
