# Linus T., losses assignment.
#
# Five of the seven losses are "the mean over all elements of f(a, t)", with gradient
# f'(a, t) / n, so I wrote that once (mean_over_elements) and give each loss its
# per-element value and slope. The penalties are "reg times a sum", likewise.
import numpy as np

BCE_EPS = 1e-12


def mean_over_elements(per_element):
    def loss(a, t, *params):
        value, slope = per_element(a, t, *params)
        return float(value.sum() / a.size), slope / a.size
    return loss


def reg_times_sum(per_weight):
    def penalty(w, reg):
        value, slope = per_weight(w)
        return float(reg * value.sum()), reg * slope
    return penalty


def _log_sigmoid(z):
    return -np.logaddexp(0.0, -z)


_mse = mean_over_elements(lambda a, t: ((a - t) ** 2, 2.0 * (a - t)))
_mae = mean_over_elements(lambda a, t: (np.abs(a - t), np.sign(a - t)))
_huber = mean_over_elements(lambda a, t, d: (
    np.where(np.abs(a - t) <= d, 0.5 * (a - t) ** 2, d * np.abs(a - t) - 0.5 * d * d),
    np.clip(a - t, -d, d)))
_bce = mean_over_elements(lambda p, t: (
    -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)),
    (p - t) / (p * (1.0 - p))))
_bce_logits = mean_over_elements(lambda z, t: (
    -(t * _log_sigmoid(z) + (1.0 - t) * _log_sigmoid(-z)),
    np.exp(_log_sigmoid(z)) - t))

l1_penalty = reg_times_sum(lambda w: (np.abs(w), np.sign(w)))
l2_penalty = reg_times_sum(lambda w: (w * w, 2.0 * w))


def mse_loss(pred, target):
    return _mse(pred, target)


def mae_loss(pred, target):
    return _mae(pred, target)


def huber_loss(pred, target, delta=1.0):
    return _huber(pred, target, delta)


def bce_loss(probs, target):
    return _bce(np.clip(probs, BCE_EPS, 1.0 - BCE_EPS), target)


def bce_with_logits_loss(logits, target):
    return _bce_logits(logits, target)


def elastic_net_penalty(w, reg, l1_ratio):
    v1, g1 = l1_penalty(w, reg * l1_ratio)
    v2, g2 = l2_penalty(w, reg * (1.0 - l1_ratio))
    return v1 + v2, g1 + g2


def softmax_loss(x, y):
    rows = np.arange(x.shape[0])
    log_p = x - x.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    target = np.zeros_like(x)
    target[rows, y] = 1.0
    return float(-log_p[rows, y].mean()), (np.exp(log_p) - target) / x.shape[0]


def svm_loss(x, y):
    rows = np.arange(x.shape[0])
    m = x - x[rows, y][:, None] + 1.0
    m[rows, y] = -np.inf  # the correct class has no margin
    on = m > 0
    grad = on.astype(float)
    grad[rows, y] = -on.sum(axis=1)
    return float(np.where(on, m, 0.0).sum() / x.shape[0]), grad / x.shape[0]
