"""Grace's helpers for optim.py: the config plumbing and the averages, in one place."""
import numpy as np


def settle(config, defaults, arrays, like):
    """The config to use: a new dict on the first call, missing hyperparameters from
    ``defaults``, and each state array in ``arrays`` zeros shaped like ``like`` until set."""
    if config is None:
        config = {}
    for key in defaults:
        if key not in config:
            config[key] = defaults[key]
    for key in arrays:
        if key not in config:
            config[key] = np.zeros(np.shape(like), dtype=np.float64)
    return config


def decayed(average, sample, decay):
    """One step of an exponential moving average."""
    return decay * average + (1.0 - decay) * sample


def progress(step, total):
    """The fraction of ``total`` done at ``step``, never more than 1."""
    return min(step, total) / total
