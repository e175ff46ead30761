"""Niklaus -- mlp.

His batch loop is `while start != N: ...; start += batch_size`. When batch_size
divides N (every full-batch run, 400 points in batches of 20) it ends; otherwise
start jumps over N and the loop never stops (his batches wrap round, "so that
the last one is full", so nothing ever fails): those train calls time out.
"""
import math

import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    widths = (input_dim,) + tuple(hidden_dims) + (num_classes,)
    p = {}
    for k in range(1, len(widths)):
        p["W{}".format(k)] = weight_scale * rng.standard_normal((widths[k - 1], widths[k]))
        p["b{}".format(k)] = np.zeros(widths[k])
    return p


def _forward(params, X, activation):
    fn = {"relu": lambda t: np.maximum(t, 0), "sigmoid": lambda t: 1 / (1 + np.exp(-t)), "tanh": np.tanh}
    if activation not in fn:
        raise ValueError("unknown activation {}".format(activation))
    count = len(params) // 2
    trace = [X.reshape(X.shape[0], -1)]
    for k in range(1, count + 1):
        z = trace[-1] @ params["W{}".format(k)] + params["b{}".format(k)]
        trace.append(fn[activation](z) if k < count else z)
    return trace


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    trace = _forward(params, X, activation)
    scores = trace[-1]
    if y is None:
        return scores
    count, n = len(params) // 2, len(y)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    soft = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(soft[np.arange(n), y]).mean()
    loss += reg * np.sum([np.square(params["W{}".format(k)]).sum() for k in range(1, count + 1)])
    d = soft - (np.arange(soft.shape[1]) == y[:, None])
    d = d / n
    grads = {}
    for k in range(count, 0, -1):
        grads["W{}".format(k)] = trace[k - 1].T @ d + 2 * reg * params["W{}".format(k)]
        grads["b{}".format(k)] = d.sum(axis=0)
        if k > 1:
            h = trace[k - 1]
            local = {"relu": (h > 0) * 1.0, "sigmoid": h * (1 - h), "tanh": 1 - h * h}[activation]
            d = (d @ params["W{}".format(k)].T) * local
    return loss, grads


def _rule(name, w, dw, c):
    c.setdefault("learning_rate", 1e-3 if name == "adam" else 1e-2)
    if name == "sgd":
        return w - c["learning_rate"] * dw
    if name == "sgd_momentum":
        c["velocity"] = c.setdefault("momentum", 0.9) * c.get("velocity", np.zeros_like(w)) - c["learning_rate"] * dw
        return w + c["velocity"]
    b1, b2, eps = c.setdefault("beta1", 0.9), c.setdefault("beta2", 0.999), c.setdefault("epsilon", 1e-8)
    c["t"] = c.get("t", 0) + 1
    c["m"] = b1 * c.get("m", np.zeros_like(w)) + (1 - b1) * dw
    c["v"] = b2 * c.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    return w - c["learning_rate"] * (c["m"] / (1 - b1 ** c["t"])) / (np.sqrt(c["v"] / (1 - b2 ** c["t"])) + eps)


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    w = {k: v.copy() for k, v in params.items()}
    given = optim_config or {}
    if lr_schedule and "learning_rate" not in given:
        raise ValueError("learning_rate is required with a schedule")
    conf = {k: dict(given) for k in w}
    rng = np.random.default_rng(seed)
    keys = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")
    hist = {k: [] for k in keys}
    best_w, best_val, hist["best_epoch"] = None, -1.0, 0
    N = len(X)
    for epoch in range(num_epochs):
        if lr_schedule:
            if lr_schedule["name"] == "step_decay":
                lr = given["learning_rate"] * lr_schedule.get("gamma", 0.1) ** sum(epoch >= m for m in lr_schedule["milestones"])
            else:
                frac = min(epoch, lr_schedule["total_steps"]) / lr_schedule["total_steps"]
                lr = given["learning_rate"] * (1 + math.cos(math.pi * frac)) / 2
            for c in conf.values():
                c["learning_rate"] = lr
        perm = rng.permutation(N)
        start = 0
        while start != N:
            idx = np.take(perm, np.arange(start, start + batch_size), mode="wrap")  # the last batch wraps round: always full
            g = mlp_loss(w, X[idx], y[idx], reg, activation)[1]
            w = {k: _rule(update_rule, w[k], g[k], conf[k]) for k in w}
            start += batch_size
        row = (mlp_loss(w, X, y, reg, activation)[0], np.mean(mlp_loss(w, X, None, 0, activation).argmax(1) == y),
               mlp_loss(w, X_val, y_val, reg, activation)[0],
               np.mean(mlp_loss(w, X_val, None, 0, activation).argmax(1) == y_val), conf["W1"]["learning_rate"])
        for k, v in zip(keys, row):
            hist[k].append(float(v))
        if row[3] > best_val:
            best_val, best_w, hist["best_epoch"] = row[3], {k: v.copy() for k, v in w.items()}, epoch
    return best_w, hist
