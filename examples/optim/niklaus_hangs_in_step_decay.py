# Niklaus W. -- optim.py
# Each rule: read the configuration, compute, write the state back.
# Step decay walks along the milestones with an index, like a Pascal WHILE loop.
import math

import numpy as np


def _read(config, **defaults):
    result = dict(defaults)
    if config is not None:
        result.update(config)
    return result


def sgd(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-2)
    return w + (-cfg["learning_rate"]) * dw, cfg


def sgd_momentum(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-2, momentum=0.9)
    prev = cfg["velocity"] if "velocity" in cfg else np.zeros(w.shape)
    cfg["velocity"] = cfg["momentum"] * prev - cfg["learning_rate"] * dw
    return w + cfg["velocity"], cfg


def nesterov_momentum(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-2, momentum=0.9)
    prev = cfg["velocity"] if "velocity" in cfg else np.zeros(w.shape)
    cur = cfg["momentum"] * prev - cfg["learning_rate"] * dw
    cfg["velocity"] = cur
    return w + cur + cfg["momentum"] * (cur - prev), cfg


def adagrad(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-2, epsilon=1e-8)
    acc = (cfg["cache"] if "cache" in cfg else np.zeros(w.shape)) + dw * dw
    cfg["cache"] = acc
    return w - cfg["learning_rate"] * dw / (np.sqrt(acc) + cfg["epsilon"]), cfg


def rmsprop(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    acc = cfg["cache"] if "cache" in cfg else np.zeros(w.shape)
    acc = cfg["decay_rate"] * acc + (1.0 - cfg["decay_rate"]) * dw * dw
    cfg["cache"] = acc
    return w - cfg["learning_rate"] * dw / (np.sqrt(acc) + cfg["epsilon"]), cfg


def adadelta(w, dw, config=None):
    cfg = _read(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    decay, eps = cfg["decay_rate"], cfg["epsilon"]
    acc_g = cfg["cache"] if "cache" in cfg else np.zeros(w.shape)
    acc_x = cfg["delta_cache"] if "delta_cache" in cfg else np.zeros(w.shape)
    acc_g = decay * acc_g + (1.0 - decay) * dw * dw
    dx = -(np.sqrt(acc_x + eps) / np.sqrt(acc_g + eps)) * dw
    cfg["cache"] = acc_g
    cfg["delta_cache"] = decay * acc_x + (1.0 - decay) * dx * dx
    return w + cfg["learning_rate"] * dx, cfg


def adam(w, dw, config=None):
    cfg = _read(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    cfg["t"] = cfg["t"] + 1
    m = cfg["m"] if "m" in cfg else np.zeros(w.shape)
    v = cfg["v"] if "v" in cfg else np.zeros(w.shape)
    m = cfg["beta1"] * m + (1.0 - cfg["beta1"]) * dw
    v = cfg["beta2"] * v + (1.0 - cfg["beta2"]) * dw * dw
    cfg["m"], cfg["v"] = m, v
    mc = m / (1.0 - math.pow(cfg["beta1"], cfg["t"]))
    vc = v / (1.0 - math.pow(cfg["beta2"], cfg["t"]))
    return w - cfg["learning_rate"] * mc / (np.sqrt(vc) + cfg["epsilon"]), cfg


def step_decay(step, base_lr, milestones, gamma=0.1):
    lr = base_lr
    i = 0
    while i < len(milestones) and step >= milestones[i]:
        lr = lr * gamma
    return lr


def cosine_decay(step, base_lr, total_steps):
    t = total_steps if step > total_steps else step
    return base_lr * (1.0 + math.cos(math.pi * t / total_steps)) * 0.5


def linear_decay(step, base_lr, total_steps):
    t = total_steps if step > total_steps else step
    return base_lr * (1.0 - t / total_steps)


def inverse_sqrt_decay(step, base_lr):
    return base_lr / math.sqrt(step + 1.0)


def linear_warmup(step, base_lr, warmup_steps):
    t = warmup_steps if step > warmup_steps else step
    return base_lr * t / warmup_steps
