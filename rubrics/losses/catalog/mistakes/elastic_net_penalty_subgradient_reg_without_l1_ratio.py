"""At w == 0 dw is set to reg (the L1 subgradient, but without the factor l1_ratio): outside
[-reg * l1_ratio, reg * l1_ratio]. Right everywhere else.

loses: elastic_net_penalty_kink: dw where w == 0 | any value in
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def elastic_net_penalty(w, reg, l1_ratio):
    penalty = reg * (l1_ratio * np.abs(w).sum() + (1.0 - l1_ratio) * (w * w).sum())
    dw = reg * (l1_ratio * np.sign(w) + 2.0 * (1.0 - l1_ratio) * w)
    dw[w == 0] = reg  # |w| has no derivative at 0: pick the subgradient of reg * |w|
    return float(penalty), dw
