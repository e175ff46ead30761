"""Optim assignment, Grace H.

The config bookkeeping and the moving averages live in bookkeeping.py, which is
submitted with this file. Momentum accumulates raw gradients (L10's form (a)).
"""
import math

import numpy as np

from bookkeeping import decayed, progress, settle


def sgd(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-2}, [], w)
    step = config["learning_rate"] * dw
    return w - step, config


def sgd_momentum(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-2, "momentum": 0.9}, ["velocity"], w)
    velocity = dw + config["momentum"] * config["velocity"]
    config["velocity"] = velocity
    return w - config["learning_rate"] * velocity, config


def nesterov_momentum(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-2, "momentum": 0.9}, ["velocity"], w)
    mu = config["momentum"]
    previous = config["velocity"]
    config["velocity"] = dw + mu * previous
    # dw + mu * (dw + mu * previous), expanded
    return w - config["learning_rate"] * ((1.0 + mu) * dw + mu * mu * previous), config


def adagrad(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-2, "epsilon": 1e-8}, ["cache"], w)
    config["cache"] = config["cache"] + dw * dw
    denom = np.sqrt(config["cache"]) + config["epsilon"]
    return w - config["learning_rate"] * (dw / denom), config


def rmsprop(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, ["cache"], w)
    config["cache"] = decayed(config["cache"], dw * dw, config["decay_rate"])
    denom = np.sqrt(config["cache"]) + config["epsilon"]
    return w - config["learning_rate"] * (dw / denom), config


def adadelta(w, dw, config=None):
    config = settle(config, {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
                    ["cache", "delta_cache"], w)
    gamma, eps = config["decay_rate"], config["epsilon"]
    config["cache"] = decayed(config["cache"], dw * dw, gamma)
    update = np.sqrt(config["delta_cache"] + eps) / np.sqrt(config["cache"] + eps) * dw
    config["delta_cache"] = decayed(config["delta_cache"], update * update, gamma)
    return w - config["learning_rate"] * update, config


def adam(w, dw, config=None):
    config = settle(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 0},
                    ["m", "v"], w)
    config["t"] += 1
    config["m"] = decayed(config["m"], dw, config["beta1"])
    config["v"] = decayed(config["v"], dw * dw, config["beta2"])
    mean = config["m"] / (1.0 - config["beta1"] ** config["t"])
    spread = np.sqrt(config["v"] / (1.0 - config["beta2"] ** config["t"]))
    return w - config["learning_rate"] * mean / (spread + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    lr = float(base_lr)
    for m in milestones:
        if m > step:
            break
        lr *= gamma
    return lr


def cosine_decay(step, base_lr, total_steps):
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * progress(step, total_steps)))


def linear_decay(step, base_lr, total_steps):
    return base_lr * (1.0 - progress(step, total_steps))


def inverse_sqrt_decay(step, base_lr):
    return base_lr * (step + 1) ** -0.5


def linear_warmup(step, base_lr, warmup_steps):
    return base_lr * progress(step, warmup_steps)
