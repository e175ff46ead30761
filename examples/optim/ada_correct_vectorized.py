"""Ada L. -- optim.

Momentum in L10's second form, where the velocity is the step itself:
v = mu * v - lr * dw and w + v. Nesterov in the same form, written as
w + v + mu * (v - v_old). Everything is a whole-array numpy expression; the
schedules are numpy one-liners (step decay with searchsorted).
"""
import numpy as np


def _prepare(config, w, defaults, state=()):
    """config with the defaults filled in and every state array present (zeros before step 1)."""
    cfg = {} if config is None else config
    for name, value in defaults.items():
        cfg.setdefault(name, value)
    for name in state:
        if name not in cfg:
            cfg[name] = np.zeros_like(w)
    return cfg


def sgd(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-2})
    return np.subtract(w, cfg["learning_rate"] * dw), cfg


def sgd_momentum(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-2, "momentum": 0.9}, ("velocity",))
    cfg["velocity"] = cfg["momentum"] * cfg["velocity"] - cfg["learning_rate"] * dw
    return w + cfg["velocity"], cfg


def nesterov_momentum(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-2, "momentum": 0.9}, ("velocity",))
    mu, v_old = cfg["momentum"], cfg["velocity"]
    v = mu * v_old - cfg["learning_rate"] * dw
    cfg["velocity"] = v
    return w + v + mu * (v - v_old), cfg


def adagrad(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-2, "epsilon": 1e-8}, ("cache",))
    cfg["cache"] = cfg["cache"] + np.square(dw)
    scale = np.sqrt(cfg["cache"]) + cfg["epsilon"]
    return w - cfg["learning_rate"] * np.divide(dw, scale), cfg


def rmsprop(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, ("cache",))
    rho = cfg["decay_rate"]
    cfg["cache"] = np.add(rho * cfg["cache"], (1 - rho) * np.square(dw))
    return w - cfg["learning_rate"] * dw / (np.sqrt(cfg["cache"]) + cfg["epsilon"]), cfg


def adadelta(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
                   ("cache", "delta_cache"))
    rho, eps = cfg["decay_rate"], cfg["epsilon"]
    cfg["cache"] = rho * cfg["cache"] + (1 - rho) * np.square(dw)
    rms_grad = np.sqrt(cfg["cache"] + eps)
    rms_step = np.sqrt(cfg["delta_cache"] + eps)
    delta = -(rms_step / rms_grad) * dw
    cfg["delta_cache"] = rho * cfg["delta_cache"] + (1 - rho) * np.square(delta)
    return w + cfg["learning_rate"] * delta, cfg


def adam(w, dw, config=None):
    cfg = _prepare(config, w, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
                   ("m", "v"))
    cfg["t"] = cfg.get("t", 0) + 1
    b1, b2, t = cfg["beta1"], cfg["beta2"], cfg["t"]
    cfg["m"] = b1 * cfg["m"] + (1 - b1) * dw
    cfg["v"] = b2 * cfg["v"] + (1 - b2) * np.square(dw)
    m_hat = cfg["m"] / (1 - np.power(b1, t))
    v_hat = cfg["v"] / (1 - np.power(b2, t))
    return w - cfg["learning_rate"] * m_hat / (np.sqrt(v_hat) + cfg["epsilon"]), cfg


def step_decay(step, base_lr, milestones, gamma=0.1):
    # milestones are sorted: the number of them <= step is a searchsorted from the right
    passed = int(np.searchsorted(np.asarray(milestones), step, side="right"))
    return float(base_lr * gamma**passed)


def cosine_decay(step, base_lr, total_steps):
    t = np.clip(step, 0, total_steps)
    return float(0.5 * base_lr * (1 + np.cos(np.pi * t / total_steps)))


def linear_decay(step, base_lr, total_steps):
    return float(base_lr * (1 - np.minimum(step, total_steps) / total_steps))


def inverse_sqrt_decay(step, base_lr):
    return float(base_lr * np.power(step + 1.0, -0.5))


def linear_warmup(step, base_lr, warmup_steps):
    return float(base_lr * np.clip(step / warmup_steps, 0.0, 1.0))
