# Ken T. -- optim (I write C all day; Python is almost the same)
import math

import numpy as np


def _defaults(config, **table):
    merged = dict(table)
    merged.update(config or {})
    return merged


def sgd(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def adagrad(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, epsilon=1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    lr = base_lr
    for m in milestones:
        if step < m:
            break
        else if step >= m:
            lr *= gamma
    return lr


def cosine_decay(step, base_lr, total_steps):
    t = min(step, total_steps)
    return 0.5 * base_lr * (1 + math.cos(math.pi * t / total_steps))
