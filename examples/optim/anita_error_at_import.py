"""Anita B. -- optim.

Numerics constants first (from the numpy tutorial I learned from), then the rules.
Momentum: v = momentum * v + dw.
"""
import math

import numpy as np

# machine epsilon of float64: nothing smaller is worth adding to a denominator
MACHINE_EPS = np.finfo(np.float).eps


def _setup(config, w, names, **defaults):
    config = config if config is not None else {}
    for key, value in defaults.items():
        config.setdefault(key, value)
    arrays = [config.get(name, np.zeros_like(w)) for name in names]
    return config, arrays


def sgd(w, dw, config=None):
    config, _ = _setup(config, w, (), learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config, (v,) = _setup(config, w, ("velocity",), learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * v + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


def nesterov_momentum(w, dw, config=None):
    config, (v,) = _setup(config, w, ("velocity",), learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * v + dw
    config["velocity"] = v
    return w - config["learning_rate"] * (config["momentum"] * v + dw), config


def adagrad(w, dw, config=None):
    config, (cache,) = _setup(config, w, ("cache",), learning_rate=1e-2, epsilon=1e-8)
    config["cache"] = cache = cache + dw**2
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    config, (cache,) = _setup(config, w, ("cache",), learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    config["cache"] = cache = rho * cache + (1 - rho) * dw**2
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config, (cache, dcache) = _setup(config, w, ("cache", "delta_cache"),
                                     learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    rho, eps = config["decay_rate"], config["epsilon"]
    cache = rho * cache + (1 - rho) * dw**2
    delta = -np.sqrt((dcache + eps) / (cache + eps)) * dw
    config["cache"], config["delta_cache"] = cache, rho * dcache + (1 - rho) * delta**2
    return w + config["learning_rate"] * delta, config


def adam(w, dw, config=None):
    config, (m, v) = _setup(config, w, ("m", "v"), learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config["t"] = config.get("t", 0) + 1
    m = config["m"] = config["beta1"] * m + (1 - config["beta1"]) * dw
    v = config["v"] = config["beta2"] * v + (1 - config["beta2"]) * dw**2
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** sum(step >= m for m in milestones)


def cosine_decay(step, base_lr, total_steps):
    return base_lr * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))


def linear_decay(step, base_lr, total_steps):
    return max(0.0, base_lr * (1 - step / total_steps))


def inverse_sqrt_decay(step, base_lr):
    return base_lr / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    return base_lr * min(step, warmup_steps) / warmup_steps
