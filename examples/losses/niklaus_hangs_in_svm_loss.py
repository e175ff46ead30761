# Niklaus W. -- losses.py
# The SVM loss as an explicit scan over the classes of each example.
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    count = x.shape[0]
    top = np.amax(x, axis=1, keepdims=True)
    lse = top + np.log(np.add.reduce(np.exp(x - top), axis=1, keepdims=True))
    probs = np.exp(x - lse)
    probs[np.arange(count), y] -= 1.0
    return float(np.add.reduce(lse[:, 0] - x[np.arange(count), y]) / count), probs / count


def svm_loss(x, y):
    count, classes = x.shape
    total = 0.0
    dx = np.zeros_like(x)
    for i in range(count):
        j = 0
        while j < classes:
            if j == y[i]:
                continue  # skip the correct class
            margin = x[i, j] - x[i, y[i]] + 1.0
            if margin > 0:
                total += margin
                dx[i, j] += 1.0
                dx[i, y[i]] -= 1.0
            j += 1
    return total / count, dx / count


def mse_loss(pred, target):
    d = np.ravel(pred - target)
    return float(d @ d / d.size), 2.0 * (pred - target) / d.size


def mae_loss(pred, target):
    d = pred - target
    return float(np.add.reduce(np.abs(d), axis=None) / d.size), np.sign(d) / d.size


def huber_loss(pred, target, delta=1.0):
    d = pred - target
    m = np.minimum(np.abs(d), delta)
    return float(np.add.reduce(m * (np.abs(d) - 0.5 * m), axis=None) / d.size), np.clip(d, -delta, delta) / d.size


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    per = target * np.log(p) + (1.0 - target) * np.log1p(-p)
    return float(-np.add.reduce(per, axis=None) / p.size), (p - target) / (p * (1.0 - p) * p.size)


def bce_with_logits_loss(logits, target):
    e = np.exp(-np.abs(logits))
    per = np.maximum(logits, 0.0) - logits * target + np.log1p(e)
    sigma = np.where(logits < 0.0, e, 1.0) / (1.0 + e)
    return float(np.add.reduce(per, axis=None) / logits.size), (sigma - target) / logits.size


def l1_penalty(w, reg):
    return float(reg * np.add.reduce(np.abs(w), axis=None)), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * np.add.reduce(w * w, axis=None)), 2.0 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    one, d_one = l1_penalty(w, l1_ratio * reg)
    two, d_two = l2_penalty(w, (1.0 - l1_ratio) * reg)
    return one + two, d_one + d_two
