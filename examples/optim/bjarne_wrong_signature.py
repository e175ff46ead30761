"""Bjarne S. -- optim.

Type hints on every function; no hidden defaults in the schedules (the caller
says what it wants). Rules keep the handout's signature. Momentum: v = mu v + dw.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

Config = dict


def _hp(config: Optional[Config], **defaults: float) -> Config:
    cfg: Config = {} if config is None else config
    for name, value in defaults.items():
        cfg.setdefault(name, value)
    return cfg


def _buffer(cfg: Config, name: str, like: np.ndarray) -> np.ndarray:
    buffer = cfg.get(name)
    return np.zeros_like(like) if buffer is None else buffer


def sgd(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-2)
    return w - cfg["learning_rate"] * dw, cfg


def sgd_momentum(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-2, momentum=0.9)
    velocity: np.ndarray = cfg["momentum"] * _buffer(cfg, "velocity", w) + dw
    cfg["velocity"] = velocity
    return w - cfg["learning_rate"] * velocity, cfg


def nesterov_momentum(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-2, momentum=0.9)
    mu: float = cfg["momentum"]
    velocity: np.ndarray = mu * _buffer(cfg, "velocity", w) + dw
    cfg["velocity"] = velocity
    return w - cfg["learning_rate"] * (mu * velocity + dw), cfg


def adagrad(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-2, epsilon=1e-8)
    sum_sq: np.ndarray = _buffer(cfg, "cache", w) + dw * dw
    cfg["cache"] = sum_sq
    return w - cfg["learning_rate"] * dw / (np.sqrt(sum_sq) + cfg["epsilon"]), cfg


def rmsprop(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho: float = cfg["decay_rate"]
    mean_sq: np.ndarray = rho * _buffer(cfg, "cache", w) + (1.0 - rho) * dw * dw
    cfg["cache"] = mean_sq
    return w - cfg["learning_rate"] * dw / (np.sqrt(mean_sq) + cfg["epsilon"]), cfg


def adadelta(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1.0, decay_rate=0.95, epsilon=1e-6)
    rho: float = cfg["decay_rate"]
    eps: float = cfg["epsilon"]
    mean_sq: np.ndarray = rho * _buffer(cfg, "cache", w) + (1.0 - rho) * dw * dw
    mean_step_sq: np.ndarray = _buffer(cfg, "delta_cache", w)
    delta: np.ndarray = -(np.sqrt(mean_step_sq + eps) * dw) / np.sqrt(mean_sq + eps)
    cfg["cache"] = mean_sq
    cfg["delta_cache"] = rho * mean_step_sq + (1.0 - rho) * delta * delta
    return w + cfg["learning_rate"] * delta, cfg


def adam(w: np.ndarray, dw: np.ndarray, config: Optional[Config] = None) -> tuple[np.ndarray, Config]:
    cfg = _hp(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t: int = int(cfg.get("t", 0)) + 1
    b1: float = cfg["beta1"]
    b2: float = cfg["beta2"]
    m: np.ndarray = b1 * _buffer(cfg, "m", w) + (1.0 - b1) * dw
    v: np.ndarray = b2 * _buffer(cfg, "v", w) + (1.0 - b2) * dw * dw
    cfg["t"], cfg["m"], cfg["v"] = t, m, v
    m_hat: np.ndarray = m / (1.0 - b1**t)
    v_hat: np.ndarray = v / (1.0 - b2**t)
    return w - cfg["learning_rate"] * m_hat / (np.sqrt(v_hat) + cfg["epsilon"]), cfg


def step_decay(step: int, base_lr: float, milestones: list[int], gamma: float) -> float:
    reached: int = sum(1 for m in milestones if m <= step)
    return base_lr * gamma**reached


def cosine_decay(step: int, base_lr: float, total_steps: int) -> float:
    t: int = min(step, total_steps)
    return base_lr * 0.5 * (1.0 + math.cos(math.pi * t / total_steps))


def linear_decay(step: int, base_lr: float, total_steps: int) -> float:
    t: int = min(step, total_steps)
    return base_lr * (1.0 - t / total_steps)


def inverse_sqrt_decay(step: int, base_lr: float) -> float:
    return base_lr / math.sqrt(step + 1.0)


def linear_warmup(step: int, base_lr: float, warmup: int) -> float:
    return base_lr * min(1.0, step / warmup)
