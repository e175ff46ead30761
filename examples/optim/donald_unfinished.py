"""Starter code for the ``optim`` assignment -- Donald K.

Done: sgd, sgd_momentum, adagrad, rmsprop, adam, step decay, linear and inverse-sqrt decay.
Still to do (ran out of time): adadelta, nesterov, cosine, warmup.
"""

import math  # noqa: F401  (you may need it)

import numpy as np  # noqa: F401  (you will need it)


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum (first formulation)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    if v is None:
        v = np.zeros_like(w)
    v = config["momentum"] * v + dw
    config["velocity"] = v
    next_w = w - config["learning_rate"] * v
    return next_w, config


def nesterov_momentum(w, dw, config=None):
    """Nesterov momentum, in the lecture's change of variables (dw is taken at w)."""
    # TODO: like sgd_momentum, but the step also uses the new velocity (the look-ahead);
    #       keep the old velocity around until the step is computed.
    pass


def adagrad(w, dw, config=None):
    """AdaGrad."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache")
    if cache is None:
        cache = np.zeros_like(w)
    config["cache"] = cache = cache + dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp."""
    config = {} if config is None else config
    config.setdefault("decay_rate", 0.99)  # the others as in adagrad
    for key, value in (("learning_rate", 1e-2), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    cache = config.get("cache")
    if cache is None:
        cache = np.zeros_like(w)
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw**2
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def adadelta(w, dw, config=None):
    """Adadelta."""
    # TODO: two decaying averages (cache, delta_cache); epsilon inside both square roots;
    #       update delta_cache with the new delta after the step is computed.
    raise NotImplementedError("adadelta is not implemented yet")


def adam(w, dw, config=None):
    """Adam with bias correction."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config["t"] = config.get("t", 0) + 1
    m, v = config.get("m"), config.get("v")
    if m is None:
        m, v = np.zeros_like(w), np.zeros_like(w)
    m = config["beta1"] * m + (1 - config["beta1"]) * dw
    v = config["beta2"] * v + (1 - config["beta2"]) * dw**2
    config["m"], config["v"] = m, v
    m_hat = m / (1 - config["beta1"] ** config["t"])
    v_hat = v / (1 - config["beta2"] ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config


def step_decay(step, base_lr, milestones, gamma=0.1):
    """Step decay: the learning rate is multiplied by gamma at each milestone."""
    n = len([m for m in milestones if m <= step])
    return base_lr * gamma**n


def cosine_decay(step, base_lr, total_steps):
    """Cosine decay from base_lr at step 0 to 0 at total_steps, then 0."""
    # TODO: clip step to total_steps first.
    raise NotImplementedError("cosine_decay is not implemented yet")


def linear_decay(step, base_lr, total_steps):
    """Linear decay from base_lr at step 0 to 0 at total_steps, then 0."""
    t = min(step, total_steps)
    return base_lr * (1 - t / total_steps)


def inverse_sqrt_decay(step, base_lr):
    """Inverse square-root decay, with the lecture's t counted from 1 (t = step + 1)."""
    return base_lr / math.sqrt(step + 1)


def linear_warmup(step, base_lr, warmup_steps):
    """Linear warmup from 0 at step 0 to base_lr at warmup_steps, then base_lr."""
    # TODO: from 0 at step 0 up to base_lr at warmup_steps; base_lr after that.
    raise NotImplementedError("linear_warmup is not implemented yet")
