"""Katherine J. -- optim.

Momentum the CS188 way: the velocity already includes the learning rate,
v = gamma * v + eta * dw and w - v (the handout accepts it). Nesterov in the same
scale: v = mu * v_old + lr * dw, next_w = w - lr * dw - mu * v.
I like to start from a copy of w and update the copy in place: w itself is never
touched. Schedules are plain if/else with the math module.
"""
import math

import numpy as np


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    new_w = w.copy()
    new_w -= config["learning_rate"] * dw
    return new_w, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    eta = config.setdefault("learning_rate", 1e-2)
    gamma = config.setdefault("momentum", 0.9)
    v = gamma * config.get("velocity", np.zeros_like(w))
    v += eta * dw
    config["velocity"] = v
    new_w = w.copy()
    new_w -= v
    return new_w, config


def nesterov_momentum(w, dw, config=None):
    config = {} if config is None else config
    gamma = config.setdefault("momentum", 0.9)
    eta = config.setdefault("learning_rate", 1e-2)
    scaled_grad = eta * dw
    v = scaled_grad + gamma * config.get("velocity", np.zeros_like(w))
    config["velocity"] = v
    new_w = w - scaled_grad
    new_w -= gamma * v
    return new_w, config


def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    denominator = np.sqrt(config["cache"])
    denominator += config["epsilon"]
    new_w = w.copy()
    new_w -= config["learning_rate"] * dw / denominator
    return new_w, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("learning_rate", 1e-2)
    keep = config["decay_rate"]
    cache = keep * config.get("cache", np.zeros_like(w))
    cache += (1.0 - keep) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adadelta(w, dw, config=None):
    config = config if config is not None else {}
    for key, default in (("learning_rate", 1.0), ("decay_rate", 0.95), ("epsilon", 1e-6)):
        config.setdefault(key, default)
    gamma, eps = config["decay_rate"], config["epsilon"]
    eg2 = gamma * config.get("cache", np.zeros_like(w)) + (1.0 - gamma) * dw**2
    ed2 = config.get("delta_cache", np.zeros_like(w))
    delta = -np.sqrt(ed2 + eps) * dw / np.sqrt(eg2 + eps)
    config["cache"] = eg2
    config["delta_cache"] = gamma * ed2 + (1.0 - gamma) * delta**2
    new_w = w.copy()
    new_w += config["learning_rate"] * delta
    return new_w, config


def adam(w, dw, config=None):
    config = config if config is not None else {}
    for key, default in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, default)
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * config.get("m", np.zeros_like(w)) + (1.0 - beta1) * dw
    v = beta2 * config.get("v", np.zeros_like(w)) + (1.0 - beta2) * dw**2
    config["m"], config["v"] = m, v
    step = config["learning_rate"] * (m / (1.0 - beta1**t))
    step /= np.sqrt(v / (1.0 - beta2**t)) + config["epsilon"]
    return w - step, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    reached = len([m for m in milestones if m <= step])
    return base_lr * math.pow(gamma, reached)


def cosine_decay(step, base_lr, total_steps):
    if step >= total_steps:
        return 0.0
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * step / total_steps))


def linear_decay(step, base_lr, total_steps):
    if step >= total_steps:
        return 0.0
    return base_lr - base_lr * step / total_steps


def inverse_sqrt_decay(step, base_lr):
    t = step + 1  # L10's t counts from 1
    return base_lr / t**0.5


def linear_warmup(step, base_lr, warmup_steps):
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    return base_lr
