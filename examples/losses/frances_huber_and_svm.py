#!/usr/bin/env python
# coding: utf-8

# # Losses assignment -- Frances A.
# (exported from my notebook, scratch cells removed)

# In[1]:


import numpy as np

BCE_EPS = 1e-12


# In[2]:  classification


def softmax_loss(x, y):
    batch = np.arange(x.shape[0])
    logits = x - np.max(x, axis=1, keepdims=True)
    log_z = np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    nll = log_z[:, 0] - logits[batch, y]
    grad = np.exp(logits - log_z)
    grad[batch, y] -= 1
    return float(np.mean(nll)), grad / x.shape[0]


def svm_loss(x, y):
    batch = np.arange(x.shape[0])
    margins = x - x[batch, y][:, None] + 1
    margins[batch, y] = 0
    grad = (margins > 0).astype(float)
    grad[batch, y] = -1  # the correct class is pushed down
    loss = np.sum(np.maximum(margins, 0)) / x.shape[0]
    return float(loss), grad / x.shape[0]


# In[3]:  regression (DSE slides)


def mse_loss(pred, target):
    n = pred.size
    return float(np.sum((pred - target) ** 2) / n), (2 / n) * (pred - target)


def mae_loss(pred, target):
    n = pred.size
    return float(np.sum(np.abs(pred - target)) / n), (1 / n) * np.sign(pred - target)


def huber_loss(pred, target, delta=1.0):
    # DSE: (y - y_hat)^2 when the error is small, delta (|err| - delta / 2) when it is large
    err = pred - target
    small = np.abs(err) <= delta
    per = np.where(small, err ** 2, delta * (np.abs(err) - delta / 2))
    grad = np.where(small, 2 * err, delta * np.sign(err))
    return float(np.mean(per)), grad / err.size


# In[4]:  binary cross-entropy


def bce_loss(probs, target):
    p = np.clip(probs, BCE_EPS, 1 - BCE_EPS)
    per = -target * np.log(p) - (1 - target) * np.log(1 - p)
    return float(np.mean(per)), (p - target) / (p * (1 - p)) / p.size


def bce_with_logits_loss(logits, target):
    exp_neg_abs = np.exp(-np.abs(logits))
    per = np.maximum(logits, 0) - logits * target + np.log1p(exp_neg_abs)
    sig = np.where(logits >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs))
    return float(np.mean(per)), (sig - target) / logits.size


# In[5]:  penalties


def l1_penalty(w, reg):
    return float(reg * np.sum(np.abs(w))), reg * np.sign(w)


def l2_penalty(w, reg):
    return float(reg * np.sum(w ** 2)), 2 * reg * w


def elastic_net_penalty(w, reg, l1_ratio):
    v1, g1 = l1_penalty(w, reg)
    v2, g2 = l2_penalty(w, reg)
    return l1_ratio * v1 + (1 - l1_ratio) * v2, l1_ratio * g1 + (1 - l1_ratio) * g2
