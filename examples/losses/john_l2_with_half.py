# john m. / losses
# I used the 1/2 convention for weight decay from the deep learning book,
# so that the gradient of the L2 penalty is just reg * w.
import numpy as np

BCE_EPS = 1e-12


def softmax_loss(x, y):
    n = len(x)
    idx = np.arange(n)
    z = x - np.max(x, axis=1)[:, None]
    logp = z - np.log(np.exp(z).sum(axis=1))[:, None]
    dx = np.exp(logp)
    dx[idx, y] -= 1
    return -logp[idx, y].sum() / n, dx / n


def svm_loss(x, y):
    n = len(x)
    idx = np.arange(n)
    m = np.fmax(x - x[idx, y][:, None] + 1, 0)
    m[idx, y] = 0
    g = np.sign(m)
    g[idx, y] = -g.sum(axis=1)
    return m.sum() / n, g / n


def mse_loss(pred, target):
    d = pred - target
    return np.square(d).mean(), d * 2 / d.size


def mae_loss(pred, target):
    d = pred - target
    return np.abs(d).mean(), np.sign(d) / d.size


def huber_loss(pred, target, delta=1.0):
    d = pred - target
    inside = np.abs(d) <= delta
    h = np.where(inside, d * d / 2, delta * np.abs(d) - delta * delta / 2)
    return h.mean(), np.where(inside, d, delta * np.sign(d)) / d.size


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1 - BCE_EPS)
    ce = target * np.log(p) + (1 - target) * np.log(1 - p)
    return -ce.mean(), (p - target) / p / (1 - p) / p.size


def bce_with_logits_loss(logits, target):
    t = target
    sp = np.log1p(np.exp(-np.abs(logits))) + np.fmax(logits, 0)
    s = np.exp(np.fmin(logits, 0) - np.log1p(np.exp(-np.abs(logits))))
    return (sp - logits * t).mean(), (s - t) / logits.size


def l1_penalty(w, reg):
    return reg * np.abs(w).sum(), reg * np.sign(w)


def l2_penalty(w, reg):
    return 0.5 * reg * np.square(w).sum(), reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    l1, dl1 = l1_penalty(w, l1_ratio * reg)
    l2, dl2 = l2_penalty(w, (1 - l1_ratio) * reg)
    return l1 + l2, dl1 + dl2
