"""The ``optim`` assignment: update rules and learning-rate schedules.

Every update rule follows one contract::

    next_w, config = rule(w, dw, config=None)

``w`` is an array of weights, ``dw`` the gradient of the loss with respect to
it (same shape). ``config`` is a dict of plain data: the hyperparameters and
the rule's state (arrays shaped like ``w``, a step count). ``None`` means "first
step, all defaults". A rule fills in missing hyperparameters with
``config.setdefault`` (the caller's values are kept), keeps its state in
``config``, and returns a new array and the config dict, which the caller passes
back on the next step. It never modifies ``w`` or ``dw``.

Every learning-rate schedule follows one signature::

    lr = schedule(step, base_lr, **params)

``step`` is counted from 0 (the first update is step 0), every decay gives
``base_lr`` at step 0, and the result is a float. README.md, the handout, gives
the formulas, the lecture each comes from, the choices made where the notes
disagree, and the rules; each docstring repeats its formula.
"""

import math

import numpy as np

# BEGIN SOLUTION
# The reference solution: trusted, never shown to students or to grading workers.


def _with_defaults(config, **defaults):
    """``config`` (a new dict if None) with every missing hyperparameter set to its default."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def _state(config, key, w):
    """The state array ``config[key]``, zeros shaped like ``w`` before the first step."""
    return config.get(key, np.zeros_like(w))
# END SOLUTION


# -- update rules ------------------------------------------------------------------------
def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent (L10 "SGD"; CS188 "Gradient Descent").

        w_{t+1} = w_t - alpha g_t

    with alpha = config["learning_rate"] and g_t = dw, the gradient at w_t.

    config (defaults):
        learning_rate: 1e-2

    Returns (next_w, config): next_w is w_{t+1}, a new array. w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: fill in the default with config.setdefault; return a new array (do not write into w).
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config
    # END SOLUTION


def sgd_momentum(w, dw, config=None):
    """SGD with momentum (L10 "SGD+Momentum" and its alternate formula; CS188 "Momentum").

    With rho = config["momentum"], alpha = config["learning_rate"], g_t = dw and v_0 = 0,
    either formulation of L10 (they give the same weights while alpha is constant; both
    are accepted, and CS188's v_{t+1} = rho v_t + alpha g_t, w_{t+1} = w_t - v_{t+1} too):

        (a)  v_{t+1} = rho v_t + g_t          w_{t+1} = w_t - alpha v_{t+1}
        (b)  v_{t+1} = rho v_t - alpha g_t    w_{t+1} = w_t + v_{t+1}

    config (defaults):
        learning_rate: 1e-2
        momentum: 0.9
        velocity: v_t, an array shaped like w (zeros before the first step); the
            rule stores v_{t+1} there for the next call

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: pick one formulation; keep the velocity in config['velocity'] (zeros before the
    #       first step) and store the new velocity there before returning.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * _state(config, "velocity", w) - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
    # END SOLUTION


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum (L10 "Nesterov momentum"), in L10's change of variables.

    L10: v_{t+1} = rho v_t - alpha grad f(x_t + rho v_t),  x_{t+1} = x_t + v_{t+1}. With
    w_t = x_t + rho v_t (the look-ahead point, where dw = g_t is taken) this becomes

        v_{t+1} = rho v_t - alpha g_t
        w_{t+1} = w_t - rho v_t + (1 + rho) v_{t+1}

    or, in momentum's formulation (a), where v accumulates raw gradients (same weights;
    either is accepted): v_{t+1} = rho v_t + g_t,  w_{t+1} = w_t - alpha (g_t + rho v_{t+1}).

    config (defaults):
        learning_rate: 1e-2  (alpha)
        momentum: 0.9        (rho)
        velocity: v_t, an array shaped like w (zeros before the first step)

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: like sgd_momentum, but the step also uses the new velocity (the look-ahead);
    #       keep the old velocity around until the step is computed.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    mu = config["momentum"]
    v_old = _state(config, "velocity", w)
    v = mu * v_old - config["learning_rate"] * dw
    config["velocity"] = v
    return w - mu * v_old + (1.0 + mu) * v, config
    # END SOLUTION


def adagrad(w, dw, config=None):
    """AdaGrad (L10 "AdaGrad"; CS188 "Adagrad"): per-weight steps scaled by the root of
    the summed squared gradients. Elementwise, with G_0 = 0:

        G_t     = G_{t-1} + g_t^2
        w_{t+1} = w_t - alpha g_t / (sqrt(G_t) + epsilon)

    epsilon outside the root is L10's form, the one this course uses; CS188's,
    alpha g_t / sqrt(G_t + epsilon), is accepted too.

    config (defaults):
        learning_rate: 1e-2  (alpha)
        epsilon: 1e-8
        cache: G_t, an array shaped like w (zeros before the first step)

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: accumulate dw**2 in config['cache']; epsilon goes outside the square root.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-2, epsilon=1e-8)
    cache = _state(config, "cache", w) + dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
    # END SOLUTION


def rmsprop(w, dw, config=None):
    """RMSProp (L10 "RMSProp"; CS188 "RMSprop"): AdaGrad with a decaying average of the
    squared gradients. Elementwise, with gamma = config["decay_rate"] and E_0 = 0:

        E_t     = gamma E_{t-1} + (1 - gamma) g_t^2
        w_{t+1} = w_t - alpha g_t / (sqrt(E_t) + epsilon)

    epsilon outside the root is L10's form, the one this course uses; CS188's,
    alpha g_t / sqrt(E_t + epsilon), is accepted too.

    config (defaults):
        learning_rate: 1e-2  (alpha)
        decay_rate: 0.99     (gamma)
        epsilon: 1e-8
        cache: E_t, an array shaped like w (zeros before the first step)

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: decaying average of dw**2 in config['cache']; epsilon goes outside the square root.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    cache = rho * _state(config, "cache", w) + (1.0 - rho) * (dw * dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
    # END SOLUTION


def adadelta(w, dw, config=None):
    """Adadelta (CS188 "Adadelta"; Zeiler, 2012). Elementwise, with gamma =
    config["decay_rate"], RMS[x]_t = sqrt(E[x^2]_t + epsilon) and both averages 0 at first:

        E[g^2]_t       = gamma E[g^2]_{t-1} + (1 - gamma) g_t^2
        delta_t        = - RMS[delta]_{t-1} / RMS[g]_t  g_t
        E[delta^2]_t   = gamma E[delta^2]_{t-1} + (1 - gamma) delta_t^2
        w_{t+1}        = w_t + alpha delta_t

    epsilon is inside both square roots. E[delta^2] accumulates delta_t itself, before
    the learning rate alpha, which this course adds (default 1.0: CS188's Adadelta).

    config (defaults):
        learning_rate: 1.0  (alpha)
        decay_rate: 0.95    (gamma)
        epsilon: 1e-6
        cache: E[g^2]_t, an array shaped like w (zeros before the first step)
        delta_cache: E[delta^2]_t, an array shaped like w (zeros before the first step)

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: two decaying averages (cache, delta_cache); epsilon inside both square roots;
    #       update delta_cache with the new delta after the step is computed.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    rho, eps = config["decay_rate"], config["epsilon"]
    cache = rho * _state(config, "cache", w) + (1.0 - rho) * (dw * dw)
    previous = _state(config, "delta_cache", w)
    delta = -np.sqrt(previous + eps) / np.sqrt(cache + eps) * dw
    config["cache"] = cache
    config["delta_cache"] = rho * previous + (1.0 - rho) * (delta * delta)
    return w + config["learning_rate"] * delta, config
    # END SOLUTION


def adam(w, dw, config=None):
    """Adam with bias correction (L10 "Adam"; CS188 "Adam"; Kingma & Ba, 2015).
    Elementwise, with m_0 = v_0 = 0 and t the number of the step (1 for the first):

        m_t     = beta1 m_{t-1} + (1 - beta1) g_t
        v_t     = beta2 v_{t-1} + (1 - beta2) g_t^2
        mhat_t  = m_t / (1 - beta1^t)
        vhat_t  = v_t / (1 - beta2^t)
        w_{t+1} = w_t - alpha mhat_t / (sqrt(vhat_t) + epsilon)

    epsilon is outside the root. Kingma & Ba's equivalent order (alpha_t = alpha
    sqrt(1 - beta2^t) / (1 - beta1^t), then a step of alpha_t m_t / (sqrt(v_t) + epsilon))
    is accepted too. config keeps the raw m_t and v_t (not the corrected ones) and t,
    the number of steps taken so far.

    config (defaults):
        learning_rate: 1e-3  (alpha)
        beta1: 0.9
        beta2: 0.999
        epsilon: 1e-8
        m, v: m_t and v_t, arrays shaped like w (zeros before the first step)
        t: 0 before the first step

    Returns (next_w, config). w and dw are not modified.
    """
    # BEGIN PROMPT
    # TODO: increment t first, update the raw moments m and v, bias-correct copies of them;
    #       epsilon goes outside the square root.
    # END PROMPT
    # BEGIN SOLUTION
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = beta1 * _state(config, "m", w) + (1.0 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1.0 - beta2) * (dw * dw)
    config.update(t=t, m=m, v=v)
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: count the milestones already reached (step >= milestone).
    # END PROMPT
    # BEGIN SOLUTION
    return float(base_lr * gamma ** sum(1 for m in milestones if step >= m))
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: clip step to total_steps first.
    # END PROMPT
    # BEGIN SOLUTION
    t = min(step, total_steps)
    return float(0.5 * base_lr * (1.0 + math.cos(math.pi * t / total_steps)))
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: clip step to total_steps first.
    # END PROMPT
    # BEGIN SOLUTION
    t = min(step, total_steps)
    return float(base_lr * (1.0 - t / total_steps))
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: step counts from 0; the lecture's t counts from 1.
    # END PROMPT
    # BEGIN SOLUTION
    return float(base_lr / math.sqrt(step + 1))
    # END SOLUTION


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
    # BEGIN PROMPT
    # TODO: from 0 at step 0 up to base_lr at warmup_steps; base_lr after that.
    # END PROMPT
    # BEGIN SOLUTION
    return float(base_lr * min(1.0, step / warmup_steps))
    # END SOLUTION
