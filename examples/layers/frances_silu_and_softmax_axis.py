#!/usr/bin/env python
# coding: utf-8

# # Layers assignment -- Frances A.
# (exported from my notebook, test cells removed)

# In[1]:


import numpy as np


# In[2]:


def affine_forward(x, w, b):
    flat_x = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    return flat_x @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat_x = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    grad_x = (dout @ w.T).reshape(x.shape)
    return grad_x, flat_x.T @ dout, dout.sum(axis=0)


# In[3]:


def relu_forward(x):
    is_pos = x > 0
    return x * is_pos, is_pos


def relu_backward(dout, cache):
    is_pos = cache
    return dout * is_pos


# In[4]:


def tanh_forward(x):
    th = np.tanh(x)
    return th, th


def tanh_backward(dout, cache):
    th = cache
    dth = 1 - th * th
    return dout * dth


def sig(x):
    # stable: only exponentiate non-positive numbers
    ex = np.exp(-np.abs(x))
    numerator = np.where(x >= 0, 1.0, ex)
    return numerator / (1 + ex)


def sigmoid_forward(x):
    return sig(x), sig(x)


def sigmoid_backward(dout, cache):
    s = cache
    ds = s * (1 - s)
    return dout * ds


# In[5]:


def elu_forward(x, alpha=1.0):
    neg_part = alpha * np.expm1(np.minimum(x, 0))
    out = np.where(x > 0, x, neg_part)
    return out, (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    slope = np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))
    return dout * slope


def leaky_relu_forward(x, alpha=0.01):
    slope = np.where(x > 0, 1.0, alpha)
    return slope * x, (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    slope = np.where(x > 0, 1.0, alpha)
    return dout * slope


# In[6]:


def silu_forward(x):
    s = sig(x)
    return x * s, x


def silu_backward(dout, cache):
    # derivative of x * sigma(x) is sigma(x)
    return dout * sig(cache)


def softplus_forward(x):
    out = np.log1p(np.exp(-np.abs(x)))
    return out + np.maximum(x, 0), x


def softplus_backward(dout, cache):
    return sig(cache) * dout


# In[7]:


def softmax(x):
    z = x - np.max(x, axis=0, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=0, keepdims=True)
