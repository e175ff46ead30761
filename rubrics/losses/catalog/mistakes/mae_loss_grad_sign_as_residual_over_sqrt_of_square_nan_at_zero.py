"""dpred = r / sqrt(r**2) / n: |r| differentiated as sqrt(r**2), whose derivative r / sqrt(r**2)
is 0 / 0 = NaN where pred == target.

loses: mae_loss_kink: dpred where pred == target | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def mae_loss(pred, target):
    r = pred - target
    n = r.size
    return float(np.sqrt(r ** 2).sum() / n), r / np.sqrt(r ** 2) / n
