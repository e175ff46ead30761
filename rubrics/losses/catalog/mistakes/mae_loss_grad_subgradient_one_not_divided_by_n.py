"""At pred == target the subgradient 1 of |r| is written into dpred after the division by n:
dpred is 1 there, outside [-1/n, 1/n]. Right everywhere else.

loses: mae_loss_kink: dpred where pred == target | any value in
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def mae_loss(pred, target):
    r = pred - target
    n = r.size
    dpred = np.sign(r) / n
    dpred[r == 0] = 1.0  # |r| has no derivative at 0: pick the subgradient 1
    return float(np.abs(r).sum() / n), dpred
