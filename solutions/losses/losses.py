"""The ``losses`` assignment: loss functions and weight penalties.

Every loss takes the network's output first and returns ``(loss, grad)``: the
loss as a float and its gradient with respect to that first argument (same
shape). Every penalty takes the weights and returns ``(penalty, dw)``.

README.md, the handout, gives the math and the rules, and each docstring repeats
the conventions: what is averaged (the classification losses average over the N
examples, the elementwise losses over all n = pred.size elements), which
constants (MSE and the L2 penalty have no factor 1/2), the gradient at points
where a function has no derivative, clipping in ``bce_loss``, numerical
stability, no mutation of inputs, float64 outputs.
"""

import numpy as np

# BEGIN SOLUTION
# The reference solution: trusted, never shown to students or to grading workers.
# END SOLUTION

# Probabilities are clipped to [BCE_EPS, 1 - BCE_EPS] before taking logarithms.
BCE_EPS = 1e-12


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss of class scores, averaged over the batch.

    With p = softmax(x[i]), p_j = exp(x[i, j]) / sum_k exp(x[i, k]):

        L_i  = -log p_{y[i]} = -x[i, y[i]] + log sum_j exp(x[i, j])
        loss = (1/N) sum_i L_i
        dx[i, j] = (p_j - [j == y[i]]) / N

    Computed stably: the row maximum is subtracted from each row first (it
    cancels out), and log p is formed as ``shifted - log(sum(exp(shifted)))``,
    never as the log of a probability that may underflow to 0.

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores (logits) of N examples over C classes. Not modified.
    y : ndarray of int, shape (N,)
        Correct class of each example, 0 <= y[i] < C. Not modified.

    Returns
    -------
    loss : float
        The mean loss over the N examples.
    dx : ndarray, shape (N, C)
        Gradient of ``loss`` with respect to x.
    """
    # BEGIN PROMPT
    # TODO: subtract each row's max, form log-probabilities as shifted - log(sum(exp(shifted))),
    #       average -log p of the correct classes over N; dx = (softmax - one-hot of y) / N.
    # END PROMPT
    # BEGIN SOLUTION
    n = x.shape[0]
    rows = np.arange(n)
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() / n
    dx = np.exp(log_probs)
    dx[rows, y] -= 1.0
    dx /= n
    return float(loss), dx
    # END SOLUTION


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the batch.

    With margins m[i, j] = x[i, j] - x[i, y[i]] + 1:

        L_i  = sum over j != y[i] of max(0, m[i, j])
        loss = (1/N) sum_i L_i
        dx[i, j]    = [m[i, j] > 0] / N                      for j != y[i]
        dx[i, y[i]] = -(number of j != y[i] with m[i, j] > 0) / N

    The correct class contributes no margin. At a margin of exactly 0 the
    hinge has no derivative; its gradient is taken as 0 there (strict ``> 0``).

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores of N examples over C classes. Not modified.
    y : ndarray of int, shape (N,)
        Correct class of each example, 0 <= y[i] < C. Not modified.

    Returns
    -------
    loss : float
        The mean loss over the N examples.
    dx : ndarray, shape (N, C)
        Gradient of ``loss`` with respect to x.
    """
    # BEGIN PROMPT
    # TODO: margins x - x[correct] + 1, zero for the correct class, hinge at 0; average over N.
    #       dx: 1/N where a margin is > 0 (strictly), minus (their count)/N at the correct class.
    # END PROMPT
    # BEGIN SOLUTION
    n = x.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, x - x[rows, y][:, np.newaxis] + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / n
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)
    dx /= n
    return float(loss), dx
    # END SOLUTION


def mse_loss(pred, target):
    """Mean squared error over all elements (no factor 1/2).

    With r = pred - target and n = pred.size (every element, not just N):

        loss  = (1/n) sum r**2
        dpred = 2 r / n

    Parameters
    ----------
    pred : ndarray, any shape
        Predictions. Not modified.
    target : ndarray, same shape as pred
        Targets. Not modified.

    Returns
    -------
    loss : float
        The mean of the squared residuals.
    dpred : ndarray, same shape as pred
        Gradient of ``loss`` with respect to pred.
    """
    # BEGIN PROMPT
    # TODO: mean of the squared residuals over all pred.size elements; no 1/2, so a factor 2 in the gradient.
    # END PROMPT
    # BEGIN SOLUTION
    r = pred - target
    n = r.size
    return float(np.sum(r * r) / n), 2.0 * r / n
    # END SOLUTION


def mae_loss(pred, target):
    """Mean absolute error over all elements.

    With r = pred - target and n = pred.size:

        loss  = (1/n) sum |r|
        dpred = sign(r) / n,   with sign(0) = 0

    |r| has no derivative at r == 0; the subgradient 0 is used there.

    Parameters
    ----------
    pred : ndarray, any shape
        Predictions. Not modified.
    target : ndarray, same shape as pred
        Targets. Not modified.

    Returns
    -------
    loss : float
        The mean of the absolute residuals.
    dpred : ndarray, same shape as pred
        Gradient of ``loss`` with respect to pred.
    """
    # BEGIN PROMPT
    # TODO: mean of the absolute residuals over all elements; gradient sign(r) / n with sign(0) = 0.
    # END PROMPT
    # BEGIN SOLUTION
    r = pred - target
    n = r.size
    return float(np.sum(np.abs(r)) / n), np.sign(r) / n
    # END SOLUTION


def huber_loss(pred, target, delta=1.0):
    """Huber loss (quadratic near 0, linear far away) averaged over all elements.

    With r = pred - target, n = pred.size and delta > 0:

        h(r) = 0.5 * r**2                     if |r| <= delta
             = delta * (|r| - 0.5 * delta)    if |r| >  delta
        loss  = (1/n) sum h(r)
        dpred = r / n inside (abs(r) <= delta), delta * sign(r) / n outside

    Both branches meet with the same value (delta**2 / 2) and the same slope
    (+-delta) at |r| == delta, so h is differentiable everywhere.

    Parameters
    ----------
    pred : ndarray, any shape
        Predictions. Not modified.
    target : ndarray, same shape as pred
        Targets. Not modified.
    delta : float, > 0
        Where the loss turns from quadratic to linear.

    Returns
    -------
    loss : float
        The mean Huber loss.
    dpred : ndarray, same shape as pred
        Gradient of ``loss`` with respect to pred.
    """
    # BEGIN PROMPT
    # TODO: 0.5 r**2 where |r| <= delta, delta * (|r| - 0.5 delta) elsewhere; mean over all elements.
    # END PROMPT
    # BEGIN SOLUTION
    r = pred - target
    n = r.size
    a = np.abs(r)
    h = np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    return float(np.sum(h) / n), np.clip(r, -delta, delta) / n
    # END SOLUTION


def bce_loss(probs, target):
    """Binary cross-entropy of probabilities, averaged over all elements.

    With p = clip(probs, BCE_EPS, 1 - BCE_EPS), BCE_EPS = 1e-12, t = target
    and n = probs.size:

        loss   = -(1/n) sum [t log p + (1 - t) log(1 - p)]
        dprobs = (p - t) / (p (1 - p)) / n

    Both formulas are evaluated at the clipped p, so probabilities of exactly
    0 or 1 give a finite loss and a finite gradient.

    Parameters
    ----------
    probs : ndarray, any shape
        Predicted probabilities, in [0, 1]. Not modified.
    target : ndarray, same shape as probs
        Target probabilities in [0, 1] (usually labels 0 or 1). Not modified.

    Returns
    -------
    loss : float
        The mean binary cross-entropy.
    dprobs : ndarray, same shape as probs
        Gradient of ``loss`` with respect to probs.
    """
    # BEGIN PROMPT
    # TODO: clip probs to [BCE_EPS, 1 - BCE_EPS] (without modifying probs), then use the clipped p
    #       in both the loss and the gradient; mean over all elements.
    # END PROMPT
    # BEGIN SOLUTION
    p = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    n = p.size
    loss = -np.sum(target * np.log(p) + (1.0 - target) * np.log(1.0 - p)) / n
    dprobs = (p - target) / (p * (1.0 - p)) / n
    return float(loss), dprobs
    # END SOLUTION


def bce_with_logits_loss(logits, target):
    """Binary cross-entropy of sigmoid(logits), computed stably, averaged over all elements.

    With z = logits, t = target, n = logits.size and sigma(z) = 1 / (1 + exp(-z)):

        loss    = (1/n) sum [max(z, 0) - z t + log(1 + exp(-|z|))]
        dlogits = (sigma(z) - t) / n

    The loss equals bce_loss(sigma(z), t) without clipping, rearranged so that
    exp never overflows (log1p(exp(-|z|)) is used for log(1 + exp(-|z|))), and
    sigma is computed from exp(-|z|) too, so logits of +-1000 are fine.

    Parameters
    ----------
    logits : ndarray, any shape
        Scores before the sigmoid. Not modified.
    target : ndarray, same shape as logits
        Target probabilities in [0, 1] (usually labels 0 or 1). Not modified.

    Returns
    -------
    loss : float
        The mean binary cross-entropy.
    dlogits : ndarray, same shape as logits
        Gradient of ``loss`` with respect to logits.
    """
    # BEGIN PROMPT
    # TODO: use max(z, 0) - z t + log1p(exp(-|z|)) and a sigmoid built from exp(-|z|),
    #       so nothing overflows for logits of +-1000; mean over all elements.
    # END PROMPT
    # BEGIN SOLUTION
    z = logits
    n = z.size
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    loss = np.sum(np.maximum(z, 0.0) - z * target + np.log1p(e)) / n
    sigma = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (sigma - target) / n
    # END SOLUTION


def l1_penalty(w, reg):
    """L1 weight penalty.

        penalty = reg * sum |w|
        dw      = reg * sign(w),   with sign(0) = 0

    |w| has no derivative at w == 0; the subgradient 0 is used there.

    Parameters
    ----------
    w : ndarray, any shape
        Weights. Not modified.
    reg : float, >= 0
        Regularization strength.

    Returns
    -------
    penalty : float
    dw : ndarray, same shape as w
        Gradient of ``penalty`` with respect to w.
    """
    # BEGIN PROMPT
    # TODO: reg * sum |w| and its (sub)gradient, 0 where w == 0.
    # END PROMPT
    # BEGIN SOLUTION
    return float(reg * np.sum(np.abs(w))), reg * np.sign(w)
    # END SOLUTION


def l2_penalty(w, reg):
    """L2 weight penalty (no factor 1/2).

        penalty = reg * sum w**2
        dw      = 2 * reg * w

    Parameters
    ----------
    w : ndarray, any shape
        Weights. Not modified.
    reg : float, >= 0
        Regularization strength.

    Returns
    -------
    penalty : float
    dw : ndarray, same shape as w
        Gradient of ``penalty`` with respect to w.
    """
    # BEGIN PROMPT
    # TODO: reg * sum w**2 (no 1/2) and its gradient.
    # END PROMPT
    # BEGIN SOLUTION
    return float(reg * np.sum(w * w)), 2.0 * reg * w
    # END SOLUTION


def elastic_net_penalty(w, reg, l1_ratio):
    """Elastic-net weight penalty: a mix of the L1 and the L2 penalty above.

        penalty = reg * (l1_ratio * sum |w| + (1 - l1_ratio) * sum w**2)
        dw      = reg * (l1_ratio * sign(w) + 2 * (1 - l1_ratio) * w),   sign(0) = 0

    l1_ratio = 1 gives ``l1_penalty(w, reg)``, l1_ratio = 0 gives ``l2_penalty(w, reg)``.

    Parameters
    ----------
    w : ndarray, any shape
        Weights. Not modified.
    reg : float, >= 0
        Regularization strength.
    l1_ratio : float, in [0, 1]
        Share of the L1 part.

    Returns
    -------
    penalty : float
    dw : ndarray, same shape as w
        Gradient of ``penalty`` with respect to w.
    """
    # BEGIN PROMPT
    # TODO: l1_ratio of the L1 penalty plus (1 - l1_ratio) of the L2 penalty, both scaled by reg.
    # END PROMPT
    # BEGIN SOLUTION
    penalty = reg * (l1_ratio * np.sum(np.abs(w)) + (1.0 - l1_ratio) * np.sum(w * w))
    dw = reg * (l1_ratio * np.sign(w) + 2.0 * (1.0 - l1_ratio) * w)
    return float(penalty), dw
    # END SOLUTION
