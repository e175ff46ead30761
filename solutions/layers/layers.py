"""The ``layers`` assignment: the affine layer, seven elementwise activations (ReLU,
sigmoid, tanh, leaky ReLU, ELU, softplus, SiLU) and the softmax.

Each layer is a pair of functions: ``*_forward`` computes the output and a
``cache`` of what the backward pass needs; ``*_backward`` takes the upstream
gradient ``dout`` and that cache and returns the gradients of the inputs
(downstream gradient = upstream gradient x local gradient). ``softmax`` has no
backward pass in this assignment. Conventions follow the CS231n layer API used in
the course lecture notes.

README.md, the handout, gives each formula with the lecture it comes from, and the
rules: shapes, no averaging over N in the backward pass, no mutation of inputs,
float outputs, numerical stability, the valid values at the kinks.

At the kinks (ReLU, leaky ReLU, ELU with alpha != 1) any value between the two
one-sided slopes is a valid (sub)gradient at ``x == 0`` and gets full marks. This
course takes the slope of the ``x <= 0`` branch there (0, alpha, and
alpha * e**0 = alpha), as PyTorch does for ReLU.
"""

import numpy as np

# BEGIN SOLUTION
# The reference solution: trusted, never shown to students or to grading workers.
# END SOLUTION


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
    # BEGIN PROMPT
    # TODO: flatten each example of x to a row (shape (N, D)), apply the
    # affine map, and keep (x, w, b) as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    x_flat = x.reshape(n, d)
    out = x_flat @ w + b
    cache = (x, w, b)
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: derive dx, dw and db from out = x_flat @ w + b and the chain rule;
    # check that each has the shape of x, w, b. Sum over the batch; do not divide by N.
    # END PROMPT
    # BEGIN SOLUTION
    x, w, b = cache
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    x_flat = x.reshape(n, d)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: elementwise max(0, x); keep x as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    out = np.maximum(0, x)
    cache = x
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient (README.md, "ReLU");
    # return a new float array with dout's dtype, never write into dout.
    # END PROMPT
    # BEGIN SOLUTION
    x = cache
    dx = np.where(x > 0, dout, np.zeros((), dtype=dout.dtype))
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: compute sigma(x) without overflow (use exp(-|x|), never
    # exp of a large positive number); keep the output as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    cache = out
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient; the cache holds the
    # forward's output, which the derivative is written in terms of.
    # END PROMPT
    # BEGIN SOLUTION
    out = cache
    dx = dout * out * (1 - out)
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: np.tanh; keep the output as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    out = np.tanh(x)
    cache = out
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient (README.md, "tanh").
    # END PROMPT
    # BEGIN SOLUTION
    out = cache
    dx = dout * (1 - out**2)
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: x where x > 0, alpha * x elsewhere; keep (x, alpha) as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient; alpha comes from the cache.
    # END PROMPT
    # BEGIN SOLUTION
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * dout)
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: x where x > 0, alpha * (exp(x) - 1) elsewhere; np.expm1 of
    # np.minimum(x, 0) avoids overflow. Keep (x, alpha) as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    cache = (x, alpha)
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient; alpha comes from the cache.
    # END PROMPT
    # BEGIN SOLUTION
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * np.exp(np.minimum(x, 0)) * dout)
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: log(1 + exp(x)) written as log1p(exp(-|x|)) + max(x, 0);
    # keep x as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    out = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
    cache = x
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient, with any sigma computed
    # without overflow (you may call sigmoid_forward).
    # END PROMPT
    # BEGIN SOLUTION
    x = cache
    sig, _ = sigmoid_forward(x)
    dx = dout * sig
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: x * sigma(x), with sigma computed without overflow; keep x as the cache.
    # END PROMPT
    # BEGIN SOLUTION
    sig, _ = sigmoid_forward(x)
    out = x * sig
    cache = x
    return out, cache
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: downstream = upstream x local gradient; the local gradient needs
    # the product rule (README.md, "SiLU"), with sigma computed without overflow.
    # END PROMPT
    # BEGIN SOLUTION
    x = cache
    sig, _ = sigmoid_forward(x)
    dx = dout * sig * (1 + x * (1 - sig))
    return dx
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: subtract each row's max (axis=-1, keepdims=True), exponentiate,
    # divide by the row sums. Return only the probabilities.
    # END PROMPT
    # BEGIN SOLUTION
    shifted = x - np.max(x, axis=-1, keepdims=True)
    exps = np.exp(shifted)
    probs = exps / np.sum(exps, axis=-1, keepdims=True)
    return probs
    # END SOLUTION


# BEGIN NOTEBOOK
# %%
# # A small demo: run it once your functions are filled in.
# x = np.array([[-2.0, 0.0, 3.0]])
# out, cache = relu_forward(x)
# print("relu:", out, "dx:", relu_backward(np.ones_like(x), cache))
# out, cache = sigmoid_forward(x)
# print("sigmoid:", out, "dx:", sigmoid_backward(np.ones_like(x), cache))
# print("softmax:", softmax(x))
# END NOTEBOOK
