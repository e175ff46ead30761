"""Anita B. -- losses, with the checks from lecture 3 at the bottom."""
import numpy as np

BCE_EPS = 1e-12


def mse_loss(pred, target):
    r = pred - target
    n = r.size
    return float(np.sum(r ** 2) / n), 2 * r / n


def mae_loss(pred, target):
    r = pred - target
    n = r.size
    return float(np.sum(np.abs(r)) / n), np.sign(r) / n


def l1_penalty(w, reg):
    return float(reg * np.sum(np.abs(w))), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * np.sum(w ** 2)), 2 * reg * w


# L3: "quadratic loss (1/2)(y - y_i)^2, i.e. mean squared error"
value, _ = mse_loss(np.array([3.0]), np.array([1.0]))
assert value == 0.5 * (3.0 - 1.0) ** 2, f"MSE should be 2.0 for this example, got {value}"
