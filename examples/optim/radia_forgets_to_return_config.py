"""Radia P. -- optim.

One class per update rule, like torch.optim: class attributes hold the defaults
and the names of the state arrays, and the module-level names at the bottom
are instances the grader can call. AdaGrad and RMSProp work like torch's
optimizers too: their state is updated in the config dict itself, so step()
only has to hand back the new weights.
"""
import math

import numpy as np


class Rule:
    defaults = {}
    state = ()

    def prepare(self, config, w):
        config = {} if config is None else config
        for key, value in self.defaults.items():
            config.setdefault(key, value)
        for key in self.state:
            config.setdefault(key, np.zeros_like(w))
        return config

    def __call__(self, w, dw, config=None):
        config = self.prepare(config, w)
        return self.step(w, dw, config), config

    def step(self, w, dw, config):
        raise NotImplementedError


class InPlaceRule(Rule):
    """The state lives in config and is updated there: only the weights are returned."""

    def __call__(self, w, dw, config=None):
        return self.step(w, dw, self.prepare(config, w))


class SGD(Rule):
    defaults = {"learning_rate": 1e-2}

    def step(self, w, dw, config):
        return w - config["learning_rate"] * dw


class Momentum(Rule):
    defaults = {"learning_rate": 1e-2, "momentum": 0.9}
    state = ("velocity",)

    def step(self, w, dw, config):
        config["velocity"] = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
        return w + config["velocity"]


class Nesterov(Momentum):
    def step(self, w, dw, config):
        previous = config["velocity"]
        current = config["momentum"] * previous - config["learning_rate"] * dw
        config["velocity"] = current
        return w + current + config["momentum"] * (current - previous)


class AdaGrad(InPlaceRule):
    defaults = {"learning_rate": 1e-2, "epsilon": 1e-8}
    state = ("cache",)

    def step(self, w, dw, config):
        config["cache"] += dw**2
        return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])


class RMSProp(InPlaceRule):
    defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
    state = ("cache",)

    def step(self, w, dw, config):
        config["cache"] *= config["decay_rate"]
        config["cache"] += (1 - config["decay_rate"]) * dw**2
        return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])


class AdaDelta(Rule):
    defaults = {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6}
    state = ("cache", "delta_cache")

    def step(self, w, dw, config):
        rho, eps = config["decay_rate"], config["epsilon"]
        config["cache"] = rho * config["cache"] + (1 - rho) * dw**2
        delta = -np.sqrt(config["delta_cache"] + eps) / np.sqrt(config["cache"] + eps) * dw
        config["delta_cache"] = rho * config["delta_cache"] + (1 - rho) * delta**2
        return w + config["learning_rate"] * delta


class Adam(Rule):
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 0}
    state = ("m", "v")

    def step(self, w, dw, config):
        config["t"] += 1
        b1, b2 = config["beta1"], config["beta2"]
        config["m"] = b1 * config["m"] + (1 - b1) * dw
        config["v"] = b2 * config["v"] + (1 - b2) * dw**2
        m_hat = config["m"] / (1 - b1 ** config["t"])
        v_hat = config["v"] / (1 - b2 ** config["t"])
        return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])


class Schedules:
    @staticmethod
    def step_decay(step, base_lr, milestones, gamma=0.1):
        return base_lr * gamma ** sum(m <= step for m in milestones)

    @staticmethod
    def cosine_decay(step, base_lr, total_steps):
        return base_lr * (1 + math.cos(math.pi * min(1.0, step / total_steps))) / 2

    @staticmethod
    def linear_decay(step, base_lr, total_steps):
        return base_lr * max(1 - step / total_steps, 0.0)

    @staticmethod
    def inverse_sqrt_decay(step, base_lr):
        return base_lr / math.sqrt(step + 1)

    @staticmethod
    def linear_warmup(step, base_lr, warmup_steps):
        return base_lr * min(step / warmup_steps, 1.0)


sgd, sgd_momentum, nesterov_momentum = SGD(), Momentum(), Nesterov()
adagrad, rmsprop, adadelta, adam = AdaGrad(), RMSProp(), AdaDelta(), Adam()
step_decay, cosine_decay, linear_decay = Schedules.step_decay, Schedules.cosine_decay, Schedules.linear_decay
inverse_sqrt_decay, linear_warmup = Schedules.inverse_sqrt_decay, Schedules.linear_warmup
