"""losses.py -- Margaret H.

Sums written with einsum (i = example, j = class, k = a flattened element), so that
"averaged over what" is visible in every line.
"""
import numpy as np

BCE_EPS = 1e-12


def _total(a):
    return np.einsum("k->", a.ravel())


def _dot(a, b):
    return np.einsum("k,k->", a.ravel(), b.ravel())


def softmax_loss(x, y):
    n, c = x.shape
    onehot = (np.arange(c)[np.newaxis, :] == y[:, np.newaxis]).astype(float)
    z = x - x.max(axis=1)[:, np.newaxis]
    lse = np.log(np.einsum("ij->i", np.exp(z)))[:, np.newaxis]
    logp = z - lse
    loss = -np.einsum("ij,ij->", onehot, logp) / n
    return float(loss), (np.exp(logp) - onehot) / n


def svm_loss(x, y):
    n, c = x.shape
    onehot = (np.arange(c)[np.newaxis, :] == y[:, np.newaxis]).astype(float)
    s_true = np.einsum("ij,ij->i", x, onehot)[:, np.newaxis]
    m = (x - s_true + 1.0) * (1.0 - onehot)
    hinge = np.maximum(m, 0.0)
    positive = (m > 0).astype(float)
    grad = positive - onehot * np.einsum("ij->i", positive)[:, np.newaxis]
    return float(_total(hinge) / n), grad / n


def mse_loss(pred, target):
    r = pred - target
    return float(_dot(r, r) / r.size), (2.0 / r.size) * r


def mae_loss(pred, target):
    r = pred - target
    return float(_total(np.abs(r)) / r.size), np.sign(r) * (1.0 / r.size)


def huber_loss(pred, target, delta=1.0):
    r = pred - target
    clipped = np.clip(r, -delta, delta)
    # h(r) = clipped * (|r| - |clipped| / 2) is 0.5 r^2 inside and delta (|r| - delta / 2) outside
    h = np.abs(clipped) * (np.abs(r) - 0.5 * np.abs(clipped))
    return float(_total(h) / r.size), clipped / r.size


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    q = 1.0 - p
    ll = _dot(target, np.log(p)) + _dot(1.0 - target, np.log(q))
    return float(-ll / p.size), (p - target) / (p * q) / p.size


def bce_with_logits_loss(logits, target):
    e = np.exp(-np.abs(logits))
    sig = np.where(logits >= 0, 1.0, e) / (1.0 + e)
    per = np.maximum(logits, 0.0) - logits * target + np.log1p(e)
    return float(_total(per) / logits.size), (sig - target) / logits.size


def l1_penalty(w, reg):
    return float(reg * _total(np.abs(w))), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * _dot(w, w)), (2.0 * reg) * w


def elastic_net_penalty(w, reg, l1_ratio):
    a, b = reg * l1_ratio, reg * (1.0 - l1_ratio)
    value = a * _total(np.abs(w)) + b * _dot(w, w)
    return float(value), a * np.sign(w) + 2.0 * b * w
