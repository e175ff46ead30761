"""Starter code for the ``layers`` assignment (affine and ReLU layers).

Implement the four functions below; see README.md in this folder for the math
and the rules (shapes, no averaging over N in the backward pass, no mutation of
inputs, float outputs, the ReLU convention at x == 0).

Each layer is a pair of functions: ``*_forward`` computes the output and a
``cache`` of what the backward pass needs; ``*_backward`` takes the upstream
gradient ``dout`` and that cache and returns the gradients of the inputs.
Conventions follow the CS231n layer API used in the course lecture notes.
"""

import numpy as np  # noqa: F401  (you will need it)


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
    # TODO: flatten each example of x to a row (shape (N, D)), apply the
    # affine map, and keep (x, w, b) as the cache.
    raise NotImplementedError("affine_forward is not implemented yet")


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
    # TODO: compute dx (reshaped back to x's shape), dw and db from dout
    # and the cached (x, w, b). Sum over the batch; do not divide by N.
    raise NotImplementedError("affine_backward is not implemented yet")


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
    # TODO: elementwise max(0, x); keep x as the cache.
    raise NotImplementedError("relu_forward is not implemented yet")


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
    # TODO: pass dout through where x > 0, zero elsewhere (also where
    # x == 0); return a float array with dout's dtype.
    raise NotImplementedError("relu_backward is not implemented yet")
