"""Shifts by the row max, but takes -log of the probability clipped to [1e-15, 1 - 1e-15]
(scikit-learn's old log_loss epsilon): finite, but where the correct class is 2000 below another
the loss is capped at ~34.5 instead of ~2000. dx is right.

loses: softmax_loss_stable: loss at scores | against your loss at the ordinary twin | use log-sum-exp
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def softmax_loss(x, y):
    n = x.shape[0]
    rows = np.arange(n)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(np.clip(probs[rows, y], 1e-15, 1.0 - 1e-15)).sum() / n
    dx = probs.copy()
    dx[rows, y] -= 1.0
    return float(loss), dx / n
