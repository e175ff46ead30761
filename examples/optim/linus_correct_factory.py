"""Linus T. -- optim.

Every update rule has the same plumbing (defaults, state arrays, returning the
config), so one factory does that and each rule is only its arithmetic: a
function (w, dw, hyperparameters, state) -> (next_w, new state). The two decays
that stop at total_steps come from a second factory. Momentum: L10's form (a).
"""
import math

import numpy as np


def make_rule(name, defaults, state_names, arithmetic):
    def rule(w, dw, config=None):
        config = {} if config is None else config
        for key, value in defaults.items():
            config.setdefault(key, value)
        hp = {key: config[key] for key in defaults}
        state = {key: config.get(key, np.zeros_like(w)) for key in state_names}
        next_w, new_state = arithmetic(w, dw, hp, state)
        config.update(new_state)
        return next_w, config

    rule.__name__ = rule.__qualname__ = name
    return rule


def _plain(w, dw, hp, state):
    return w - hp["learning_rate"] * dw, {}


def _heavy_ball(w, dw, hp, state):
    v = hp["momentum"] * state["velocity"] + dw
    return w - hp["learning_rate"] * v, {"velocity": v}


def _look_ahead(w, dw, hp, state):
    v = hp["momentum"] * state["velocity"] + dw
    return w - hp["learning_rate"] * (dw + hp["momentum"] * v), {"velocity": v}


def _summed_squares(w, dw, hp, state):
    cache = state["cache"] + dw**2
    return w - hp["learning_rate"] * dw / (cache**0.5 + hp["epsilon"]), {"cache": cache}


def _averaged_squares(w, dw, hp, state):
    r = hp["decay_rate"]
    cache = r * state["cache"] + (1 - r) * dw**2
    return w - hp["learning_rate"] * dw / (cache**0.5 + hp["epsilon"]), {"cache": cache}


def _unit_corrected(w, dw, hp, state):
    r, e = hp["decay_rate"], hp["epsilon"]
    g2 = r * state["cache"] + (1 - r) * dw**2
    delta = -((state["delta_cache"] + e) ** 0.5) / (g2 + e) ** 0.5 * dw
    d2 = r * state["delta_cache"] + (1 - r) * delta**2
    return w + hp["learning_rate"] * delta, {"cache": g2, "delta_cache": d2}


def _moments(w, dw, hp, state):
    t = int(state["t"]) + 1
    b1, b2 = hp["beta1"], hp["beta2"]
    m = b1 * state["m"] + (1 - b1) * dw
    v = b2 * state["v"] + (1 - b2) * dw**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return w - hp["learning_rate"] * m_hat / (v_hat**0.5 + hp["epsilon"]), {"m": m, "v": v, "t": t}


sgd = make_rule("sgd", {"learning_rate": 1e-2}, (), _plain)
sgd_momentum = make_rule("sgd_momentum", {"learning_rate": 1e-2, "momentum": 0.9}, ("velocity",), _heavy_ball)
nesterov_momentum = make_rule("nesterov_momentum", {"learning_rate": 1e-2, "momentum": 0.9}, ("velocity",),
                              _look_ahead)
adagrad = make_rule("adagrad", {"learning_rate": 1e-2, "epsilon": 1e-8}, ("cache",), _summed_squares)
rmsprop = make_rule("rmsprop", {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}, ("cache",),
                    _averaged_squares)
adadelta = make_rule("adadelta", {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
                     ("cache", "delta_cache"), _unit_corrected)
_adam_without_t = make_rule("adam", {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
                            ("m", "v", "t"), _moments)


def adam(w, dw, config=None):
    # t is a number, not an array: start it at 0 before the factory would make it zeros_like(w)
    config = {} if config is None else config
    config.setdefault("t", 0)
    return _adam_without_t(w, dw, config)


def make_decay(name, shape):
    """A schedule base_lr * shape(fraction of total_steps done), the fraction capped at 1."""
    def schedule(step, base_lr, total_steps):
        return float(base_lr * shape(min(step, total_steps) / total_steps))

    schedule.__name__ = schedule.__qualname__ = name
    return schedule


cosine_decay = make_decay("cosine_decay", lambda f: (1 + math.cos(math.pi * f)) / 2)
linear_decay = make_decay("linear_decay", lambda f: 1 - f)


def step_decay(step, base_lr, milestones, gamma=0.1):
    return float(base_lr * gamma ** sum(step >= m for m in milestones))


def inverse_sqrt_decay(step, base_lr):
    return float(base_lr / math.sqrt(1 + step))


def linear_warmup(step, base_lr, warmup_steps):
    return float(base_lr * min(1, step / warmup_steps))
