"""At w == 0 the subgradient 1 of |w| is written into dw after the multiplication by reg:
dw is 1 there, outside [-reg, reg]. Right everywhere else.

loses: l1_penalty_kink: dw where w == 0 | any value in
"""
from correct_losses import *  # noqa: F401,F403

import numpy as np


def l1_penalty(w, reg):
    dw = reg * np.sign(w)
    dw[w == 0] = 1.0  # |w| has no derivative at 0: pick the subgradient 1
    return float(reg * np.abs(w).sum()), dw
