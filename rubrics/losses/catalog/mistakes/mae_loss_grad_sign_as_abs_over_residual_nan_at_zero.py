"""dpred = |r| / r / n: the sign written as |r| divided by r, which is 0 / 0 = NaN where pred == target.

loses: mae_loss_kink: dpred where pred == target | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def mae_loss(pred, target):
    r = pred - target
    n = r.size
    return float(np.abs(r).sum() / n), np.abs(r) / r / n
