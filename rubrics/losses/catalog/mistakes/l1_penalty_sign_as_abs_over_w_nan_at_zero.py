"""dw = reg * |w| / w: the sign written as |w| divided by w, which is 0 / 0 = NaN where w == 0.

loses: l1_penalty_kink: dw where w == 0 | NaN or infinite
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def l1_penalty(w, reg):
    return float(reg * np.abs(w).sum()), reg * np.abs(w) / w
