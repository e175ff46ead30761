"""Radia P. -- losses.

Each loss is a small class with a __call__ returning (value, gradient), like a
framework's loss modules; the module-level names at the bottom are what the
grader calls.
"""
import numpy as np

BCE_EPS = 1e-12


class CrossEntropy:
    def __call__(self, x, y):
        n = x.shape[0]
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        grad = np.exp(logp)
        grad[np.arange(n), y] -= 1.0
        return float(-logp[np.arange(n), y].sum() / n), grad / n


class Hinge:
    margin = 1.0

    def __call__(self, x, y):
        n = x.shape[0]
        m = x - x[np.arange(n), y][:, None] + self.margin
        m[np.arange(n), y] = 0.0
        positive = m > 0
        grad = positive.astype(x.dtype)
        grad[np.arange(n), y] = -positive.sum(axis=1)
        return float(m[positive].sum() / n), grad / n


class Elementwise:
    """mean over all elements of value(r), gradient slope(r) / n, with r = a - t."""

    def __init__(self, value, slope):
        self.value, self.slope = value, slope

    def __call__(self, a, t, **kw):
        r = a - t
        return float(self.value(r, **kw).sum() / r.size), self.slope(r, **kw) / r.size


def _huber_value(r, delta=1.0):
    return np.where(np.abs(r) <= delta, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))


def _huber_slope(r, delta=1.0):
    return np.clip(r, -delta, delta)


class BinaryCrossEntropy:
    def __call__(self, probs, target):
        p = np.clip(probs, BCE_EPS, 1 - BCE_EPS)
        value = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        return float(value.sum() / p.size), (p - target) / (p * (1 - p)) / p.size


class BinaryCrossEntropyWithLogits:
    def __call__(self, z, target):
        e = np.exp(-np.abs(z))
        value = np.maximum(z, 0) - z * target + np.log1p(e)
        sig = np.where(z >= 0, 1, e) / (1 + e)
        return float(value.sum() / z.size), (sig - target) / z.size


class Penalty:
    def __init__(self, l1_share):
        self.l1_share = l1_share

    def __call__(self, w, reg, l1_ratio=None):
        share = self.l1_share if l1_ratio is None else l1_ratio
        value = reg * (share * np.abs(w).sum() + (1 - share) * (w * w).sum())
        return float(value), reg * (share * np.sign(w) + 2 * (1 - share) * w)


softmax_loss = CrossEntropy()
hinge_loss = Hinge()
mse_loss = Elementwise(lambda r: r * r, lambda r: 2 * r)
mae_loss = Elementwise(np.abs, np.sign)
huber_loss = Elementwise(_huber_value, _huber_slope)
bce_loss = BinaryCrossEntropy()
bce_with_logits_loss = BinaryCrossEntropyWithLogits()
l1_penalty = Penalty(1.0)
l2_penalty = Penalty(0.0)
elastic_net = Penalty(0.5)
