"""Donald K. -- losses (the penalties are for next week, right?)."""
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    N = x.shape[0]
    z = x - x.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    dx = np.exp(log_p)
    dx[np.arange(N), y] -= 1.0
    return float(-log_p[np.arange(N), y].mean()), dx / N


def svm_loss(x, y):
    N = x.shape[0]
    scores_y = x[np.arange(N), y]
    margins = np.clip(x - scores_y[:, None] + 1.0, 0.0, None)
    margins[np.arange(N), y] = 0.0
    dx = np.where(margins > 0, 1.0, 0.0)
    dx[np.arange(N), y] = -dx.sum(axis=1)
    return float(margins.sum() / N), dx / N


def mse_loss(pred, target):
    diff = pred - target
    return float((diff * diff).mean()), 2.0 * diff / diff.size


def mae_loss(pred, target):
    diff = pred - target
    return float(np.abs(diff).mean()), np.sign(diff) / diff.size


def huber_loss(pred, target, delta=1.0):
    diff = pred - target
    small = np.abs(diff) <= delta
    h = np.where(small, 0.5 * diff * diff, delta * np.abs(diff) - 0.5 * delta ** 2)
    return float(h.mean()), np.where(small, diff, delta * np.sign(diff)) / diff.size


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    loss = -(target * np.log(p) + (1.0 - target) * np.log(1.0 - p)).mean()
    return float(loss), (p - target) / (p * (1.0 - p)) / p.size


def bce_with_logits_loss(logits, target):
    # TODO
    pass


def l1_penalty(w, reg):
    raise NotImplementedError("l1_penalty is not implemented yet")


def l2_penalty(w, reg):
    raise NotImplementedError("l2_penalty is not implemented yet")


def elastic_net_penalty(w, reg, l1_ratio):
    raise NotImplementedError("elastic_net_penalty is not implemented yet")
