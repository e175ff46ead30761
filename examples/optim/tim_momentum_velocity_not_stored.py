# Tim B-L. -- optim
# Defaults with a small loop per rule; state read with config.get.
# Momentum in the "alternate formula" of L10: v = rho * v - lr * dw, then w + v.
import math

import numpy as np


def sgd(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-2)]:
        config.setdefault(key, value)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-2), ("momentum", 0.9)]:
        config.setdefault(key, value)
    v = config.get("velocity", np.zeros(w.shape))
    v = config["momentum"] * v - config["learning_rate"] * dw
    return w + v, config


def nesterov_momentum(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-2), ("momentum", 0.9)]:
        config.setdefault(key, value)
    rho = config["momentum"]
    v_old = config.get("velocity", np.zeros(w.shape))
    v = rho * v_old - config["learning_rate"] * dw
    return w - rho * v_old + (1 + rho) * v, config


def adagrad(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-2), ("epsilon", 1e-8)]:
        config.setdefault(key, value)
    grad_squared = config.get("cache", np.zeros(w.shape)) + dw * dw
    config["cache"] = grad_squared
    return w - config["learning_rate"] * dw / (np.sqrt(grad_squared) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)]:
        config.setdefault(key, value)
    rate = config["decay_rate"]
    grad_squared = rate * config.get("cache", np.zeros(w.shape)) + (1 - rate) * dw * dw
    config["cache"] = grad_squared
    return w - config["learning_rate"] * dw / (np.sqrt(grad_squared) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1.0), ("decay_rate", 0.95), ("epsilon", 1e-6)]:
        config.setdefault(key, value)
    rate, eps = config["decay_rate"], config["epsilon"]
    grad_squared = rate * config.get("cache", np.zeros(w.shape)) + (1 - rate) * dw * dw
    step_squared = config.get("delta_cache", np.zeros(w.shape))
    dx = -np.sqrt((step_squared + eps) / (grad_squared + eps)) * dw
    config["cache"] = grad_squared
    config["delta_cache"] = rate * step_squared + (1 - rate) * dx * dx
    return w + config["learning_rate"] * dx, config


def adam(w, dw, config=None):
    config = dict() if config is None else config
    for key, value in [("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)]:
        config.setdefault(key, value)
    t = config.get("t", 0) + 1
    first_moment = config["beta1"] * config.get("m", np.zeros(w.shape)) + (1 - config["beta1"]) * dw
    second_moment = config["beta2"] * config.get("v", np.zeros(w.shape)) + (1 - config["beta2"]) * dw * dw
    first_unbias = first_moment / (1 - config["beta1"] ** t)
    second_unbias = second_moment / (1 - config["beta2"] ** t)
    config["m"], config["v"], config["t"] = first_moment, second_moment, t
    return w - config["learning_rate"] * first_unbias / (np.sqrt(second_unbias) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    exponent = 0
    for milestone in milestones:
        exponent += step >= milestone
    return base_lr * gamma**exponent


def cosine_decay(step, base_lr, total_steps):
    step = min(step, total_steps)
    return base_lr * 0.5 * (1 + math.cos(step / total_steps * math.pi))


def linear_decay(step, base_lr, total_steps):
    step = min(step, total_steps)
    return base_lr * (1 - step / total_steps)


def inverse_sqrt_decay(step, base_lr):
    return base_lr * 1 / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    step = min(step, warmup_steps)
    return base_lr * step / warmup_steps
