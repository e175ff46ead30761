"""Grace's optim.py (the rules and schedules her trainer is used with)."""
import math

import numpy as np


def _defaults(config, **values):
    config = {} if config is None else config
    for key, value in values.items():
        config.setdefault(key, value)
    return config


def sgd(w, dw, config=None):
    """Plain gradient descent: next_w = w - learning_rate * dw."""
    config = _defaults(config, learning_rate=1e-2)
    step = config["learning_rate"] * dw
    return w - step, config


def sgd_momentum(w, dw, config=None):
    """L10's form (a): v = momentum * v + dw, next_w = w - learning_rate * v."""
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    old = config["velocity"] if "velocity" in config else np.zeros_like(w)
    config["velocity"] = config["momentum"] * old + dw
    return w - config["learning_rate"] * config["velocity"], config


def adam(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config["t"] = config.get("t", 0) + 1
    m = config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    scale = config["learning_rate"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - scale * m / (np.sqrt(v) + config["epsilon"] * math.sqrt(1 - b2 ** t)), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** sum(1 for m in milestones if step >= m)


def cosine_decay(step, base_lr, total_steps):
    return 0.5 * base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
