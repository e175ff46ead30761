# Dennis R. -- optim.py
# In-place operators everywhere: no temporaries, no wasted memory.
# (next_w = w gives the result its own name first.)
# Momentum: v = mu * v + dw, w - lr * v.
import math

import numpy as np


def _cfg(config, pairs):
    config = config if config else {}
    for k, v in pairs:
        if k not in config:
            config[k] = v
    return config


def sgd(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-2)])
    next_w = w
    next_w -= config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-2), ("momentum", 0.9)])
    vel = config["momentum"] * config["velocity"] if "velocity" in config else np.zeros_like(w)
    vel += dw
    config["velocity"] = vel
    step = dw  # dw's memory is free now: reuse it for the step
    step *= 0.0
    step += config["learning_rate"] * vel
    return w - step, config


def nesterov_momentum(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-2), ("momentum", 0.9)])
    mu = config["momentum"]
    vel = mu * config["velocity"] if "velocity" in config else np.zeros_like(w)
    vel += dw
    config["velocity"] = vel
    next_w = w
    next_w -= config["learning_rate"] * (dw + mu * vel)
    return next_w, config


def adagrad(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-2), ("epsilon", 1e-8)])
    if "cache" not in config:
        config["cache"] = np.zeros_like(w)
    config["cache"] += dw * dw
    root = np.sqrt(config["cache"])
    root += config["epsilon"]
    return w - config["learning_rate"] * dw / root, config


def rmsprop(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)])
    if "cache" not in config:
        config["cache"] = np.zeros_like(w)
    config["cache"] *= config["decay_rate"]
    config["cache"] += (1 - config["decay_rate"]) * dw * dw
    root = np.sqrt(config["cache"])
    root += config["epsilon"]
    return w - config["learning_rate"] * dw / root, config


def adadelta(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1.0), ("decay_rate", 0.95), ("epsilon", 1e-6)])
    rho, eps = config["decay_rate"], config["epsilon"]
    for key in ("cache", "delta_cache"):
        if key not in config:
            config[key] = np.zeros_like(w)
    config["cache"] *= rho
    config["cache"] += (1 - rho) * dw * dw
    delta = np.sqrt(config["delta_cache"] + eps)
    delta /= np.sqrt(config["cache"] + eps)
    delta *= -dw
    config["delta_cache"] *= rho
    config["delta_cache"] += (1 - rho) * delta * delta
    return w + config["learning_rate"] * delta, config


def adam(w, dw, config=None):
    config = _cfg(config, [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)])
    b1, b2 = config["beta1"], config["beta2"]
    for key in ("m", "v"):
        if key not in config:
            config[key] = np.zeros_like(w)
    config["t"] = config.get("t", 0) + 1
    config["m"] *= b1
    config["m"] += (1 - b1) * dw
    config["v"] *= b2
    config["v"] += (1 - b2) * dw * dw
    denom = np.sqrt(config["v"] / (1 - b2 ** config["t"]))
    denom += config["epsilon"]
    next_w = w
    next_w -= config["learning_rate"] * (config["m"] / (1 - b1 ** config["t"])) / denom
    return next_w, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    lr = base_lr
    for m in milestones:
        lr *= gamma if step >= m else 1.0
    return lr


def cosine_decay(step, base_lr, total_steps):
    s = step if step <= total_steps else total_steps
    return base_lr * (1.0 + math.cos(s * math.pi / total_steps)) / 2.0


def linear_decay(step, base_lr, total_steps):
    s = step if step <= total_steps else total_steps
    return base_lr * (1.0 - s / total_steps)


def inverse_sqrt_decay(step, base_lr):
    return base_lr / math.sqrt(1.0 + step)


def linear_warmup(step, base_lr, warmup_steps):
    s = step if step <= warmup_steps else warmup_steps
    return base_lr * s / warmup_steps
