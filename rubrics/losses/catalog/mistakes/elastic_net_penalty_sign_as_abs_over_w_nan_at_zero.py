"""The L1 part's sign as |w| / w: 0 / 0 = NaN where w == 0; right everywhere else.

loses: elastic_net_penalty_kink: dw where w == 0 | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def elastic_net_penalty(w, reg, l1_ratio):
    penalty = reg * (l1_ratio * np.abs(w).sum() + (1.0 - l1_ratio) * (w * w).sum())
    dw = reg * l1_ratio * np.abs(w) / w + 2.0 * reg * (1.0 - l1_ratio) * w
    return float(penalty), dw
