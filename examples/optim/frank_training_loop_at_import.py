"""Frank R. -- optim, and the demo I used to check that the rules actually train.

The demo at the bottom minimises a quadratic with SGD and a linear learning-rate
decay, and keeps going until the loss is small.
"""
import math

import numpy as np


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = velocity
    return w - config["learning_rate"] * velocity, config


def adagrad(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", np.zeros_like(w)) + dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = {} if config is None else config
    for name, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(name, value)
    config["t"] = config.get("t", 0) + 1
    config["m"] = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    config["v"] = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw * dw
    m_hat = config["m"] / (1 - config["beta1"] ** config["t"])
    v_hat = config["v"] / (1 - config["beta2"] ** config["t"])
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def linear_decay(step, base_lr, total_steps):
    return base_lr * (1 - min(step, total_steps) / total_steps)


def cosine_decay(step, base_lr, total_steps):
    return base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)) / 2


# --- demo: f(w) = 0.5 * sum(a * (w - c)**2), trained "until it converges"
rng = np.random.default_rng(1)
a = rng.uniform(0.5, 4.0, size=10)
c = rng.standard_normal(10)
w = np.zeros(10)
state = {}
step = 0
loss = 0.5 * np.sum(a * (w - c) ** 2)
while loss > 1e-6:
    state["learning_rate"] = linear_decay(step, 0.01, total_steps=50)
    w, state = sgd(w, a * (w - c), state)
    loss = 0.5 * np.sum(a * (w - c) ** 2)
    step += 1
