"""Each row is shifted by its min instead of its max: in a row with scores of both +1000 and -1000
the shifted scores reach 2000 and exp overflows, so loss and dx are NaN.

loses: softmax_loss_stable: NaN or infinite | subtract each row's max before exp
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def softmax_loss(x, y):
    n = x.shape[0]
    rows = np.arange(n)
    e = np.exp(x - x.min(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    dx = probs.copy()
    dx[rows, y] -= 1.0
    return float(-np.log(probs[rows, y]).sum() / n), dx / n
