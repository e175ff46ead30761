"""Bjarne S. -- losses.py, typed."""
from __future__ import annotations

import numpy as np
from numpy import ndarray

BCE_EPS: float = 1e-12
Result = tuple[float, ndarray]


def softmax_loss(x: ndarray, y: ndarray) -> Result:
    n: int = x.shape[0]
    rows: ndarray = np.arange(n)
    z: ndarray = x - x.max(axis=1, keepdims=True)
    log_p: ndarray = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad: ndarray = np.exp(log_p)
    grad[rows, y] -= 1.0
    return float(-log_p[rows, y].sum() / n), grad / n


def svm_loss(x: ndarray, y: ndarray) -> Result:
    n: int = x.shape[0]
    rows: ndarray = np.arange(n)
    m: ndarray = x - x[rows, y, np.newaxis] + 1.0
    m[rows, y] = 0.0
    hot: ndarray = (m > 0.0).astype(np.float64)
    grad: ndarray = hot.copy()
    grad[rows, y] = -hot.sum(axis=1)
    return float((m * hot).sum() / n), grad / n


def mse_loss(pred: ndarray, target: ndarray) -> Result:
    r: ndarray = pred - target
    return float((r * r).sum() / r.size), 2.0 * r / r.size


def mae_loss(pred: ndarray, target: ndarray) -> Result:
    r: ndarray = pred - target
    return float(np.abs(r).sum() / r.size), np.sign(r) / r.size


def huber_loss(pred: ndarray, target: ndarray) -> Result:
    delta: float = 1.0
    r: ndarray = pred - target
    h: ndarray = np.where(np.abs(r) <= delta, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    return float(h.sum() / r.size), np.clip(r, -delta, delta) / r.size


def bce_loss(probs: ndarray, target: ndarray) -> Result:
    p: ndarray = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    j: ndarray = target * np.log(p) + (1.0 - target) * np.log(1.0 - p)
    return float(-j.sum() / p.size), (p - target) / (p * (1.0 - p)) / p.size


def bce_with_logits_loss(logits: ndarray, target: ndarray) -> Result:
    e: ndarray = np.exp(-np.abs(logits))
    j: ndarray = np.maximum(logits, 0.0) - logits * target + np.log1p(e)
    s: ndarray = np.where(logits >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(j.sum() / logits.size), (s - target) / logits.size


def l1_penalty(w: ndarray, reg: float) -> Result:
    return float(reg * np.abs(w).sum()), reg * np.sign(w)


def l2_penalty(w: ndarray, reg: float) -> Result:
    return float(reg * (w * w).sum()), 2.0 * reg * w


def elastic_net_penalty(w: ndarray, l1_ratio: float, reg: float) -> Result:
    a: float = reg * l1_ratio
    b: float = reg * (1.0 - l1_ratio)
    return float(a * np.abs(w).sum() + b * (w * w).sum()), a * np.sign(w) + 2.0 * b * w
