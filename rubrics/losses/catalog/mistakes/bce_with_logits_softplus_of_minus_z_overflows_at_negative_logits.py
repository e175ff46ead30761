"""loss = mean(z - z t + log(1 + exp(-z))): the rearrangement is right but stops before the max/abs
trick, so exp(-z) overflows to inf at z = -1000. dlogits is right.

loses: bce_with_logits_loss_stable: loss at logit | NaN or infinite | log1p(exp(-|z|))
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def bce_with_logits_loss(logits, target):
    z = logits
    n = z.size
    loss = np.sum(z - z * target + np.log(1.0 + np.exp(-z))) / n
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (sigma - target) / n
