"""Edsger D. -- optim.

Each rule is written as: (1) complete the configuration, (2) compute the new state,
(3) compute the step, (4) return. Preconditions are asserted. Momentum accumulates
gradients (v = mu * v + dw). The Adam bias correction is read off L10's slide, where
the lines lost their indentation.
"""
import math

import numpy as np


def _complete(config, defaults):
    config = {} if config is None else config
    config.update({key: value for key, value in defaults.items() if key not in config})
    return config


def _zeros(config, key, w):
    return config[key] if key in config else np.zeros(w.shape, dtype=w.dtype)


def sgd(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-2})
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-2, "momentum": 0.9})
    v_new = config["momentum"] * _zeros(config, "velocity", w) + dw
    config["velocity"] = v_new
    return w - config["learning_rate"] * v_new, config


def nesterov_momentum(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-2, "momentum": 0.9})
    lr, mu = config["learning_rate"], config["momentum"]
    config["velocity"] = mu * _zeros(config, "velocity", w) + dw
    return w - lr * (dw + mu * config["velocity"]), config


def adagrad(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-2, "epsilon": 1e-8})
    g_sum = _zeros(config, "cache", w) + np.power(dw, 2)
    config["cache"] = g_sum
    direction = dw / (np.sqrt(g_sum) + config["epsilon"])
    return w - config["learning_rate"] * direction, config


def rmsprop(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    beta = config["decay_rate"]
    g_avg = beta * _zeros(config, "cache", w) + (1.0 - beta) * np.power(dw, 2)
    config["cache"] = g_avg
    direction = dw / (np.sqrt(g_avg) + config["epsilon"])
    return w - config["learning_rate"] * direction, config


def adadelta(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6})
    beta, eps = config["decay_rate"], config["epsilon"]
    g_avg = beta * _zeros(config, "cache", w) + (1.0 - beta) * np.power(dw, 2)
    d_avg_old = _zeros(config, "delta_cache", w)
    direction = np.sqrt(d_avg_old + eps) / np.sqrt(g_avg + eps) * dw
    config["cache"] = g_avg
    config["delta_cache"] = beta * d_avg_old + (1.0 - beta) * np.power(direction, 2)
    return w - config["learning_rate"] * direction, config


def adam(w, dw, config=None):
    assert w.shape == dw.shape
    config = _complete(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = config.get("t", 0) + 1
    m_new = b1 * _zeros(config, "m", w) + (1.0 - b1) * dw
    v_new = b2 * _zeros(config, "v", w) + (1.0 - b2) * np.power(dw, 2)
    config["m"], config["v"] = m_new, v_new
    m_unbiased = m_new / (1.0 - b1)
    v_unbiased = v_new / (1.0 - b2)
    direction = m_unbiased / (np.sqrt(v_unbiased) + config["epsilon"])
    return w - config["learning_rate"] * direction, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    assert step >= 0
    k = 0
    while k < len(milestones) and milestones[k] <= step:
        k += 1
    return base_lr * gamma**k


def cosine_decay(step, base_lr, total_steps):
    assert total_steps > 0
    fraction = min(step, total_steps) / total_steps
    return 0.5 * base_lr * (1.0 + math.cos(fraction * math.pi))


def linear_decay(step, base_lr, total_steps):
    assert total_steps > 0
    remaining = max(total_steps - step, 0)
    return base_lr * remaining / total_steps


def inverse_sqrt_decay(step, base_lr):
    assert step >= 0
    return base_lr * math.sqrt(1.0 / (step + 1))


def linear_warmup(step, base_lr, warmup_steps):
    assert warmup_steps > 0
    return base_lr if step >= warmup_steps else base_lr * (step / warmup_steps)
