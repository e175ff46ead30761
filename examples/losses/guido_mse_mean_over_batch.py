import numpy as np

# Guido v.R. -- losses

BCE_EPS = 1e-12


def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return float(loss), dx / N


def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y].reshape(-1, 1)
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] = -np.sum(mask, axis=1)
    return float(np.sum(margins) / N), mask / N


def mse_loss(pred, target):
    N = pred.shape[0]  # mean over the examples in the batch
    diff = pred - target
    return float(np.sum(diff ** 2) / N), 2 * diff / N


def mae_loss(pred, target):
    diff = pred - target
    return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


def huber_loss(pred, target, delta=1.0):
    diff = pred - target
    absd = np.abs(diff)
    loss = np.where(absd <= delta, 0.5 * diff ** 2, delta * (absd - 0.5 * delta))
    return float(np.mean(loss)), np.clip(diff, -delta, delta) / diff.size


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1 - BCE_EPS)
    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    return float(loss), (p - target) / (p * (1 - p)) / p.size


def bce_with_logits_loss(logits, target):
    e = np.exp(-np.abs(logits))
    loss = np.mean(np.maximum(logits, 0) - logits * target + np.log1p(e))
    sig = np.where(logits >= 0, 1 / (1 + e), e / (1 + e))
    return float(loss), (sig - target) / logits.size


def l1_penalty(w, reg):
    return float(reg * np.sum(np.abs(w))), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * np.sum(w ** 2)), 2 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    l1 = l1_ratio * np.sum(np.abs(w))
    l2 = (1 - l1_ratio) * np.sum(w ** 2)
    return float(reg * (l1 + l2)), reg * (l1_ratio * np.sign(w) + 2 * (1 - l1_ratio) * w)
