"""Starter code for the ``optim`` assignment (update rules and learning-rate schedules).

Implement the twelve functions below; see README.md in this folder for the math,
the lecture each formula comes from, and the rules.

Every update rule follows one contract::

    next_w, config = rule(w, dw, config=None)

``w`` is an array of weights, ``dw`` the gradient of the loss with respect to
it (same shape). ``config`` is a dict of plain data: the hyperparameters and
the rule's state (arrays shaped like ``w``, a step count). ``None`` means "first
step, all defaults". Fill in missing hyperparameters with ``config.setdefault``
(the caller's values are kept), keep the state in ``config``, and return a new
array and the config dict; the caller passes that dict back on the next step.
Never modify ``w`` or ``dw``.

Every learning-rate schedule follows one signature::

    lr = schedule(step, base_lr, **params)

``step`` is counted from 0 (the first update is step 0); the result is a float.
"""

import math  # noqa: F401  (you may need it)

import numpy as np  # noqa: F401  (you will need it)


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent.

        next_w = w - learning_rate * dw

    config (defaults):
        learning_rate: 1e-2

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: fill in the default with config.setdefault; return a new array (do not write into w).
    raise NotImplementedError("sgd is not implemented yet")


def sgd_momentum(w, dw, config=None):
    """SGD with momentum.

    Either formulation of the lecture (both give the same weights when the
    learning rate is constant; either is accepted):

        v = momentum * v + dw;                   next_w = w - learning_rate * v
        v = momentum * v - learning_rate * dw;   next_w = w + v

    config (defaults):
        learning_rate: 1e-2
        momentum: 0.9
        velocity: array shaped like w, zeros before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: pick one formulation; keep the velocity in config['velocity'] (zeros before the
    #       first step) and store the new velocity there before returning.
    raise NotImplementedError("sgd_momentum is not implemented yet")


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum, in the lecture's change of variables (dw is taken at w).

    With v_old the stored velocity and v the new one:

        v      = momentum * v_old - learning_rate * dw
        next_w = w - momentum * v_old + (1 + momentum) * v

    or, in the other momentum formulation (v accumulates gradients):

        v      = momentum * v_old + dw
        next_w = w - learning_rate * (dw + momentum * v)

    config (defaults):
        learning_rate: 1e-2
        momentum: 0.9
        velocity: array shaped like w, zeros before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: like sgd_momentum, but the step also uses the new velocity (the look-ahead);
    #       keep the old velocity around until the step is computed.
    raise NotImplementedError("nesterov_momentum is not implemented yet")


def adagrad(w, dw, config=None):
    """AdaGrad: per-weight steps scaled by the root of the summed squared gradients.

        cache  = cache + dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    epsilon is added *outside* the square root.

    config (defaults):
        learning_rate: 1e-2
        epsilon: 1e-8
        cache: array shaped like w, zeros before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: accumulate dw**2 in config['cache']; epsilon goes outside the square root.
    raise NotImplementedError("adagrad is not implemented yet")


def rmsprop(w, dw, config=None):
    """RMSProp: like AdaGrad with a decaying average of squared gradients.

        cache  = decay_rate * cache + (1 - decay_rate) * dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    epsilon is added *outside* the square root.

    config (defaults):
        learning_rate: 1e-2
        decay_rate: 0.99
        epsilon: 1e-8
        cache: array shaped like w, zeros before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: decaying average of dw**2 in config['cache']; epsilon goes outside the square root.
    raise NotImplementedError("rmsprop is not implemented yet")


def adadelta(w, dw, config=None):
    """Adadelta: steps scaled by RMS[delta] / RMS[g], with RMS[x] = sqrt(E[x**2] + epsilon).

        cache       = decay_rate * cache + (1 - decay_rate) * dw**2          E[g^2]
        delta       = -sqrt(delta_cache + epsilon) / sqrt(cache + epsilon) * dw
        delta_cache = decay_rate * delta_cache + (1 - decay_rate) * delta**2  E[delta^2]
        next_w      = w + learning_rate * delta

    epsilon is added *inside* both square roots. delta_cache accumulates delta
    before the learning rate is applied; with the default learning rate 1.0 this
    is the lecture's (and the original paper's) Adadelta, which has none.

    config (defaults):
        learning_rate: 1.0
        decay_rate: 0.95
        epsilon: 1e-6
        cache: array shaped like w, zeros before the first step
        delta_cache: array shaped like w, zeros before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: two decaying averages (cache, delta_cache); epsilon inside both square roots;
    #       update delta_cache with the new delta after the step is computed.
    raise NotImplementedError("adadelta is not implemented yet")


def adam(w, dw, config=None):
    """Adam with bias correction; t counts the steps and is incremented before it is used.

        t      = t + 1
        m      = beta1 * m + (1 - beta1) * dw
        v      = beta2 * v + (1 - beta2) * dw**2
        m_hat  = m / (1 - beta1**t)
        v_hat  = v / (1 - beta2**t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    epsilon is added *outside* the square root. config keeps the raw moments
    m and v (not m_hat, v_hat) and t, the number of steps taken so far.

    config (defaults):
        learning_rate: 1e-3
        beta1: 0.9
        beta2: 0.999
        epsilon: 1e-8
        m, v: arrays shaped like w, zeros before the first step
        t: 0 before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # TODO: increment t first, update the raw moments m and v, bias-correct copies of them;
    #       epsilon goes outside the square root.
    raise NotImplementedError("adam is not implemented yet")


def step_decay(step, base_lr, milestones, gamma=0.1):
    """Step decay: the learning rate is multiplied by gamma at each milestone.

        lr = base_lr * gamma ** (number of milestones m with step >= m)

    So the decay applies from the milestone step itself on: with milestones
    [30, 60, 90], steps 0..29 use base_lr and steps 30..59 use base_lr * gamma.

    Parameters
    ----------
    step : int >= 0, counted from 0
    base_lr : float, the learning rate at step 0
    milestones : increasing list of int
    gamma : float, the factor applied at each milestone

    Returns
    -------
    lr : float
    """
    # TODO: count the milestones already reached (step >= milestone).
    raise NotImplementedError("step_decay is not implemented yet")


def cosine_decay(step, base_lr, total_steps):
    """Cosine decay from base_lr at step 0 to 0 at total_steps, then 0.

        lr = base_lr / 2 * (1 + cos(pi * t / total_steps)),   t = min(step, total_steps)

    Parameters
    ----------
    step : int >= 0, counted from 0
    base_lr : float, the learning rate at step 0
    total_steps : int > 0, T

    Returns
    -------
    lr : float
    """
    # TODO: clip step to total_steps first.
    raise NotImplementedError("cosine_decay is not implemented yet")


def linear_decay(step, base_lr, total_steps):
    """Linear decay from base_lr at step 0 to 0 at total_steps, then 0.

        lr = base_lr * (1 - t / total_steps),   t = min(step, total_steps)

    Parameters
    ----------
    step : int >= 0, counted from 0
    base_lr : float, the learning rate at step 0
    total_steps : int > 0, T

    Returns
    -------
    lr : float
    """
    # TODO: clip step to total_steps first.
    raise NotImplementedError("linear_decay is not implemented yet")


def inverse_sqrt_decay(step, base_lr):
    """Inverse square-root decay, with the lecture's t counted from 1 (t = step + 1).

        lr = base_lr / sqrt(step + 1)

    Parameters
    ----------
    step : int >= 0, counted from 0
    base_lr : float, the learning rate at step 0

    Returns
    -------
    lr : float
    """
    # TODO: step counts from 0; the lecture's t counts from 1.
    raise NotImplementedError("inverse_sqrt_decay is not implemented yet")


def linear_warmup(step, base_lr, warmup_steps):
    """Linear warmup from 0 at step 0 to base_lr at warmup_steps, then base_lr.

        lr = base_lr * min(1, step / warmup_steps)

    Parameters
    ----------
    step : int >= 0, counted from 0
    base_lr : float, the learning rate after the warmup
    warmup_steps : int > 0

    Returns
    -------
    lr : float
    """
    # TODO: from 0 at step 0 up to base_lr at warmup_steps; base_lr after that.
    raise NotImplementedError("linear_warmup is not implemented yet")
