"""Edsger -- mlp.

Index arithmetic and while loops. He seeds a generator as the handout says, but
never draws from it: the mini-batches are X[0:B], X[B:2B], ... in the order the data
came, every epoch. Full-batch runs cannot tell; class-sorted data and the seed can.
"""
import math

import numpy as np

HIDDEN_FUNCS = ("relu", "sigmoid", "tanh")


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    generator = np.random.default_rng(seed)
    shape_list = [input_dim] + [h for h in hidden_dims] + [num_classes]
    result = {}
    j = 0
    while j + 1 < len(shape_list):
        result["W%d" % (j + 1)] = weight_scale * generator.standard_normal((shape_list[j], shape_list[j + 1]))
        result["b%d" % (j + 1)] = np.zeros(shape_list[j + 1])
        j = j + 1
    return result


def _g(name, z):
    if name == "relu":
        return z * (z > 0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return np.tanh(z)


def _g_prime(name, z):
    if name == "relu":
        return 1.0 * (z > 0)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return 1.0 - np.tanh(z) ** 2


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in HIDDEN_FUNCS:
        raise ValueError("unsupported activation: %s" % activation)
    L = len(params) // 2
    act = [X.reshape(X.shape[0], -1)]
    zs = [None]
    j = 1
    while j <= L:
        z = act[j - 1].dot(params["W%d" % j]) + params["b%d" % j]
        zs.append(z)
        act.append(_g(activation, z) if j < L else z)
        j += 1
    if y is None:
        return act[L]
    m = act[L].shape[0]
    stable = act[L] - act[L].max(axis=1)[:, None]
    lse = np.log(np.exp(stable).sum(axis=1))
    loss = float(np.mean(lse - stable[np.arange(m), y]))
    for j in range(1, L + 1):
        loss += reg * float(np.sum(np.square(params["W%d" % j])))
    err = np.exp(stable - lse[:, None])
    err[np.arange(m), y] -= 1.0
    err /= m
    grads = {}
    j = L
    while j >= 1:
        grads["W%d" % j] = act[j - 1].T.dot(err) + 2.0 * reg * params["W%d" % j]
        grads["b%d" % j] = err.sum(axis=0)
        if j > 1:
            err = err.dot(params["W%d" % j].T) * _g_prime(activation, zs[j - 1])
        j -= 1
    return loss, grads


def _apply(rule, w, dw, cfg):
    lr = cfg.setdefault("learning_rate", 1e-3 if rule == "adam" else 1e-2)
    if rule == "sgd":
        return w - lr * dw
    if rule == "sgd_momentum":
        mu = cfg.setdefault("momentum", 0.9)
        vel = mu * cfg.get("velocity", np.zeros_like(w)) - lr * dw
        cfg["velocity"] = vel
        return w + vel
    b1, b2 = cfg.setdefault("beta1", 0.9), cfg.setdefault("beta2", 0.999)
    eps = cfg.setdefault("epsilon", 1e-8)
    t = cfg["t"] = cfg.get("t", 0) + 1
    cfg["m"] = b1 * cfg.get("m", np.zeros_like(w)) + (1 - b1) * dw
    cfg["v"] = b2 * cfg.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    return w - lr * (cfg["m"] / (1 - b1 ** t)) / (np.sqrt(cfg["v"] / (1 - b2 ** t)) + eps)


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    weights = dict((key, np.array(val, copy=True)) for key, val in params.items())
    base = optim_config if optim_config is not None else {}
    cfgs = dict((key, dict(base)) for key in weights)
    generator = np.random.default_rng(seed)  # noqa: F841  (kept "for later")
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": [], "best_epoch": 0}
    best_weights, best_val = None, -1.0
    N = X.shape[0]
    epoch = 0
    while epoch < num_epochs:
        if lr_schedule is not None:
            if "learning_rate" not in base:
                raise ValueError("a schedule needs learning_rate")
            lr0 = base["learning_rate"]
            if lr_schedule["name"] == "step_decay":
                lr = lr0 * lr_schedule.get("gamma", 0.1) ** sum(1 for m in lr_schedule["milestones"] if epoch >= m)
            else:
                T = lr_schedule["total_steps"]
                lr = 0.5 * lr0 * (1.0 + math.cos(math.pi * min(epoch, T) / T))
            for key in cfgs:
                cfgs[key]["learning_rate"] = lr
        i = 0
        while i < N:
            _, grads = mlp_loss(weights, X[i:i + batch_size], y[i:i + batch_size], reg, activation)
            for key in weights:
                weights[key] = _apply(update_rule, weights[key], grads[key], cfgs[key])
            i += batch_size
        for which, data, labels in (("train", X, y), ("val", X_val, y_val)):
            history[which + "_loss"].append(mlp_loss(weights, data, labels, reg, activation)[0])
            history[which + "_acc"].append(float(np.mean(mlp_loss(weights, data, None, reg, activation).argmax(1) == labels)))
        history["lr"].append(float(cfgs["W1"]["learning_rate"]))
        if history["val_acc"][-1] > best_val:
            best_val = history["val_acc"][-1]
            best_weights = dict((key, val.copy()) for key, val in weights.items())
            history["best_epoch"] = epoch
        epoch += 1
    return best_weights, history
