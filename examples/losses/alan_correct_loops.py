# alan -- losses assignment
# Loops again: one example (or one element) at a time, with the math module,
# so every sum in the handout is a visible for-loop.
import math

import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    n, c = x.shape
    total = 0.0
    dx = np.zeros((n, c))
    for i in range(n):
        top = max(x[i])
        log_norm = top + math.log(math.fsum(math.exp(v - top) for v in x[i]))
        total += log_norm - x[i, y[i]]
        for j in range(c):
            dx[i, j] = math.exp(x[i, j] - log_norm) / n
        dx[i, y[i]] -= 1.0 / n
    return total / n, dx


def svm_loss(x, y):
    n, c = x.shape
    total = 0.0
    dx = np.zeros((n, c))
    for i in range(n):
        correct = x[i, y[i]]
        positive = [j for j in range(c) if j != y[i] and x[i, j] - correct + 1.0 > 0]
        for j in positive:
            total += x[i, j] - correct + 1.0
            dx[i, j] = 1.0 / n
        dx[i, y[i]] = -len(positive) / n
    return total / n, dx


def _elementwise(pred, target, rule):
    """(mean of the values, gradient array) of a rule(r) -> (value, slope) over every element."""
    n = pred.size
    grad = np.zeros(pred.shape)
    values = []
    for idx in np.ndindex(pred.shape):
        value, slope = rule(pred[idx] - target[idx])
        values.append(value)
        grad[idx] = slope / n
    return math.fsum(values) / n, grad


def mse_loss(pred, target):
    return _elementwise(pred, target, lambda r: (r * r, 2.0 * r))


def mae_loss(pred, target):
    def rule(r):
        slope = 1.0 if r > 0 else (-1.0 if r < 0 else 0.0)
        return abs(r), slope
    return _elementwise(pred, target, rule)


def huber_loss(pred, target, delta=1.0):
    def rule(r):
        if abs(r) <= delta:
            return 0.5 * r * r, r
        return delta * (abs(r) - 0.5 * delta), math.copysign(delta, r)
    return _elementwise(pred, target, rule)


def bce_loss(probs, target):
    n = probs.size
    total = 0.0
    grad = np.zeros(probs.shape)
    for idx in np.ndindex(probs.shape):
        p = min(max(probs[idx], BCE_EPS), 1.0 - BCE_EPS)
        t = target[idx]
        total -= t * math.log(p) + (1.0 - t) * math.log(1.0 - p)
        grad[idx] = (p - t) / (p * (1.0 - p)) / n
    return total / n, grad


def bce_with_logits_loss(logits, target):
    n = logits.size
    total = 0.0
    grad = np.zeros(logits.shape)
    for idx in np.ndindex(logits.shape):
        z, t = logits[idx], target[idx]
        small = math.exp(-abs(z))
        total += max(z, 0.0) - z * t + math.log1p(small)
        sig = 1.0 / (1.0 + small) if z >= 0 else small / (1.0 + small)
        grad[idx] = (sig - t) / n
    return total / n, grad


def _penalty(w, reg, l1_share):
    """reg * (l1_share * sum |w| + (1 - l1_share) * sum w^2), one weight at a time."""
    value = 0.0
    grads = []
    for v in w.flat:
        value += l1_share * abs(v) + (1.0 - l1_share) * v * v
        sign = float(v > 0) - float(v < 0)
        grads.append(reg * (l1_share * sign + 2.0 * (1.0 - l1_share) * v))
    return reg * value, np.array(grads, dtype=np.float64).reshape(w.shape)


def l1_penalty(w, reg):
    return _penalty(w, reg, 1.0)


def l2_penalty(w, reg):
    return _penalty(w, reg, 0.0)


def elastic_net_penalty(w, reg, l1_ratio):
    return _penalty(w, reg, l1_ratio)
