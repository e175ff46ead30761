"""Starter code for the ``layers`` assignment: the affine layer, seven activations
(ReLU, sigmoid, tanh, leaky ReLU, ELU, softplus, SiLU) and the softmax.

Implement the functions below; see README.md in this folder for the math, where
each formula comes from in the lecture notes, and the rules (shapes, no averaging
over N in the backward pass, no mutation of inputs, float outputs, numerical
stability, the valid values at the kinks x == 0).

Each layer is a pair of functions: ``*_forward`` computes the output and a
``cache`` of what the backward pass needs; ``*_backward`` takes the upstream
gradient ``dout`` and that cache and returns the gradients of the inputs.
``softmax`` has no backward pass in this assignment. Conventions follow the
CS231n layer API used in the course lecture notes.
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

    Each gradient has exactly the shape of what it is the gradient of (dx: x's
    shape, dw: w's, db: b's). Every example contributes to dw and db: they are
    summed, not averaged, over the batch (the loss averages). Deriving the
    matrix form from out[i, j] = sum_k x_flat[i, k] w[k, j] + b[j] is the exercise
    (README.md, "The affine layer").

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
    # TODO: derive dx, dw and db from out = x_flat @ w + b and the chain rule;
    # check that each has the shape of x, w, b. Sum over the batch; do not divide by N.
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

    The local gradient is 1 where ``x > 0`` and 0 where ``x < 0``. At the kink
    ``x == 0`` any value from 0 to 1 is a valid subgradient (this course takes 0).

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
    # TODO: downstream = upstream x local gradient (README.md, "ReLU");
    # return a new float array with dout's dtype, never write into dout.
    raise NotImplementedError("relu_backward is not implemented yet")


def sigmoid_forward(x):
    """Forward pass of the logistic sigmoid, elementwise.

    ``out = sigma(x) = 1 / (1 + exp(-x))``, computed without overflow: with
    ``z = exp(-|x|)`` (never larger than 1), ``sigma(x) = 1 / (1 + z)`` where
    ``x >= 0`` and ``z / (1 + z)`` where ``x < 0``. Finite for every finite x
    (``sigmoid(1000) == 1.0``, ``sigmoid(-1000) == 0.0``), with no warnings.

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        sigma(x), every entry in [0, 1].
    cache : ndarray, same shape as x
        The output ``out``: the derivative is written in terms of it.
    """
    # TODO: compute sigma(x) without overflow (use exp(-|x|), never
    # exp of a large positive number); keep the output as the cache.
    raise NotImplementedError("sigmoid_forward is not implemented yet")


def sigmoid_backward(dout, cache):
    """Backward pass of the sigmoid.

    ``d sigma / dx = sigma(x) * (1 - sigma(x))`` (DSE): the local gradient is
    written in terms of the forward's *output*, which the cache holds.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : ndarray, same shape as dout
        The output ``out = sigma(x)`` of ``sigmoid_forward``.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient; the cache holds the
    # forward's output, which the derivative is written in terms of.
    raise NotImplementedError("sigmoid_backward is not implemented yet")


def tanh_forward(x):
    """Forward pass of the hyperbolic tangent, elementwise.

    ``out = tanh(x) = (e^x - e^-x) / (e^x + e^-x)``, computed with ``np.tanh``
    (finite for every x: ``tanh(+-1000) == +-1.0``).

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        tanh(x), every entry in [-1, 1].
    cache : ndarray, same shape as x
        The output ``out``: the derivative is written in terms of it.
    """
    # TODO: np.tanh; keep the output as the cache.
    raise NotImplementedError("tanh_forward is not implemented yet")


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    ``d tanh / dx = 1 - tanh(x)**2`` (DSE): the local gradient is written in
    terms of the forward's *output*, which the cache holds.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : ndarray, same shape as dout
        The output ``out = tanh(x)`` of ``tanh_forward``.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient (README.md, "tanh").
    raise NotImplementedError("tanh_backward is not implemented yet")


def leaky_relu_forward(x, alpha=0.01):
    """Forward pass of a leaky ReLU with slope ``alpha`` for negative inputs, elementwise.

    ``out = x`` where ``x > 0`` and ``alpha * x`` where ``x <= 0``
    (the same as ``max(alpha * x, x)`` for 0 < alpha < 1).

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.
    alpha : float, default 0.01
        Slope for x <= 0 (0.01 in DSE; L10's example uses 0.1).

    Returns
    -------
    out : ndarray, same shape and dtype as x
        The leaky-rectified input.
    cache : tuple (x, alpha)
        The input x, unchanged, and the slope, for ``leaky_relu_backward``.
    """
    # TODO: x where x > 0, alpha * x elsewhere; keep (x, alpha) as the cache.
    raise NotImplementedError("leaky_relu_forward is not implemented yet")


def leaky_relu_backward(dout, cache):
    """Backward pass of a leaky ReLU.

    The local gradient is 1 where ``x > 0`` and ``alpha`` where ``x < 0``. At
    the kink ``x == 0`` any value between alpha and 1 is accepted (this course
    takes alpha, the slope of the left branch, as for ReLU).

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : tuple (x, alpha)
        As returned by ``leaky_relu_forward``: x (same shape as dout), alpha (float).

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient; alpha comes from the cache.
    raise NotImplementedError("leaky_relu_backward is not implemented yet")


def elu_forward(x, alpha=1.0):
    """Forward pass of an exponential linear unit (ELU), elementwise.

    ``out = x`` where ``x > 0`` and ``alpha * (exp(x) - 1)`` where ``x <= 0``
    (both branches are 0 at x == 0). ``np.expm1`` computes ``exp(x) - 1``
    accurately near 0, and the exponential is only ever taken of ``min(x, 0)``,
    so large positive x cannot overflow.

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.
    alpha : float, default 1.0
        Scale of the negative branch; out tends to -alpha as x -> -infinity.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        ELU(x).
    cache : tuple (x, alpha)
        The input x, unchanged, and alpha, for ``elu_backward``.
    """
    # TODO: x where x > 0, alpha * (exp(x) - 1) elsewhere; np.expm1 of
    # np.minimum(x, 0) avoids overflow. Keep (x, alpha) as the cache.
    raise NotImplementedError("elu_forward is not implemented yet")


def elu_backward(dout, cache):
    """Backward pass of an ELU.

    The local gradient is 1 where ``x > 0`` and ``alpha * e**x`` where ``x < 0``
    (DSE cheat sheet). At x == 0 any value between alpha and 1 is accepted (this
    course takes the left branch, ``alpha * e**0 = alpha``; the sides agree when
    alpha == 1).

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : tuple (x, alpha)
        As returned by ``elu_forward``: x (same shape as dout), alpha (float).

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient; alpha comes from the cache.
    raise NotImplementedError("elu_backward is not implemented yet")


def softplus_forward(x):
    """Forward pass of softplus, a smooth ReLU, elementwise.

    ``out = log(1 + exp(x))``, computed without overflow as
    ``log1p(exp(-|x|)) + max(x, 0)`` (equal, since
    ``log(1 + e^x) = x + log(1 + e^-x)``). Finite for every finite x:
    ``softplus(1000) == 1000.0``, ``softplus(-1000) == 0.0``.

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        softplus(x), every entry >= 0.
    cache : ndarray, same shape as x
        The input x, unchanged, for ``softplus_backward``.
    """
    # TODO: log(1 + exp(x)) written as log1p(exp(-|x|)) + max(x, 0);
    # keep x as the cache.
    raise NotImplementedError("softplus_forward is not implemented yet")


def softplus_backward(dout, cache):
    """Backward pass of softplus.

    ``d softplus / dx = exp(x) / (1 + exp(x)) = sigma(x)`` (DSE cheat sheet),
    with sigma computed without overflow, as in ``sigmoid_forward``.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : ndarray, same shape as dout
        The input x of ``softplus_forward``.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient, with any sigma computed
    # without overflow (you may call sigmoid_forward).
    raise NotImplementedError("softplus_backward is not implemented yet")


def silu_forward(x):
    """Forward pass of the sigmoid linear unit (SiLU, also called swish), elementwise.

    ``out = x * sigma(x) = x / (1 + exp(-x))``, with sigma computed without
    overflow (``silu(1000) == 1000.0``, ``silu(-1000) == -0.0``).

    Parameters
    ----------
    x : ndarray, any shape
        Input. Not modified.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        SiLU(x), every entry >= -0.2785.
    cache : ndarray, same shape as x
        The input x, unchanged, for ``silu_backward``.
    """
    # TODO: x * sigma(x), with sigma computed without overflow; keep x as the cache.
    raise NotImplementedError("silu_forward is not implemented yet")


def silu_backward(dout, cache):
    """Backward pass of SiLU.

    By the product rule, ``d/dx [x * sigma(x)] = sigma(x) + x * sigma(x) * (1 - sigma(x))``
    (the DSE cheat sheet's ``(1 + e^-x + x e^-x) / (1 + e^-x)**2``, rewritten so
    that no exponential can overflow).

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient dL/dout. Not modified.
    cache : ndarray, same shape as dout
        The input x of ``silu_forward``.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Gradient with respect to x.
    """
    # TODO: downstream = upstream x local gradient; the local gradient needs
    # the product rule (README.md, "SiLU"), with sigma computed without overflow.
    raise NotImplementedError("silu_backward is not implemented yet")


def softmax(x):
    """Softmax of each row: probabilities over the last axis.

    ``out[i, j] = exp(x[i, j]) / sum_k exp(x[i, k])``. Subtracting each row's
    maximum first (``x - max_k x[i, k]``) leaves the result unchanged and keeps
    every exponent <= 0, so no exponential overflows, whatever the logits
    (``softmax([[1000, 1000]]) == [[0.5, 0.5]]``). Every row of the result
    sums to 1.

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Scores (logits): N examples, C classes. More generally (..., C): the
        softmax is taken over the last axis. Not modified.

    Returns
    -------
    probs : ndarray, same shape and dtype as x
        The probabilities (only this array; softmax returns no cache).
    """
    # TODO: subtract each row's max (axis=-1, keepdims=True), exponentiate,
    # divide by the row sums. Return only the probabilities.
    raise NotImplementedError("softmax is not implemented yet")
