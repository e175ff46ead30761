# Dennis R. -- losses.py
# Memory-frugal again: I shift and clip in place instead of making copies.
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    x -= x.max(axis=1, keepdims=True)  # shift for stability, no new array
    n = x.shape[0]
    lse = np.log(np.exp(x).sum(axis=1))
    loss = (lse - x[np.arange(n), y]).sum() / n
    g = np.exp(x - lse[:, None])
    g[np.arange(n), y] -= 1
    g /= n
    return float(loss), g


def svm_loss(x, y):
    n = x.shape[0]
    m = x - x[np.arange(n), y][:, None]
    m += 1
    m[np.arange(n), y] = 0
    g = (m > 0).astype(float)
    np.maximum(m, 0, out=m)
    g[np.arange(n), y] = -g.sum(axis=1)
    g /= n
    return float(m.sum() / n), g


def mse_loss(pred, target):
    r = pred - target
    g = r * (2.0 / r.size)
    r *= r
    return float(r.mean()), g


def mae_loss(pred, target):
    r = pred - target
    g = np.sign(r)
    g /= r.size
    np.abs(r, out=r)
    return float(r.mean()), g


def huber_loss(pred, target, delta=1.0):
    r = pred - target
    g = np.clip(r, -delta, delta)
    a = np.abs(r)
    h = np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))
    g /= r.size
    return float(h.mean()), g


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1 - BCE_EPS, out=probs)
    loss = -(target * np.log(p) + (1 - target) * np.log(1 - p)).mean()
    g = p - target
    g /= p * (1 - p) * p.size
    return float(loss), g


def bce_with_logits_loss(logits, target):
    e = np.exp(-np.abs(logits))
    per = np.maximum(logits, 0) - logits * target + np.log1p(e)
    s = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
    s -= target
    s /= logits.size
    return float(per.mean()), s


def l1_penalty(w, reg):
    g = np.sign(w)
    g *= reg
    return float(reg * np.abs(w).sum()), g


def l2_penalty(w, reg):
    g = w * (2 * reg)
    return float(reg * (w * w).sum()), g


def elastic_net_penalty(w, reg, l1_ratio):
    v1, g1 = l1_penalty(w, reg * l1_ratio)
    v2, g2 = l2_penalty(w, reg * (1 - l1_ratio))
    g1 += g2
    return v1 + v2, g1
