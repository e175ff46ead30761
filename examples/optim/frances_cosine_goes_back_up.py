#!/usr/bin/env python
# coding: utf-8

# # Optim assignment -- Frances A.
# (exported from my notebook; the plots of the schedules are removed)

# In[1]:


import math

import numpy as np

LR = 1e-2
MOMENTUM = 0.9
EPS = 1e-8


# In[2]:  first-order rules (CS188's momentum: the velocity includes eta)


def sgd(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('learning_rate', LR)
    return w - config['learning_rate'] * dw, config


def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('learning_rate', LR)
    config.setdefault('momentum', MOMENTUM)
    v = config['momentum'] * config.get('velocity', np.zeros_like(w)) + config['learning_rate'] * dw
    config['velocity'] = v
    return w - v, config


def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('momentum', MOMENTUM)
    config.setdefault('learning_rate', LR)
    g = config['learning_rate'] * dw
    v = config['momentum'] * config.get('velocity', np.zeros_like(w)) + g
    config['velocity'] = v
    return w - (g + config['momentum'] * v), config


# In[3]:  adaptive rules


def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('epsilon', EPS)
    config.setdefault('learning_rate', LR)
    G = config.get('cache', np.zeros_like(w)) + dw ** 2
    config['cache'] = G
    return w - config['learning_rate'] / (np.sqrt(G) + config['epsilon']) * dw, config


def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('decay_rate', 0.99)
    config.setdefault('epsilon', EPS)
    config.setdefault('learning_rate', LR)
    d = config['decay_rate']
    Eg2 = d * config.get('cache', np.zeros_like(w)) + (1 - d) * dw ** 2
    config['cache'] = Eg2
    return w - config['learning_rate'] / (np.sqrt(Eg2) + config['epsilon']) * dw, config


def adadelta(w, dw, config=None):
    # Adadelta's defaults come from the paper (Zeiler 2012), not from my globals
    config = {'learning_rate': 1.0, 'decay_rate': 0.95, 'epsilon': 1e-6, **(config or {})}
    d, e = config['decay_rate'], config['epsilon']
    Eg2 = d * config.get('cache', np.zeros_like(w)) + (1 - d) * dw ** 2
    Ed2 = config.get('delta_cache', np.zeros_like(w))
    delta = -(np.sqrt(Ed2 + e) / np.sqrt(Eg2 + e)) * dw
    config['cache'] = Eg2
    config['delta_cache'] = d * Ed2 + (1 - d) * delta ** 2
    return w + config['learning_rate'] * delta, config


def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('beta1', 0.9)
    config.setdefault('beta2', 0.999)
    config.setdefault('epsilon', EPS)
    config.setdefault('learning_rate', 1e-3)
    t = config.get('t', 0) + 1
    m = config['beta1'] * config.get('m', np.zeros_like(w)) + (1 - config['beta1']) * dw
    v = config['beta2'] * config.get('v', np.zeros_like(w)) + (1 - config['beta2']) * dw ** 2
    config.update({'t': t, 'm': m, 'v': v})
    mhat, vhat = m / (1 - config['beta1'] ** t), v / (1 - config['beta2'] ** t)
    return w - config['learning_rate'] * mhat / (np.sqrt(vhat) + config['epsilon']), config


# In[4]:  schedules, straight from the L10 slides


def step_decay(step, base_lr, milestones, gamma=0.1):
    passed = [m for m in milestones if step >= m]
    return base_lr * gamma ** len(passed)


def cosine_decay(step, base_lr, total_steps):
    # alpha_t = 1/2 alpha_0 (1 + cos(t pi / T))
    return 0.5 * base_lr * (1 + math.cos(step * math.pi / total_steps))


def linear_decay(step, base_lr, total_steps):
    # alpha_t = alpha_0 (1 - t / T)
    return base_lr * (1 - step / total_steps)


def inverse_sqrt_decay(step, base_lr):
    # alpha_t = alpha_0 / sqrt(t), t from 1
    return base_lr / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    return base_lr * min(1, step / warmup_steps)
