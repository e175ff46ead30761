# alan -- optim assignment
# CS188 writes every update per parameter, so that is how I wrote them: a loop over
# the weights (w.flat), one scalar rule per optimizer, and the math module for roots.
# All hyperparameters and state names are in the two tables below, so the rules
# themselves only do arithmetic. Momentum is L10's first form: v = mu * v + dw.
import math

import numpy as np

HYPERPARAMETERS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adadelta": {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE_ARRAYS = {
    "sgd": [],
    "sgd_momentum": ["velocity"],
    "nesterov_momentum": ["velocity"],
    "adagrad": ["cache"],
    "rmsprop": ["cache"],
    "adadelta": ["cache", "delta_cache"],
    "adam": ["m", "v"],
}


def _config_for(rule, config, w):
    if config is None:
        config = {}
    table = HYPERPARAMETERS[rule]
    for key in table:
        if key not in config:
            config[key] = table[key]
    for key in STATE_ARRAYS[rule]:
        if key not in config:
            config[key] = np.zeros(w.shape)
    return config


def sgd(w, dw, config=None):
    config = _config_for("sgd", config, w)
    lr = config["learning_rate"]
    out = np.empty(w.shape)
    for i in range(w.size):
        out.flat[i] = w.flat[i] - lr * dw.flat[i]
    return out, config


def sgd_momentum(w, dw, config=None):
    config = _config_for("sgd_momentum", config, w)
    lr, mu = config["learning_rate"], config["momentum"]
    old = config["velocity"]
    velocity = np.empty(w.shape)
    out = np.empty(w.shape)
    for i in range(w.size):
        velocity.flat[i] = mu * old.flat[i] + dw.flat[i]
        out.flat[i] = w.flat[i] - lr * velocity.flat[i]
    config["velocity"] = velocity
    return out, config


def nesterov_momentum(w, dw, config=None):
    config = _config_for("nesterov_momentum", config, w)
    new_velocity, new_w = [], []
    for wi, gi, vi in zip(w.flat, dw.flat, config["velocity"].flat):
        v = config["momentum"] * vi + gi
        new_velocity.append(v)
        # look ahead: the gradient now plus the momentum of the new velocity
        new_w.append(wi - config["learning_rate"] * (gi + config["momentum"] * v))
    config["velocity"] = np.array(new_velocity).reshape(w.shape)
    return np.array(new_w).reshape(w.shape), config


def adagrad(w, dw, config=None):
    config = _config_for("adagrad", config, w)
    lr, eps = config["learning_rate"], config["epsilon"]
    cache = config["cache"].copy()
    out = np.empty(w.shape)
    for i in range(w.size):
        g = dw.flat[i]
        cache.flat[i] += g * g
        out.flat[i] = w.flat[i] - lr * g / (math.sqrt(cache.flat[i]) + eps)
    config["cache"] = cache
    return out, config


def rmsprop(w, dw, config=None):
    config = _config_for("rmsprop", config, w)
    rho = config["decay_rate"]
    cache = np.zeros(w.shape)
    out = np.zeros(w.shape)
    for index in np.ndindex(*w.shape):  # the same walk, by multi-index this time
        cache[index] = rho * config["cache"][index] + (1 - rho) * dw[index] ** 2
        root = math.sqrt(cache[index]) + config["epsilon"]
        out[index] = w[index] - config["learning_rate"] * dw[index] / root
    config["cache"] = cache
    return out, config


def adadelta(w, dw, config=None):
    config = _config_for("adadelta", config, w)
    lr, rho, eps = config["learning_rate"], config["decay_rate"], config["epsilon"]
    grads = config["cache"].copy()
    steps = config["delta_cache"].copy()
    out = np.empty(w.shape)
    for i in range(w.size):
        g = dw.flat[i]
        grads.flat[i] = rho * grads.flat[i] + (1 - rho) * g * g
        delta = -math.sqrt(steps.flat[i] + eps) / math.sqrt(grads.flat[i] + eps) * g
        steps.flat[i] = rho * steps.flat[i] + (1 - rho) * delta * delta
        out.flat[i] = w.flat[i] + lr * delta
    config["cache"], config["delta_cache"] = grads, steps
    return out, config


def adam(w, dw, config=None):
    config = _config_for("adam", config, w)
    t = config.get("t", 0) + 1
    lr, eps = config["learning_rate"], config["epsilon"]
    b1, b2 = config["beta1"], config["beta2"]
    fix1, fix2 = 1 - b1**t, 1 - b2**t
    first = config["m"].copy()
    second = config["v"].copy()
    out = np.empty(w.shape)
    for i in range(w.size):
        g = dw.flat[i]
        first.flat[i] = b1 * first.flat[i] + (1 - b1) * g
        second.flat[i] = b2 * second.flat[i] + (1 - b2) * g * g
        out.flat[i] = w.flat[i] - lr * (first.flat[i] / fix1) / (math.sqrt(second.flat[i] / fix2) + eps)
    config["m"], config["v"], config["t"] = first, second, t
    return out, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    lr = base_lr
    for milestone in milestones:
        if step >= milestone:
            lr = lr * gamma
    return float(lr)


def cosine_decay(step, base_lr, total_steps):
    t = step if step < total_steps else total_steps
    return base_lr * (1 + math.cos(math.pi * t / total_steps)) / 2


def linear_decay(step, base_lr, total_steps):
    t = step if step < total_steps else total_steps
    return base_lr * (total_steps - t) / total_steps


def inverse_sqrt_decay(step, base_lr):
    return base_lr / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    if step >= warmup_steps:
        return float(base_lr)
    return base_lr * step / warmup_steps
