# Trudy -- optim.
# All right, except that AdaGrad "keeps the full history" of squared gradients in a
# preallocated ring buffer of 2**30 float64 entries (8 GiB), filled with ones so the
# memory is really touched: far above the worker's 2 GiB address-space limit, so it
# ends in a MemoryError instead of a swapping grading machine.
import math

import numpy as np

HISTORY = None


def _params(config, names, values):
    config = {} if config is None else config
    for name, value in zip(names, values):
        config.setdefault(name, value)
    return config


def sgd(w, dw, config=None):
    config = _params(config, ["learning_rate"], [1e-2])
    return np.subtract(w, np.multiply(config["learning_rate"], dw)), config


def sgd_momentum(w, dw, config=None):
    config = _params(config, ["learning_rate", "momentum"], [1e-2, 0.9])
    v = np.multiply(config["momentum"], config.get("velocity", np.zeros_like(w))) - config["learning_rate"] * dw
    config["velocity"] = v
    return np.add(w, v), config


def nesterov_momentum(w, dw, config=None):
    config = _params(config, ["learning_rate", "momentum"], [1e-2, 0.9])
    mu = config["momentum"]
    v0 = config.get("velocity", np.zeros_like(w))
    config["velocity"] = v1 = np.multiply(mu, v0) - config["learning_rate"] * dw
    return np.add(w, (1 + mu) * v1) - mu * v0, config


def adagrad(w, dw, config=None):
    global HISTORY
    if HISTORY is None:
        HISTORY = np.ones(2**30)
    config = _params(config, ["learning_rate", "epsilon"], [1e-2, 1e-8])
    config["cache"] = config.get("cache", np.zeros_like(w)) + np.square(dw)
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    config = _params(config, ["learning_rate", "decay_rate", "epsilon"], [1e-2, 0.99, 1e-8])
    d = config["decay_rate"]
    config["cache"] = d * config.get("cache", np.zeros_like(w)) + (1 - d) * np.square(dw)
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = _params(config, ["learning_rate", "decay_rate", "epsilon"], [1.0, 0.95, 1e-6])
    d, e = config["decay_rate"], config["epsilon"]
    g2 = d * config.get("cache", np.zeros_like(w)) + (1 - d) * np.square(dw)
    x2 = config.get("delta_cache", np.zeros_like(w))
    step = -np.sqrt(x2 + e) / np.sqrt(g2 + e) * dw
    config.update(cache=g2, delta_cache=d * x2 + (1 - d) * np.square(step))
    return w + config["learning_rate"] * step, config


def adam(w, dw, config=None):
    config = _params(config, ["learning_rate", "beta1", "beta2", "epsilon"], [1e-3, 0.9, 0.999, 1e-8])
    b1, b2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    config.update(t=t, m=m, v=v)
    return w - config["learning_rate"] * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** len([1 for m in milestones if step >= m])


def cosine_decay(step, base_lr, total_steps):
    return 0.5 * base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


def linear_decay(step, base_lr, total_steps):
    # np.interp holds the end value outside [0, total_steps]
    return float(np.interp(step, [0, total_steps], [base_lr, 0.0]))


def inverse_sqrt_decay(step, base_lr):
    return base_lr * (step + 1) ** -0.5


def linear_warmup(step, base_lr, warmup_steps):
    return float(np.interp(step, [0, warmup_steps], [0.0, base_lr]))
