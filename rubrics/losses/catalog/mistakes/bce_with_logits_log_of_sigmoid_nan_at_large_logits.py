"""loss = -mean(t log(sigmoid(z)) + (1 - t) log(1 - sigmoid(z))): bce_loss of the sigmoid without
clipping. sigmoid(+-1000) (and already sigmoid(40)) is exactly 1 or 0, so a log is log(0) = -inf,
and 0 * -inf is NaN. dlogits = sigmoid(z) - t is right.

loses: bce_with_logits_loss_stable: loss at logit | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def bce_with_logits_loss(logits, target):
    n = logits.size
    s = 1.0 / (1.0 + np.exp(-logits))
    loss = -np.sum(target * np.log(s) + (1.0 - target) * np.log(1.0 - s)) / n
    return float(loss), (s - target) / n
