"""Fei-Fei L. -- losses.

The subgradient of |r| is r / |r| (the unit vector in the direction of r).
"""
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    count = x.shape[0]
    stable = x - x.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(stable).sum(axis=1))
    rows = np.arange(count)
    loss = np.mean(log_norm - stable[rows, y])
    d_x = np.exp(stable - log_norm[:, np.newaxis])
    d_x[rows, y] -= 1.0
    return float(loss), np.divide(d_x, count)


def svm_loss(x, y):
    count = x.shape[0]
    rows = np.arange(count)
    margin = np.add(np.subtract(x, x[rows, y][:, np.newaxis]), 1.0)
    margin[rows, y] = 0.0
    on = np.greater(margin, 0.0)
    d_x = on.astype(np.float64)
    d_x[rows, y] = -np.sum(on, axis=1)
    return float(np.sum(np.where(on, margin, 0.0)) / count), np.divide(d_x, count)


def _sign(r):
    return r / np.abs(r)


def mse_loss(pred, target):
    r = np.subtract(pred, target)
    return float(np.mean(np.square(r))), np.multiply(2.0 / r.size, r)


def mae_loss(pred, target):
    r = np.subtract(pred, target)
    return float(np.mean(np.abs(r))), np.divide(_sign(r), r.size)


def huber_loss(pred, target, delta=1.0):
    r = np.subtract(pred, target)
    a = np.abs(r)
    value = np.where(a > delta, delta * (a - delta / 2.0), np.square(r) / 2.0)
    return float(np.mean(value)), np.divide(np.clip(r, -delta, delta), r.size)


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    value = -(np.multiply(target, np.log(p)) + np.multiply(1.0 - target, np.log(1.0 - p)))
    return float(np.mean(value)), np.divide((p - target) / (p * (1.0 - p)), p.size)


def bce_with_logits_loss(logits, target):
    small = np.exp(-np.abs(logits))
    value = np.maximum(logits, 0.0) - np.multiply(logits, target) + np.log1p(small)
    s = np.where(logits >= 0.0, np.reciprocal(1.0 + small), small / (1.0 + small))
    return float(np.mean(value)), np.divide(s - target, logits.size)


def l1_penalty(w, reg):
    return float(reg * np.sum(np.abs(w))), reg * _sign(w)


def l2_penalty(w, reg):
    return float(reg * np.sum(np.square(w))), np.multiply(2.0 * reg, w)


def elastic_net_penalty(w, reg, l1_ratio):
    value = l1_ratio * np.sum(np.abs(w)) + (1.0 - l1_ratio) * np.sum(np.square(w))
    return float(reg * value), reg * (l1_ratio * np.sign(w) + 2.0 * (1.0 - l1_ratio) * w)
