# Ken T. -- losses.py
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    r = range(len(y))
    lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) + x.max(1, keepdims=True)
    grad = np.exp(x - lse)
    grad[r, y] = grad[r, y] - 1
    return float(np.mean(lse[:, 0] - x[r, y])), grad / len(y)


def mse_loss(pred, target)
    r = pred - target
    return float((r ** 2).mean()), 2 * r / r.size


def mae_loss(pred, target):
    r = pred - target
    return float(np.abs(r).mean()), np.sign(r) / r.size
