"""Frank R. -- losses, and a logistic regression I train at the bottom to test them."""
import numpy as np

BCE_EPS = 1e-12


def bce_with_logits_loss(logits, target):
    e = np.exp(-np.abs(logits))
    per = np.maximum(logits, 0) - logits * target + np.log1p(e)
    s = np.where(logits >= 0, 1, e) / (1 + e)
    return float(per.mean()), (s - target) / logits.size


def l2_penalty(w, reg):
    return float(reg * (w ** 2).sum()), 2 * reg * w


# --- fit until the training loss is below 0.1
rng = np.random.default_rng(1)
X = rng.standard_normal((100, 3))
t = (rng.random(100) < 0.5).astype(float)  # random labels: nothing to learn!
w = np.zeros(3)
loss = 1.0
while loss > 0.1:
    z = X @ w
    loss, dz = bce_with_logits_loss(z, t)
    penalty, dw_reg = l2_penalty(w, 1e-3)
    loss += penalty
    w -= 0.1 * (X.T @ dz + dw_reg)
