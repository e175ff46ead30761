"""loss = mean(log1p(exp(z)) - z t): log1p is used, but of exp(z) rather than exp(-|z|), so exp(1000)
overflows to inf. dlogits is right.

loses: bce_with_logits_loss_stable: loss at logit | NaN or infinite | log1p(exp(-|z|))
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def bce_with_logits_loss(logits, target):
    z = logits
    n = z.size
    loss = np.sum(np.log1p(np.exp(z)) - z * target) / n
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (sigma - target) / n
