"""Dennis -- mlp.

A small Trainer class inside the module. When validation accuracy improves he keeps
`self.best = self.params`: the same dict, which every later update writes into, so
the "best" parameters are always the last epoch's. The history's best_epoch is right.
"""
import math

import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [input_dim, *hidden_dims, num_classes]
    p = {}
    for n, (rows, cols) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        p["W" + str(n)] = weight_scale * rng.standard_normal(size=(rows, cols))
        p["b" + str(n)] = np.zeros((cols,))
    return p


def _nonlinearity(name):
    if name == "relu":
        return lambda u: np.maximum(u, 0.0), lambda u, v: np.where(u > 0, 1.0, 0.0)
    if name == "sigmoid":
        return lambda u: 1.0 / (1.0 + np.exp(-u)), lambda u, v: v * (1.0 - v)
    if name == "tanh":
        return np.tanh, lambda u, v: 1.0 - v * v
    raise ValueError("activation must be relu, sigmoid or tanh, not %r" % (name,))


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    g, dg = _nonlinearity(activation)
    depth = len(params) // 2
    ins, pres = [], []
    out = X.reshape(X.shape[0], -1)
    for n in range(1, depth + 1):
        ins.append(out)
        out = out @ params["W" + str(n)] + params["b" + str(n)]
        if n < depth:
            pres.append(out)
            out = g(out)
    if y is None:
        return out
    N = len(y)
    m = out.max(axis=1, keepdims=True)
    log_norm = m + np.log(np.exp(out - m).sum(axis=1, keepdims=True))
    loss = float(np.mean(log_norm[:, 0] - out[np.arange(N), y]))
    loss += reg * float(sum(np.sum(params["W" + str(n)] ** 2) for n in range(1, depth + 1)))
    grad_out = np.exp(out - log_norm)
    grad_out[np.arange(N), y] -= 1.0
    grad_out /= N
    grads = {}
    for n in range(depth, 0, -1):
        grads["W" + str(n)] = ins[n - 1].T @ grad_out + 2.0 * reg * params["W" + str(n)]
        grads["b" + str(n)] = grad_out.sum(axis=0)
        if n > 1:
            grad_out = (grad_out @ params["W" + str(n)].T) * dg(pres[n - 2], ins[n - 1])
    return loss, grads


class Trainer:
    def __init__(self, params, rule, config):
        self.params = {k: v.copy() for k, v in params.items()}
        self.rule = rule
        self.state = {k: dict(config) for k in self.params}
        self.best = None

    def set_lr(self, lr):
        for s in self.state.values():
            s["learning_rate"] = lr

    def step(self, grads):
        for k in self.params:
            s = self.state[k]
            w, dw = self.params[k], grads[k]
            if self.rule == "sgd":
                self.params[k] = w - s.setdefault("learning_rate", 1e-2) * dw
            elif self.rule == "sgd_momentum":
                s.setdefault("learning_rate", 1e-2)
                s["velocity"] = s.setdefault("momentum", 0.9) * s.get("velocity", np.zeros_like(w)) - s["learning_rate"] * dw
                self.params[k] = w + s["velocity"]
            else:
                lr, b1 = s.setdefault("learning_rate", 1e-3), s.setdefault("beta1", 0.9)
                b2, eps = s.setdefault("beta2", 0.999), s.setdefault("epsilon", 1e-8)
                s["t"] = s.get("t", 0) + 1
                s["m"] = b1 * s.get("m", np.zeros_like(w)) + (1 - b1) * dw
                s["v"] = b2 * s.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
                self.params[k] = w - lr * (s["m"] / (1 - b1 ** s["t"])) / (np.sqrt(s["v"] / (1 - b2 ** s["t"])) + eps)


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    base = dict(optim_config or {})
    if lr_schedule and "learning_rate" not in base:
        raise ValueError("lr_schedule requires optim_config['learning_rate']")
    tr = Trainer(params, update_rule, base)
    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": [], "best_epoch": 0}
    for epoch in range(num_epochs):
        if lr_schedule:
            if lr_schedule["name"] == "step_decay":
                hits = sum(1 for ms in lr_schedule["milestones"] if epoch >= ms)
                tr.set_lr(base["learning_rate"] * lr_schedule.get("gamma", 0.1) ** hits)
            else:
                T = lr_schedule["total_steps"]
                tr.set_lr(base["learning_rate"] * 0.5 * (1.0 + math.cos(math.pi * min(epoch, T) / T)))
        order = rng.permutation(len(X))
        for lo in range(0, len(X), batch_size):
            pick = order[lo:lo + batch_size]
            tr.step(mlp_loss(tr.params, X[pick], y[pick], reg, activation)[1])
        for tag, A, t in (("train", X, y), ("val", X_val, y_val)):
            history[tag + "_loss"].append(mlp_loss(tr.params, A, t, reg, activation)[0])
            history[tag + "_acc"].append(float(np.mean(np.argmax(mlp_loss(tr.params, A, activation=activation), 1) == t)))
        history["lr"].append(float(tr.state["W1"]["learning_rate"]))
        if tr.best is None or history["val_acc"][-1] > max(history["val_acc"][:-1]):
            tr.best = tr.params
            history["best_epoch"] = epoch
    return tr.best, history
