"""Alan -- mlp.

Inlined his layers the way the layers assignment wrote them (affine_forward /
affine_backward with caches, one forward/backward pair per activation), then a list
of caches walked forwards and backwards. Momentum in L10's form (a), v = mu*v + dw.
Update rules and schedules are module functions looked up with globals().
"""
import math

import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    flat = x.reshape(x.shape[0], -1)
    return dout.dot(w.T).reshape(x.shape), flat.T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x


def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)


def sigmoid_forward(x):
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, out):
    return dout * out * (1.0 - out)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, out):
    return dout * (1.0 - out ** 2)


def sgd(w, dw, config):
    lr = config.setdefault("learning_rate", 1e-2)
    return w - lr * dw, config


def sgd_momentum(w, dw, config):
    lr = config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    velocity = mu * config.get("velocity", 0.0 * w) + dw
    config["velocity"] = velocity
    return w - lr * velocity, config


def adam(w, dw, config):
    lr = config.setdefault("learning_rate", 1e-3)
    b1 = config.setdefault("beta1", 0.9)
    b2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    config["t"] = config.get("t", 0) + 1
    config["m"] = b1 * config.get("m", 0.0 * w) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", 0.0 * w) + (1 - b2) * dw * dw
    mhat = config["m"] / (1 - b1 ** config["t"])
    vhat = config["v"] / (1 - b2 ** config["t"])
    return w - lr * mhat / (np.sqrt(vhat) + eps), config


def step_decay(step, base_lr, milestones, gamma=0.1):
    passed = 0
    for m in milestones:
        if step >= m:
            passed += 1
    return base_lr * gamma ** passed


def cosine_decay(step, base_lr, total_steps):
    t = min(step, total_steps)
    return base_lr * 0.5 * (1 + math.cos(math.pi * t / total_steps))


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [input_dim] + list(hidden_dims) + [num_classes]
    params = {}
    layer = 1
    while layer < len(sizes):
        params["W" + str(layer)] = weight_scale * rng.standard_normal((sizes[layer - 1], sizes[layer]))
        params["b" + str(layer)] = np.zeros(sizes[layer])
        layer += 1
    return params


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in ("relu", "sigmoid", "tanh"):
        raise ValueError("activation must be relu, sigmoid or tanh")
    forward = globals()[activation + "_forward"]
    backward = globals()[activation + "_backward"]
    n_layers = len(params) // 2
    caches = []
    out = X
    for i in range(1, n_layers + 1):
        out, cache = affine_forward(out, params["W%d" % i], params["b%d" % i])
        act_cache = None
        if i < n_layers:
            out, act_cache = forward(out)
        caches.append((cache, act_cache))
    if y is None:
        return out
    N = out.shape[0]
    shifted = out - out.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dout = probs.copy()
    dout[np.arange(N), y] -= 1
    dout /= N
    grads = {}
    for i in range(n_layers, 0, -1):
        cache, act_cache = caches[i - 1]
        if i < n_layers:
            dout = backward(dout, act_cache)
        dout, dw, db = affine_backward(dout, cache)
        W = params["W%d" % i]
        loss += reg * np.sum(W * W)
        grads["W%d" % i] = dw + 2 * reg * W
        grads["b%d" % i] = db
    return loss, grads


def accuracy(params, X, y, activation):
    return float(np.mean(np.argmax(mlp_loss(params, X, activation=activation), axis=1) == y))


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    current = {}
    for name in params:
        current[name] = params[name].copy()
    if optim_config is None:
        optim_config = {}
    configs = {}
    for name in current:
        configs[name] = dict(optim_config)
    rule = globals()[update_rule]
    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    best_params = None
    best_acc = -1.0
    N = X.shape[0]
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            if "learning_rate" not in optim_config:
                raise ValueError("lr_schedule without a learning_rate")
            options = dict(lr_schedule)
            schedule = globals()[options.pop("name")]
            for name in configs:
                configs[name]["learning_rate"] = schedule(epoch, optim_config["learning_rate"], **options)
        order = rng.permutation(N)
        start = 0
        while start < N:
            batch = order[start:start + batch_size]
            start += batch_size
            loss, grads = mlp_loss(current, X[batch], y[batch], reg, activation)
            for name in current:
                current[name], configs[name] = rule(current[name], grads[name], configs[name])
        history["train_loss"].append(float(mlp_loss(current, X, y, reg, activation)[0]))
        history["train_acc"].append(accuracy(current, X, y, activation))
        history["val_loss"].append(float(mlp_loss(current, X_val, y_val, reg, activation)[0]))
        history["val_acc"].append(accuracy(current, X_val, y_val, activation))
        history["lr"].append(float(configs["W1"]["learning_rate"]))
        if history["val_acc"][-1] > best_acc:
            best_acc = history["val_acc"][-1]
            best_params = {}
            for name in current:
                best_params[name] = current[name].copy()
            history["best_epoch"] = epoch
    return best_params, history
