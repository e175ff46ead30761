"""The L1 part's |w| differentiated as sqrt(w**2): w / sqrt(w**2) is 0 / 0 = NaN where w == 0.

loses: elastic_net_penalty_kink: dw where w == 0 | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def elastic_net_penalty(w, reg, l1_ratio):
    w2 = w ** 2
    penalty = reg * (l1_ratio * np.sqrt(w2).sum() + (1.0 - l1_ratio) * w2.sum())
    dw = reg * (l1_ratio * w / np.sqrt(w2) + 2.0 * (1.0 - l1_ratio) * w)
    return float(penalty), dw
