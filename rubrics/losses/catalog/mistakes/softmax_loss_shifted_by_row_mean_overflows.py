"""Each row is shifted by its mean instead of its max: in a row with scores of both +1000 and -1000
the shifted scores still reach ~+1000 and exp overflows, so loss and dx are NaN.

loses: softmax_loss_stable: NaN or infinite | subtract each row's max before exp
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def softmax_loss(x, y):
    n = x.shape[0]
    rows = np.arange(n)
    shifted = x - x.mean(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_probs)
    dx[rows, y] -= 1.0
    return float(-log_probs[rows, y].sum() / n), dx / n
