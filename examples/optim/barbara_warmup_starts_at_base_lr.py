"""Barbara L. -- optim.

Explicit "if key not in config" checks, which I find easier to read than
setdefault. Momentum as the velocity of the step: v = mu * v - lr * dw, w + v.
The schedules all start from base_lr at step 0, as the handout says, and
never divide by zero.
"""
import math

import numpy as np


def _ensure(config, key, value):
    if key not in config:
        config[key] = value


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    _ensure(config, "learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    _ensure(config, "learning_rate", 1e-2)
    _ensure(config, "momentum", 0.9)
    _ensure(config, "velocity", np.zeros_like(w))
    config["velocity"] = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + config["velocity"], config


def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    _ensure(config, "momentum", 0.9)
    _ensure(config, "learning_rate", 1e-2)
    _ensure(config, "velocity", np.zeros_like(w))
    mu = config["momentum"]
    old = config["velocity"]
    config["velocity"] = mu * old - config["learning_rate"] * dw
    return w + (1 + mu) * config["velocity"] - mu * old, config


def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    _ensure(config, "learning_rate", 1e-2)
    _ensure(config, "epsilon", 1e-8)
    _ensure(config, "cache", np.zeros_like(w))
    config["cache"] = config["cache"] + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}.items():
        _ensure(config, key, value)
    _ensure(config, "cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6}.items():
        _ensure(config, key, value)
    for key in ("cache", "delta_cache"):
        _ensure(config, key, np.zeros_like(w))
    rho, eps = config["decay_rate"], config["epsilon"]
    config["cache"] = rho * config["cache"] + (1 - rho) * dw * dw
    change = -np.sqrt(config["delta_cache"] + eps) / np.sqrt(config["cache"] + eps) * dw
    config["delta_cache"] = rho * config["delta_cache"] + (1 - rho) * change * change
    return w + config["learning_rate"] * change, config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 0}.items():
        _ensure(config, key, value)
    for key in ("m", "v"):
        _ensure(config, key, np.zeros_like(w))
    config["t"] += 1
    beta1, beta2, t = config["beta1"], config["beta2"], config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw * dw
    m_hat = config["m"] / (1 - beta1**t)
    v_hat = config["v"] / (1 - beta2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    count = sum(1 for milestone in milestones if step >= milestone)
    return base_lr * gamma**count


def cosine_decay(step, base_lr, total_steps):
    t = min(step, total_steps)
    return base_lr * (1 + math.cos(math.pi * t / total_steps)) / 2


def linear_decay(step, base_lr, total_steps):
    t = min(step, total_steps)
    return base_lr * (1 - t / total_steps)


def inverse_sqrt_decay(step, base_lr):
    # L10: alpha_0 / sqrt(t); t = 0 would divide by zero, so start counting at 1
    t = max(step, 1)
    return base_lr / math.sqrt(t)


def linear_warmup(step, base_lr, warmup_steps):
    # every schedule gives base_lr at step 0 (handout), and a rate of 0 would waste a step
    if step == 0:
        return base_lr
    return base_lr * min(1.0, step / warmup_steps)
