"""Margaret H. -- optim.

No rule changes the dict it is given: each one builds a new config from
{defaults, the caller's config, the new state} and returns that, which is what
the training loop passes back. Moving averages are written as interpolations,
avg + (1 - rho) * (x - avg), which is the same as rho * avg + (1 - rho) * x.
Momentum in L10's form (b); the bias correction of Adam pulled out of the arrays.
"""
import bisect
import math

import numpy as np


def _merged(config, **defaults):
    return {**defaults, **(config or {})}


def _ema(avg, x, rho):
    return avg + (1.0 - rho) * (x - avg)


def sgd(w, dw, config=None):
    c = _merged(config, learning_rate=1e-2)
    return w - c["learning_rate"] * dw, c


def sgd_momentum(w, dw, config=None):
    c = _merged(config, learning_rate=1e-2, momentum=0.9)
    v = c["momentum"] * c.get("velocity", 0.0 * w) - c["learning_rate"] * dw
    return w + v, {**c, "velocity": v}


def nesterov_momentum(w, dw, config=None):
    c = _merged(config, learning_rate=1e-2, momentum=0.9)
    mu = c["momentum"]
    before = c.get("velocity", 0.0 * w)
    after = mu * before - c["learning_rate"] * dw
    return w - mu * before + (1.0 + mu) * after, {**c, "velocity": after}


def adagrad(w, dw, config=None):
    c = _merged(config, learning_rate=1e-2, epsilon=1e-8)
    total = c.get("cache", 0.0 * w) + dw * dw
    return w - c["learning_rate"] / (np.sqrt(total) + c["epsilon"]) * dw, {**c, "cache": total}


def rmsprop(w, dw, config=None):
    c = _merged(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    avg = _ema(c.get("cache", 0.0 * w), dw * dw, c["decay_rate"])
    return w - c["learning_rate"] / (np.sqrt(avg) + c["epsilon"]) * dw, {**c, "cache": avg}


def adadelta(w, dw, config=None):
    c = _merged(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    rho, eps = c["decay_rate"], c["epsilon"]
    g2 = _ema(c.get("cache", 0.0 * w), dw * dw, rho)
    old_d2 = c.get("delta_cache", 0.0 * w)
    delta = -dw * np.sqrt((old_d2 + eps) / (g2 + eps))
    new_d2 = _ema(old_d2, delta * delta, rho)
    return w + c["learning_rate"] * delta, {**c, "cache": g2, "delta_cache": new_d2}


def adam(w, dw, config=None):
    c = _merged(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = c.get("t", 0) + 1
    m = _ema(c.get("m", 0.0 * w), dw, c["beta1"])
    v = _ema(c.get("v", 0.0 * w), dw * dw, c["beta2"])
    # m_hat / (sqrt(v_hat) + eps) with the corrections as scalars
    first = 1.0 - c["beta1"] ** t
    root_second = math.sqrt(1.0 - c["beta2"] ** t)
    update = (m / first) / (np.sqrt(v) / root_second + c["epsilon"])
    return w - c["learning_rate"] * update, {**c, "t": t, "m": m, "v": v}


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** bisect.bisect_right(list(milestones), step)


def cosine_decay(step, base_lr, total_steps):
    # (1 + cos x) / 2 == cos(x / 2)**2
    half_angle = 0.5 * math.pi * min(step, total_steps) / total_steps
    return base_lr * math.cos(half_angle) ** 2


def linear_decay(step, base_lr, total_steps):
    return base_lr * max(0.0, 1.0 - step / total_steps)


def inverse_sqrt_decay(step, base_lr):
    return base_lr * math.exp(-0.5 * math.log1p(step))


def linear_warmup(step, base_lr, warmup_steps):
    return base_lr * min(step, warmup_steps) / warmup_steps
