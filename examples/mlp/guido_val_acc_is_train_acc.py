"""Guido -- mlp.

einsum everywhere. The end-of-epoch bookkeeping was copy-pasted from the training
lines and one argument was not changed: val_acc is measured on the training set,
so the history's validation accuracy is the training accuracy and the "best"
parameters are picked by training accuracy.
"""
import math

import numpy as np

_FWD = {"relu": lambda z: np.clip(z, 0, None), "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}
_BWD = {"relu": lambda z, h: np.greater(z, 0).astype(z.dtype), "sigmoid": lambda z, h: h - h * h,
        "tanh": lambda z, h: 1 - np.square(h)}


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    r = np.random.default_rng(seed)
    d = [input_dim, *hidden_dims, num_classes]
    p = {}
    for k in range(len(d) - 1):
        p[f"W{k + 1}"] = r.standard_normal((d[k], d[k + 1])) * weight_scale
        p[f"b{k + 1}"] = np.zeros(d[k + 1])
    return p


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in _FWD:
        raise ValueError("bad activation")
    depth = len(params) // 2
    zs, hs = [], [np.reshape(X, (np.shape(X)[0], -1))]
    for k in range(1, depth + 1):
        z = np.einsum("nd,dh->nh", hs[-1], params[f"W{k}"]) + params[f"b{k}"]
        zs.append(z)
        hs.append(_FWD[activation](z) if k < depth else z)
    s = hs[-1]
    if y is None:
        return s
    n = len(y)
    s = s - np.max(s, axis=1, keepdims=True)
    logZ = np.log(np.einsum("nc->n", np.exp(s)))
    loss = np.mean(logZ - s[np.arange(n), y])
    loss += reg * sum(np.einsum("ij,ij->", params[f"W{k}"], params[f"W{k}"]) for k in range(1, depth + 1))
    g = np.exp(s - logZ[:, None])
    g[np.arange(n), y] -= 1
    g /= n
    grads = {}
    for k in range(depth, 0, -1):
        grads[f"W{k}"] = np.einsum("nd,nh->dh", hs[k - 1], g) + 2 * reg * params[f"W{k}"]
        grads[f"b{k}"] = np.einsum("nh->h", g)
        if k > 1:
            g = np.einsum("nh,dh->nd", g, params[f"W{k}"]) * _BWD[activation](zs[k - 2], hs[k - 1])
    return loss, grads


def _update(rule, w, dw, cfg):
    if rule == "sgd":
        cfg.setdefault("learning_rate", 1e-2)
        return w - cfg["learning_rate"] * dw
    if rule == "sgd_momentum":
        cfg.setdefault("learning_rate", 1e-2), cfg.setdefault("momentum", 0.9)
        cfg["velocity"] = cfg["momentum"] * cfg.get("velocity", np.zeros_like(w)) + dw
        return w - cfg["learning_rate"] * cfg["velocity"]
    for key, val in dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8).items():
        cfg.setdefault(key, val)
    cfg["t"] = cfg.get("t", 0) + 1
    cfg["m"] = cfg["beta1"] * cfg.get("m", np.zeros_like(w)) + (1 - cfg["beta1"]) * dw
    cfg["v"] = cfg["beta2"] * cfg.get("v", np.zeros_like(w)) + (1 - cfg["beta2"]) * dw * dw
    mh, vh = cfg["m"] / (1 - cfg["beta1"] ** cfg["t"]), cfg["v"] / (1 - cfg["beta2"] ** cfg["t"])
    return w - cfg["learning_rate"] * mh / (np.sqrt(vh) + cfg["epsilon"])


def _lr_at(spec, epoch, lr0):
    if spec["name"] == "step_decay":
        return lr0 * spec.get("gamma", 0.1) ** int(np.sum(np.asarray(spec["milestones"]) <= epoch))
    T = spec["total_steps"]
    return lr0 * 0.5 * (1 + math.cos(math.pi * min(epoch, T) / T))


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    oc = {} if optim_config is None else optim_config
    if lr_schedule and "learning_rate" not in oc:
        raise ValueError("no base learning rate")
    shuffler = np.random.default_rng(seed)
    theta, state = {}, {}
    for name, arr in params.items():
        theta[name], state[name] = arr.copy(), dict(oc)
    log = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    top, top_epoch, top_theta = -1.0, 0, None
    for epoch in range(num_epochs):
        if lr_schedule:
            for cfg in state.values():
                cfg["learning_rate"] = _lr_at(lr_schedule, epoch, oc["learning_rate"])
        order = shuffler.permutation(len(y))
        for i in range(0, len(y), batch_size):
            rows = order[i:i + batch_size]
            grads = mlp_loss(theta, X[rows], y[rows], reg, activation)[1]
            theta = {name: _update(update_rule, theta[name], grads[name], state[name]) for name in theta}
        log["train_loss"].append(float(mlp_loss(theta, X, y, reg, activation)[0]))
        log["train_acc"].append(float(np.mean(mlp_loss(theta, X, activation=activation).argmax(axis=1) == y)))
        log["val_loss"].append(float(mlp_loss(theta, X_val, y_val, reg, activation)[0]))
        log["val_acc"].append(float(np.mean(mlp_loss(theta, X, activation=activation).argmax(axis=1) == y)))
        log["lr"].append(float(state["W1"]["learning_rate"]))
        if log["val_acc"][-1] > top:
            top, top_epoch, top_theta = log["val_acc"][-1], epoch, {n: a.copy() for n, a in theta.items()}
    log["best_epoch"] = top_epoch
    return top_theta, log
