"""dlogits uses sigmoid(z) = exp(z) / (1 + exp(z)): at z = 1000 that is inf / inf = NaN. The loss
is computed stably and is right.

loses: bce_with_logits_loss_stable: dlogits | NaN or infinite | a sigmoid built from exp(-|z|)
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def bce_with_logits_loss(logits, target):
    z = logits
    n = z.size
    loss = np.sum(np.maximum(z, 0.0) - z * target + np.log1p(np.exp(-np.abs(z)))) / n
    sigma = np.exp(z) / (1.0 + np.exp(z))
    return float(loss), (sigma - target) / n
