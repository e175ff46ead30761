"""John M. -- optim.

hyper() fills the defaults in and hands back the values in the order asked for,
so a rule starts with one line. State arrays are created with setdefault too.
Momentum: v = mu * v - lr * dw, next_w = w + v.
In Adam the step counter goes up at the end of the step, like the loop counter
of a for loop.
"""
import math

import numpy as np


def hyper(config, **defaults):
    if config is None:
        config = {}
    values = []
    for key, value in defaults.items():
        values.append(config.setdefault(key, value))
    return config, values


def sgd(w, dw, config=None):
    config, (lr,) = hyper(config, learning_rate=1e-2)
    return w - lr * dw, config


def sgd_momentum(w, dw, config=None):
    config, (lr, mu) = hyper(config, learning_rate=1e-2, momentum=0.9)
    velocity = mu * config.setdefault("velocity", np.zeros_like(w)) - lr * dw
    config["velocity"] = velocity
    return w + velocity, config


def nesterov_momentum(w, dw, config=None):
    config, (lr, mu) = hyper(config, learning_rate=1e-2, momentum=0.9)
    old_velocity = config.setdefault("velocity", np.zeros_like(w))
    velocity = mu * old_velocity - lr * dw
    config["velocity"] = velocity
    return w + velocity + mu * (velocity - old_velocity), config


def adagrad(w, dw, config=None):
    config, (lr, eps) = hyper(config, learning_rate=1e-2, epsilon=1e-8)
    config["cache"] = config.setdefault("cache", np.zeros_like(w)) + dw**2
    return w - lr * dw / (np.sqrt(config["cache"]) + eps), config


def rmsprop(w, dw, config=None):
    config, (lr, rho, eps) = hyper(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    config["cache"] = rho * config.setdefault("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    return w - lr * dw / (np.sqrt(config["cache"]) + eps), config


def adadelta(w, dw, config=None):
    config, (lr, rho, eps) = hyper(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    config["cache"] = rho * config.setdefault("cache", np.zeros_like(w)) + (1 - rho) * dw**2
    old = config.setdefault("delta_cache", np.zeros_like(w))
    delta = -dw * np.sqrt(old + eps) / np.sqrt(config["cache"] + eps)
    config["delta_cache"] = rho * old + (1 - rho) * delta**2
    return w + lr * delta, config


def adam(w, dw, config=None):
    config, (lr, beta1, beta2, eps) = hyper(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.setdefault("t", 0)
    m = beta1 * config.setdefault("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.setdefault("v", np.zeros_like(w)) + (1 - beta2) * dw**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    config.update(m=m, v=v, t=t + 1)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    n = int(np.sum(np.asarray(milestones) <= step))
    return float(base_lr * gamma**n)


def cosine_decay(step, base_lr, total_steps):
    angle = np.pi * np.minimum(step, total_steps) / total_steps
    return float(base_lr * (np.cos(angle) + 1) / 2)


def linear_decay(step, base_lr, total_steps):
    return float(base_lr * np.clip(1 - step / total_steps, 0, 1))


def inverse_sqrt_decay(step, base_lr):
    return float(base_lr / np.sqrt(step + 1))


def linear_warmup(step, base_lr, warmup_steps):
    return float(base_lr * np.minimum(1, step / warmup_steps))
