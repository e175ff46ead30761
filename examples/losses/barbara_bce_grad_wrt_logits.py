# Barbara L. -- losses
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    n = len(y)
    z = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(z)
    s = np.sum(e, axis=1, keepdims=True)
    log_probs = z - np.log(s)
    onehot = np.zeros_like(x)
    onehot[np.arange(n), y] = 1
    return float(-np.sum(onehot * log_probs) / n), (e / s - onehot) / n


def svm_loss(x, y):
    n = len(y)
    onehot = np.zeros_like(x)
    onehot[np.arange(n), y] = 1
    correct = np.sum(x * onehot, axis=1, keepdims=True)
    margins = (x - correct + 1) * (1 - onehot)
    used = (margins > 0) * 1.0
    return float(np.sum(margins * used) / n), (used - onehot * np.sum(used, axis=1, keepdims=True)) / n


def mse_loss(pred, target):
    d = pred - target
    n = np.size(d)
    return float(np.sum(d * d) / n), d / n


def mae_loss(pred, target):
    d = pred - target
    n = np.size(d)
    return float(np.sum(np.abs(d)) / n), np.sign(d) / n


def huber_loss(pred, target, delta=1.0):
    d = pred - target
    n = np.size(d)
    a = np.abs(d)
    inner = (a <= delta) * 1.0
    h = inner * 0.5 * d * d + (1 - inner) * delta * (a - 0.5 * delta)
    g = inner * d + (1 - inner) * delta * np.sign(d)
    return float(np.sum(h) / n), g / n


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1 - BCE_EPS)
    n = np.size(p)
    h = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    return float(np.sum(h) / n), (p - target) / n


def bce_with_logits_loss(logits, target):
    # for z < 0 use the form -z t + log(1 + e^z), for z >= 0 the form z - z t + log(1 + e^-z)
    z = logits
    small = np.log1p(np.exp(-np.abs(z)))
    h = np.where(z < 0, -z * target + small, z - z * target + small)
    p = np.where(z < 0, np.exp(z) / (1 + np.exp(z)), 1 / (1 + np.exp(-np.abs(z))))
    return float(np.mean(h)), (p - target) / np.size(z)


def l1_penalty(w, reg):
    return float(reg * np.sum(np.abs(w))), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * np.sum(w * w)), 2 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    value = reg * l1_ratio * np.sum(np.abs(w)) + reg * (1 - l1_ratio) * np.sum(w * w)
    return float(value), reg * l1_ratio * np.sign(w) + 2 * reg * (1 - l1_ratio) * w
