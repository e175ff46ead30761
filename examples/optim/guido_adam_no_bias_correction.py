# Guido v. R. -- optim.py
# Short and vectorized. config.setdefault returns the value, so each hyperparameter
# is read where it is set. Momentum as in L10: v = rho * v - lr * dw, w + v.
import math

import numpy as np


def sgd(w, dw, config=None):
    config = config or {}
    return w - config.setdefault("learning_rate", 1e-2) * dw, config


def sgd_momentum(w, dw, config=None):
    config = config or {}
    rho = config.setdefault("momentum", 0.9)
    v = rho * config.get("velocity", np.zeros_like(w)) - config.setdefault("learning_rate", 1e-2) * dw
    config["velocity"] = v
    return w + v, config


def nesterov_momentum(w, dw, config=None):
    config = config or {}
    rho = config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity", np.zeros_like(w))
    v = rho * v_prev - config.setdefault("learning_rate", 1e-2) * dw
    config["velocity"] = v
    return w + (1 + rho) * v - rho * v_prev, config


def adagrad(w, dw, config=None):
    config = config or {}
    eps = config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    return w - config.setdefault("learning_rate", 1e-2) * dw / (np.sqrt(config["cache"]) + eps), config


def rmsprop(w, dw, config=None):
    config = config or {}
    decay = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    config["cache"] = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw * dw
    return w - config.setdefault("learning_rate", 1e-2) * dw / (np.sqrt(config["cache"]) + eps), config


def adadelta(w, dw, config=None):
    config = config or {}
    decay = config.setdefault("decay_rate", 0.95)
    eps = config.setdefault("epsilon", 1e-6)
    lr = config.setdefault("learning_rate", 1.0)
    acc_g = decay * config.get("cache", np.zeros_like(w)) + (1 - decay) * dw * dw
    acc_d = config.get("delta_cache", np.zeros_like(w))
    delta = -np.sqrt(acc_d + eps) / np.sqrt(acc_g + eps) * dw
    config["cache"], config["delta_cache"] = acc_g, decay * acc_d + (1 - decay) * delta * delta
    return w + lr * delta, config


def adam(w, dw, config=None):
    config = config or {}
    b1 = config.setdefault("beta1", 0.9)
    b2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    config["t"] = config.get("t", 0) + 1  # the handout wants the step count kept
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    step = config["m"] / (np.sqrt(config["v"]) + eps)
    return w - config.setdefault("learning_rate", 1e-3) * step, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    return base_lr * gamma ** len([m for m in milestones if step >= m])


def cosine_decay(step, base_lr, total_steps):
    return base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)) / 2


def linear_decay(step, base_lr, total_steps):
    return base_lr * (1 - min(step, total_steps) / total_steps)


def inverse_sqrt_decay(step, base_lr):
    return base_lr / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    return base_lr * min(1.0, step / warmup_steps)
