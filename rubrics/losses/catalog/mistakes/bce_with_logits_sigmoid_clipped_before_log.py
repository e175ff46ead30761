"""The sigmoid is clipped to [1e-7, 1 - 1e-7] before the logs (Keras's epsilon): finite, but the loss
stops growing at |z| ~ 16, so at logits of +-1000 it is the same as at +-40 instead of ~960 more.
dlogits = sigmoid(z) - t is right.

loses: bce_with_logits_loss_stable: loss at logit | against your loss at the ordinary twin | log1p(exp(-|z|))
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np

EPS = 1e-7


def bce_with_logits_loss(logits, target):
    n = logits.size
    s = 1.0 / (1.0 + np.exp(-logits))
    p = np.clip(s, EPS, 1.0 - EPS)
    loss = -np.sum(target * np.log(p) + (1.0 - target) * np.log(1.0 - p)) / n
    return float(loss), (s - target) / n
