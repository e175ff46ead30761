# Katherine J. - losses.py
# Style: one-hot matrices and boolean masks; every gradient starts as a fresh array.
import numpy as np

BCE_EPS = 1e-12


def _one_hot(y, num_classes):
    return np.eye(num_classes)[y]


def softmax_loss(x, y):
    batch, classes = x.shape
    truth = _one_hot(y, classes)
    shifted = x - np.amax(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(truth * log_probs) / batch
    return float(loss), (np.exp(log_probs) - truth) / batch


def svm_loss(x, y):
    batch, classes = x.shape
    truth = _one_hot(y, classes).astype(bool)
    correct_scores = x[truth].reshape(batch, 1)
    margins = x - correct_scores + 1.0
    counted = (margins > 0) & ~truth
    loss = np.sum(margins[counted]) / batch
    grad = counted.astype(np.float64)
    grad[truth] = -np.sum(counted, axis=1)
    return float(loss), grad / batch


def mse_loss(pred, target):
    diff = pred - target
    count = diff.size
    return float(np.sum(diff * diff) / count), diff * (2.0 / count)


def mae_loss(pred, target):
    diff = pred - target
    count = diff.size
    grad = np.zeros_like(diff)
    grad[diff > 0] = 1.0 / count
    grad[diff < 0] = -1.0 / count
    return float(np.sum(np.abs(diff)) / count), grad


def huber_loss(pred, target, delta=1.0):
    diff = pred - target
    count = diff.size
    inner = np.abs(diff) <= delta
    outer = ~inner
    per_element = np.zeros_like(diff)
    per_element[inner] = 0.5 * diff[inner] ** 2
    per_element[outer] = delta * (np.abs(diff[outer]) - 0.5 * delta)
    grad = np.zeros_like(diff)
    grad[inner] = diff[inner]
    grad[outer] = delta * np.sign(diff[outer])
    return float(np.sum(per_element) / count), grad / count


def bce_loss(probs, target):
    p = probs.copy()
    p[p < BCE_EPS] = BCE_EPS
    p[p > 1 - BCE_EPS] = 1 - BCE_EPS
    count = p.size
    loss = -np.sum(target * np.log(p) + (1 - target) * np.log(1 - p)) / count
    return float(loss), (-target / p + (1 - target) / (1 - p)) / count


def bce_with_logits_loss(logits, target):
    count = logits.size
    positive = logits >= 0
    small = np.exp(-np.abs(logits))
    sig = small / (1 + small)
    sig[positive] = 1 / (1 + small[positive])
    per_element = np.maximum(logits, 0) - logits * target + np.log1p(small)
    return float(np.sum(per_element) / count), (sig - target) / count


def l1_penalty(w, reg):
    grad = np.zeros_like(w)
    grad[w > 0] = reg
    grad[w < 0] = -reg
    return float(reg * np.sum(np.abs(w))), grad


def l2_penalty(w, reg):
    return float(reg * np.sum(w ** 2)), 2 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    a, da = l1_penalty(w, reg * l1_ratio)
    b, db = l2_penalty(w, reg * (1 - l1_ratio))
    return a + b, da + db
