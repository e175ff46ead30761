"""loss = -mean(log(sigmoid(z)**t * (1 - sigmoid(z))**(1 - t))): the log of the Bernoulli likelihood
instead of the sum of the logs. Where the target disagrees with a logit of +-1000 the likelihood is
0 and the loss infinite. dlogits is right.

loses: bce_with_logits_loss_stable: loss at logit | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def bce_with_logits_loss(logits, target):
    n = logits.size
    s = 1.0 / (1.0 + np.exp(-logits))
    loss = -np.sum(np.log(s ** target * (1.0 - s) ** (1.0 - target))) / n
    return float(loss), (s - target) / n
