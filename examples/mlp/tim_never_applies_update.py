"""Tim -- mlp.

Network as two parallel lists of weights and biases. His update loop calls the rule
and keeps the returned config, but the new weights go into a local variable that is
never written back: training never changes the parameters.
"""
import math

import numpy as np


def unpack(params):
    n = len(params) // 2
    return [params["W" + str(i + 1)] for i in range(n)], [params["b" + str(i + 1)] for i in range(n)]


def pack(Ws, bs):
    out = {}
    for i, (W, b) in enumerate(zip(Ws, bs)):
        out["W" + str(i + 1)], out["b" + str(i + 1)] = W, b
    return out


def sgd(w, dw, c):
    c.setdefault("learning_rate", 0.01)
    return w - c["learning_rate"] * dw, c


def sgd_momentum(w, dw, c):
    c.setdefault("learning_rate", 0.01)
    c.setdefault("momentum", 0.9)
    c["velocity"] = c["momentum"] * c.get("velocity", np.zeros_like(w)) - c["learning_rate"] * dw
    return w + c["velocity"], c


def adam(w, dw, c):
    c.setdefault("learning_rate", 0.001)
    b1, b2, eps = c.setdefault("beta1", 0.9), c.setdefault("beta2", 0.999), c.setdefault("epsilon", 1e-8)
    c["t"] = c.get("t", 0) + 1
    c["m"] = b1 * c.get("m", np.zeros_like(w)) + (1 - b1) * dw
    c["v"] = b2 * c.get("v", np.zeros_like(w)) + (1 - b2) * dw ** 2
    return w - c["learning_rate"] * (c["m"] / (1 - b1 ** c["t"])) / (np.sqrt(c["v"] / (1 - b2 ** c["t"])) + eps), c


LR_SCHEDULES = {
    "step_decay": lambda e, lr, milestones, gamma=0.1: lr * gamma ** len([m for m in milestones if m <= e]),
    "cosine_decay": lambda e, lr, total_steps: lr * (1 + math.cos(math.pi * min(e, total_steps) / total_steps)) / 2,
}


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    gen = np.random.default_rng(seed)
    sizes = [input_dim] + list(hidden_dims) + [num_classes]
    Ws = [weight_scale * gen.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    return pack(Ws, [np.zeros(s) for s in sizes[1:]])


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    Ws, bs = unpack(params)
    if activation == "relu":
        g, dg = (lambda z: np.maximum(z, 0)), (lambda z, h: (z > 0) * 1.0)
    elif activation == "sigmoid":
        g, dg = (lambda z: 1 / (1 + np.exp(-z))), (lambda z, h: h * (1 - h))
    elif activation == "tanh":
        g, dg = np.tanh, (lambda z, h: 1 - h ** 2)
    else:
        raise ValueError(activation)
    inputs, pre = [X.reshape(X.shape[0], -1)], []
    for W, b in zip(Ws[:-1], bs[:-1]):
        pre.append(inputs[-1] @ W + b)
        inputs.append(g(pre[-1]))
    out = inputs[-1] @ Ws[-1] + bs[-1]
    if y is None:
        return out
    N = len(y)
    out = out - out.max(axis=1, keepdims=True)
    sm = np.exp(out) / np.sum(np.exp(out), axis=1, keepdims=True)
    loss = -np.log(sm[range(N), y]).sum() / N + reg * sum((W ** 2).sum() for W in Ws)
    delta = sm.copy()
    delta[range(N), y] -= 1
    delta = delta / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for i in reversed(range(len(Ws))):
        dWs[i] = inputs[i].T @ delta + 2 * reg * Ws[i]
        dbs[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ Ws[i].T) * dg(pre[i - 1], inputs[i])
    return loss, pack(dWs, dbs)


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    model = {k: params[k].copy() for k in params}
    opt = {k: dict(optim_config or {}) for k in model}
    rule = {"sgd": sgd, "sgd_momentum": sgd_momentum, "adam": adam}[update_rule]
    rng = np.random.default_rng(seed)
    hist = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    best_acc, best_model, best_epoch = -1, None, 0
    for ep in range(num_epochs):
        if lr_schedule:
            if "learning_rate" not in (optim_config or {}):
                raise ValueError("need learning_rate")
            extra = dict(lr_schedule)
            fn = LR_SCHEDULES[extra.pop("name")]
            for k in opt:
                opt[k]["learning_rate"] = fn(ep, optim_config["learning_rate"], **extra)
        idx = rng.permutation(X.shape[0])
        for s in range(0, X.shape[0], batch_size):
            b = idx[s:s + batch_size]
            _, grads = mlp_loss(model, X[b], y[b], reg, activation)
            for k in model:
                new_w, opt[k] = rule(model[k], grads[k], opt[k])
        for name, A, t in (("train", X, y), ("val", X_val, y_val)):
            hist[name + "_loss"].append(float(mlp_loss(model, A, t, reg, activation)[0]))
            hist[name + "_acc"].append(float((np.argmax(mlp_loss(model, A, activation=activation), 1) == t).mean()))
        hist["lr"].append(float(opt["W1"]["learning_rate"]))
        if hist["val_acc"][-1] > best_acc:
            best_acc, best_epoch = hist["val_acc"][-1], ep
            best_model = {k: v.copy() for k, v in model.items()}
    hist["best_epoch"] = best_epoch
    return best_model, hist
