"""Yann L. -- optim.

A decorator fills in the defaults, so each rule body is only the update.
AdaGrad and RMSprop follow CS188's formulas, eta / sqrt(G + epsilon), which is
how I learned them. Momentum: v = mu * v + dw.
"""
import functools
import math

import numpy as np


def defaults(**values):
    def decorate(rule):
        @functools.wraps(rule)
        def with_defaults(w, dw, config=None):
            config = {} if config is None else config
            for name, value in values.items():
                config.setdefault(name, value)
            return rule(w, dw, config)

        return with_defaults

    return decorate


def _get(config, name, w):
    return config[name] if name in config else np.zeros_like(w)


@defaults(learning_rate=1e-2)
def sgd(w, dw, config):
    return w - config["learning_rate"] * dw, config


@defaults(learning_rate=1e-2, momentum=0.9)
def sgd_momentum(w, dw, config):
    config["velocity"] = config["momentum"] * _get(config, "velocity", w) + dw
    return w - config["learning_rate"] * config["velocity"], config


@defaults(learning_rate=1e-2, momentum=0.9)
def nesterov_momentum(w, dw, config):
    config["velocity"] = config["momentum"] * _get(config, "velocity", w) + dw
    return w - config["learning_rate"] * (config["momentum"] * config["velocity"] + dw), config


@defaults(learning_rate=1e-2, epsilon=1e-8)
def adagrad(w, dw, config):
    config["cache"] = _get(config, "cache", w) + dw**2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


@defaults(learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
def rmsprop(w, dw, config):
    gamma = config["decay_rate"]
    config["cache"] = gamma * _get(config, "cache", w) + (1 - gamma) * dw**2
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


@defaults(learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
def adadelta(w, dw, config):
    gamma, eps = config["decay_rate"], config["epsilon"]
    config["cache"] = gamma * _get(config, "cache", w) + (1 - gamma) * dw**2
    rms_delta = np.sqrt(_get(config, "delta_cache", w) + eps)
    delta = -rms_delta / np.sqrt(config["cache"] + eps) * dw
    config["delta_cache"] = gamma * _get(config, "delta_cache", w) + (1 - gamma) * delta**2
    return w + config["learning_rate"] * delta, config


@defaults(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
def adam(w, dw, config):
    t = config["t"] = config.get("t", 0) + 1
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * _get(config, "m", w) + (1 - b1) * dw
    config["v"] = b2 * _get(config, "v", w) + (1 - b2) * dw**2
    corrected = (config["m"] / (1 - b1**t), config["v"] / (1 - b2**t))
    return w - config["learning_rate"] * corrected[0] / (np.sqrt(corrected[1]) + config["epsilon"]), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * math.prod(gamma for m in milestones if m <= step)


def cosine_decay(step, base_lr, total_steps):
    if step > total_steps:
        step = total_steps
    return base_lr * (0.5 + 0.5 * math.cos(math.pi * step / total_steps))


def linear_decay(step, base_lr, total_steps):
    if step > total_steps:
        step = total_steps
    return base_lr * (total_steps - step) / total_steps


def inverse_sqrt_decay(step, base_lr):
    return base_lr * math.pow(step + 1, -0.5)


def linear_warmup(step, base_lr, warmup_steps):
    if step > warmup_steps:
        step = warmup_steps
    return base_lr * step / warmup_steps
