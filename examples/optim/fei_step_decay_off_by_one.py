"""Fei-Fei L. -- optim.

The defaults of each rule are a ChainMap under the caller's config, flattened
back into a plain dict (the grader only carries plain data). Momentum in L10's
form (a). Step decay counts the milestones that are behind us.
"""
from collections import ChainMap
import math

import numpy as np

SGD = {"learning_rate": 1e-2}
MOMENTUM = {"learning_rate": 1e-2, "momentum": 0.9}
ADAGRAD = {"learning_rate": 1e-2, "epsilon": 1e-8}
RMSPROP = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
ADADELTA = {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6}
ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


def _layered(config, defaults):
    return dict(ChainMap(config if config is not None else {}, defaults))


def sgd(w, dw, config=None):
    c = _layered(config, SGD)
    return w - c["learning_rate"] * dw, c


def sgd_momentum(w, dw, config=None):
    c = _layered(config, MOMENTUM)
    c["velocity"] = c["momentum"] * c.get("velocity", np.zeros_like(w)) + dw
    return w - c["learning_rate"] * c["velocity"], c


def nesterov_momentum(w, dw, config=None):
    c = _layered(config, MOMENTUM)
    lr, mu = c["learning_rate"], c["momentum"]
    c["velocity"] = mu * c.get("velocity", np.zeros_like(w)) + dw
    return w - lr * dw - lr * mu * c["velocity"], c


def adagrad(w, dw, config=None):
    c = _layered(config, ADAGRAD)
    c["cache"] = c.get("cache", np.zeros_like(w)) + np.square(dw)
    return w - c["learning_rate"] * dw / (np.sqrt(c["cache"]) + c["epsilon"]), c


def rmsprop(w, dw, config=None):
    c = _layered(config, RMSPROP)
    c["cache"] = c["decay_rate"] * c.get("cache", np.zeros_like(w)) + (1 - c["decay_rate"]) * np.square(dw)
    return w - c["learning_rate"] * dw / (np.sqrt(c["cache"]) + c["epsilon"]), c


def adadelta(w, dw, config=None):
    c = _layered(config, ADADELTA)
    r, e = c["decay_rate"], c["epsilon"]
    c["cache"] = r * c.get("cache", np.zeros_like(w)) + (1 - r) * np.square(dw)
    before = c.get("delta_cache", np.zeros_like(w))
    delta = np.negative(dw) * np.sqrt(before + e) / np.sqrt(c["cache"] + e)
    c["delta_cache"] = r * before + (1 - r) * np.square(delta)
    return w + c["learning_rate"] * delta, c


def adam(w, dw, config=None):
    c = _layered(config, ADAM)
    c["t"] = t = c.get("t", 0) + 1
    c["m"] = c["beta1"] * c.get("m", np.zeros_like(w)) + (1 - c["beta1"]) * dw
    c["v"] = c["beta2"] * c.get("v", np.zeros_like(w)) + (1 - c["beta2"]) * np.square(dw)
    m_hat = c["m"] / (1 - c["beta1"] ** t)
    v_hat = c["v"] / (1 - c["beta2"] ** t)
    return w - c["learning_rate"] * m_hat / (np.sqrt(v_hat) + c["epsilon"]), c


def step_decay(step, base_lr, milestones, gamma=0.1):
    behind = np.count_nonzero(step > np.asarray(milestones))
    return float(base_lr * gamma**behind)


def cosine_decay(step, base_lr, total_steps):
    x = min(step / total_steps, 1.0)
    return base_lr * (1 + math.cos(x * math.pi)) * 0.5


def linear_decay(step, base_lr, total_steps):
    x = min(step / total_steps, 1.0)
    return base_lr - base_lr * x


def inverse_sqrt_decay(step, base_lr):
    return base_lr / (step + 1) ** 0.5


def linear_warmup(step, base_lr, warmup_steps):
    x = min(step / warmup_steps, 1.0)
    return base_lr * x
