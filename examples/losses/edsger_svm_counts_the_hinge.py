"""Edsger D. -- losses.py

Organisation: the classification losses, then the regression losses, then BCE,
then the penalties. Each function computes the value first and the gradient second.
"""
import numpy as np

BCE_EPS = 1e-12

# ---------------------------------------------------------------- classification


def softmax_loss(x, y):
    num_examples = x.shape[0]
    example_index = np.arange(num_examples)
    row_max = x.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(x - row_max).sum(axis=1, keepdims=True)) + row_max
    log_probs = x - log_sum
    loss = -log_probs[example_index, y].mean()

    gradient = np.exp(log_probs)
    gradient[example_index, y] = gradient[example_index, y] - 1.0
    gradient = gradient / num_examples
    return float(loss), gradient


def svm_loss(x, y):
    num_examples = x.shape[0]
    example_index = np.arange(num_examples)
    correct_scores = x[example_index, y][:, np.newaxis]
    margins = x - correct_scores + 1.0
    margins[example_index, y] = 0.0
    loss = np.maximum(margins, 0.0).sum() / num_examples

    counted = (margins >= 0.0).astype(x.dtype)  # hinge is active from margin 0 on
    counted[example_index, y] = 0.0
    gradient = counted.copy()
    gradient[example_index, y] = -counted.sum(axis=1)
    gradient = gradient / num_examples
    return float(loss), gradient


# ---------------------------------------------------------------- regression


def mse_loss(pred, target):
    residual = pred - target
    loss = (residual ** 2).mean()

    gradient = 2.0 * residual / residual.size
    return float(loss), gradient


def mae_loss(pred, target):
    residual = pred - target
    loss = np.abs(residual).mean()

    gradient = np.sign(residual) / residual.size
    return float(loss), gradient


def huber_loss(pred, target, delta=1.0):
    residual = pred - target
    magnitude = np.abs(residual)
    per_element = np.where(magnitude <= delta, 0.5 * residual ** 2, delta * (magnitude - 0.5 * delta))
    loss = per_element.mean()

    gradient = np.where(magnitude <= delta, residual, delta * np.sign(residual)) / residual.size
    return float(loss), gradient


# ---------------------------------------------------------------- binary cross-entropy


def bce_loss(probs, target):
    clipped = np.clip(probs, BCE_EPS, 1.0 - BCE_EPS)
    loss = -(target * np.log(clipped) + (1.0 - target) * np.log(1.0 - clipped)).mean()

    gradient = (clipped - target) / (clipped * (1.0 - clipped)) / clipped.size
    return float(loss), gradient


def bce_with_logits_loss(logits, target):
    decay = np.exp(-np.abs(logits))
    loss = (np.maximum(logits, 0.0) - logits * target + np.log1p(decay)).mean()

    probability = np.where(logits < 0, decay, 1.0) / (1.0 + decay)
    gradient = (probability - target) / logits.size
    return float(loss), gradient


# ---------------------------------------------------------------- penalties


def l1_penalty(w, reg):
    penalty = reg * np.abs(w).sum()

    gradient = reg * np.sign(w)
    return float(penalty), gradient


def l2_penalty(w, reg):
    penalty = reg * (w ** 2).sum()

    gradient = 2.0 * reg * w
    return float(penalty), gradient


def elastic_net_penalty(w, reg, l1_ratio):
    penalty = reg * (l1_ratio * np.abs(w).sum() + (1.0 - l1_ratio) * (w ** 2).sum())

    gradient = reg * (l1_ratio * np.sign(w) + 2.0 * (1.0 - l1_ratio) * w)
    return float(penalty), gradient
