"""Fei -- mlp.

Thinks of the network from the output backwards ("backprop order"): init_params
draws W_L first and W1 last from the one generator, so every layer gets the right
shape and scale but another layer's random numbers (only a network with one layer
is right). The rest is correct; it is written as an ordered list of layer records.
"""
import math

import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    dims = [input_dim, *hidden_dims, num_classes]
    params = {}
    for l in range(len(dims) - 1, 0, -1):
        params[f"b{l}"] = np.zeros(dims[l])
        params[f"W{l}"] = weight_scale * rng.standard_normal((dims[l - 1], dims[l]))
    return {k: params[k] for i in range(1, len(dims)) for k in (f"W{i}", f"b{i}")}


def _nl(kind):
    table = {
        "relu": (lambda v: v.clip(min=0), lambda v, out: (v > 0) + 0.0),
        "sigmoid": (lambda v: 1 / (1 + np.exp(-v)), lambda v, out: out * (1 - out)),
        "tanh": (lambda v: np.tanh(v), lambda v, out: 1 - out ** 2),
    }
    if kind not in table:
        raise ValueError(f"unknown activation {kind!r}")
    return table[kind]


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    f, fprime = _nl(activation)
    records = []
    x = X.reshape(X.shape[0], -1)
    n_layers = len(params) // 2
    for l in range(1, n_layers + 1):
        pre = x @ params[f"W{l}"] + params[f"b{l}"]
        post = f(pre) if l < n_layers else pre
        records.append({"in": x, "pre": pre, "post": post, "W": params[f"W{l}"]})
        x = post
    if y is None:
        return x
    count = x.shape[0]
    top = x.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(x - top).sum(axis=1))
    loss = np.mean(lse - x[np.arange(count), y]) + reg * sum((r["W"] ** 2).sum() for r in records)
    back = np.exp(x - lse[:, None])
    back[np.arange(count), y] -= 1
    back /= count
    grads = {}
    for l in range(n_layers, 0, -1):
        r = records[l - 1]
        if l < n_layers:
            back = back * fprime(r["pre"], r["post"])
        grads[f"W{l}"] = r["in"].T @ back + 2 * reg * r["W"]
        grads[f"b{l}"] = back.sum(axis=0)
        back = back @ r["W"].T
    return loss, grads


def _opt(rule, w, dw, st):
    if rule == "sgd":
        lr = st.setdefault("learning_rate", 1e-2)
        return w - lr * dw, st
    if rule == "sgd_momentum":
        lr, mu = st.setdefault("learning_rate", 1e-2), st.setdefault("momentum", 0.9)
        st["velocity"] = mu * st.get("velocity", np.zeros_like(w)) + lr * dw
        return w - st["velocity"], st
    lr, b1 = st.setdefault("learning_rate", 1e-3), st.setdefault("beta1", 0.9)
    b2, eps = st.setdefault("beta2", 0.999), st.setdefault("epsilon", 1e-8)
    st["t"] = st.get("t", 0) + 1
    st["m"] = b1 * st.get("m", np.zeros_like(w)) + (1 - b1) * dw
    st["v"] = b2 * st.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    return w - lr * (st["m"] / (1 - b1 ** st["t"])) / (np.sqrt(st["v"] / (1 - b2 ** st["t"])) + eps), st


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    cur = {k: np.copy(v) for k, v in params.items()}
    oc = dict(optim_config) if optim_config else {}
    if lr_schedule and "learning_rate" not in oc:
        raise ValueError("optim_config needs learning_rate for a schedule")
    states = {k: dict(oc) for k in cur}
    rng = np.random.default_rng(seed)
    H = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    best, best_score = None, -1.0
    for ep in range(num_epochs):
        if lr_schedule:
            s = lr_schedule
            if s["name"] == "step_decay":
                new_lr = oc["learning_rate"] * s.get("gamma", 0.1) ** len([m for m in s["milestones"] if ep >= m])
            else:
                new_lr = oc["learning_rate"] * (1 + math.cos(math.pi * min(ep, s["total_steps"]) / s["total_steps"])) / 2
            for st in states.values():
                st["learning_rate"] = new_lr
        order = rng.permutation(len(X))
        for b in range(math.ceil(len(X) / batch_size)):
            ix = order[b * batch_size:(b + 1) * batch_size]
            grads = mlp_loss(cur, X[ix], y[ix], reg, activation)[1]
            for k in cur:
                cur[k], states[k] = _opt(update_rule, cur[k], grads[k], states[k])
        H["train_loss"].append(float(mlp_loss(cur, X, y, reg, activation)[0]))
        H["train_acc"].append(float((mlp_loss(cur, X, activation=activation).argmax(1) == y).mean()))
        H["val_loss"].append(float(mlp_loss(cur, X_val, y_val, reg, activation)[0]))
        H["val_acc"].append(float((mlp_loss(cur, X_val, activation=activation).argmax(1) == y_val).mean()))
        H["lr"].append(float(states["W1"]["learning_rate"]))
        if H["val_acc"][-1] > best_score:
            best_score, best, H["best_epoch"] = H["val_acc"][-1], {k: v.copy() for k, v in cur.items()}, ep
    return best, H
