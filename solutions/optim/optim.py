"""Reference solution for the ``optim`` assignment (update rules and learning-rate schedules).

Every update rule follows one contract::

    next_w, config = rule(w, dw, config=None)

``w`` is an array of weights, ``dw`` the gradient of the loss with respect to
it (same shape). ``config`` is a dict of plain data: the hyperparameters and
the rule's state (arrays shaped like ``w``, a step count). ``None`` means "first
step, all defaults". Missing hyperparameters are filled in with
``config.setdefault``; the caller's values are kept. The rule returns a new
array and the config dict the caller passes back on the next step. Neither
``w`` nor ``dw`` is modified.

Every learning-rate schedule follows one signature::

    lr = schedule(step, base_lr, **params)

``step`` is counted from 0 (the first update is step 0), and every decay gives
``base_lr`` at step 0. The formulas, with the lecture each comes from and the
choices made where the notes disagree, are in the handout (README.md of the
assignment) and repeated in each docstring.

This file is trusted and never shown to students or to grading workers.
"""

import math

import numpy as np


def _with_defaults(config, **defaults):
    """``config`` (a new dict if None) with every missing hyperparameter set to its default."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def _state(config, key, w):
    """The state array ``config[key]``, zeros shaped like ``w`` before the first step."""
    return config.get(key, np.zeros_like(w))


# -- update rules ------------------------------------------------------------------------
def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent.

        next_w = w - learning_rate * dw

    config (defaults):
        learning_rate: 1e-2

    Returns (next_w, config). w and dw are not modified.
    """
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


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
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * _state(config, "velocity", w) - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


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
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    mu = config["momentum"]
    v_old = _state(config, "velocity", w)
    v = mu * v_old - config["learning_rate"] * dw
    config["velocity"] = v
    return w - mu * v_old + (1.0 + mu) * v, config


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
    config = _with_defaults(config, learning_rate=1e-2, epsilon=1e-8)
    cache = _state(config, "cache", w) + dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


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
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    cache = rho * _state(config, "cache", w) + (1.0 - rho) * (dw * dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


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
    config = _with_defaults(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    rho, eps = config["decay_rate"], config["epsilon"]
    cache = rho * _state(config, "cache", w) + (1.0 - rho) * (dw * dw)
    previous = _state(config, "delta_cache", w)
    delta = -np.sqrt(previous + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta_cache"] = rho * previous + (1.0 - rho) * (delta * delta)
    return w + config["learning_rate"] * delta, config


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
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = beta1 * _state(config, "m", w) + (1.0 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1.0 - beta2) * (dw * dw)
    config.update(t=t, m=m, v=v)
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


# -- learning-rate schedules ------------------------------------------------------------
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
    return float(base_lr * gamma ** sum(1 for m in milestones if step >= m))


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
    t = min(step, total_steps)
    return float(0.5 * base_lr * (1.0 + math.cos(math.pi * t / total_steps)))


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
    t = min(step, total_steps)
    return float(base_lr * (1.0 - t / total_steps))


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
    return float(base_lr / math.sqrt(step + 1))


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
    return float(base_lr * min(1.0, step / warmup_steps))
