## losses.py  (Yann L.)
## the formulas exactly as on the slides
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    n = x.shape[0]
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return float(loss), p / n


def svm_loss(x, y):
    n = x.shape[0]
    true_scores = np.choose(y, x.T)[:, None]
    m = x - true_scores + 1
    m[np.arange(n), y] = 0
    active = m > 0
    g = active * 1.0
    g[np.arange(n), y] = -active.sum(1)
    return float((m * active).sum() / n), g / n


def mse_loss(pred, target):
    r = pred - target
    return float((r**2).sum() / r.size), 2 * r / r.size


def mae_loss(pred, target):
    r = pred - target
    return float(abs(r).sum() / r.size), np.sign(r) / r.size


def huber_loss(pred, target, delta=1.0):
    r = pred - target
    quad = abs(r) <= delta
    h = quad * 0.5 * r**2 + ~quad * delta * (abs(r) - delta / 2)
    return float(h.sum() / r.size), (quad * r + ~quad * delta * np.sign(r)) / r.size


def bce_loss(probs, target):
    p = probs.clip(BCE_EPS, 1 - BCE_EPS)
    t = target
    j = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return float(j.sum() / p.size), (p - t) / (p * (1 - p)) / p.size


def bce_with_logits_loss(logits, target):
    # bce of sigma(z): -[t log sigma + (1 - t) log(1 - sigma)]
    s = 1 / (1 + np.exp(-logits))
    t = target
    j = -(t * np.log(s) + (1 - t) * np.log(1 - s))
    return float(j.sum() / s.size), (s - t) / s.size


def l1_penalty(w, reg):
    return float(reg * abs(w).sum()), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * (w**2).sum()), 2 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    r1, r2 = reg * l1_ratio, reg * (1 - l1_ratio)
    return float(r1 * abs(w).sum() + r2 * (w**2).sum()), r1 * np.sign(w) + 2 * r2 * w
