"""Barbara -- mlp.

Caches the pre-activation for every activation, and her sigmoid backward applies
s * (1 - s) to that pre-activation a instead of to s = sigmoid(a): sigmoid networks
get wrong gradients (and so a wrong training step); ReLU and tanh are right.
"""
import math

import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    d = [input_dim] + list(hidden_dims) + [num_classes]
    params = {}
    for idx, pair in enumerate(zip(d, d[1:])):
        params["W" + str(idx + 1)] = rng.standard_normal(pair) * weight_scale
        params["b" + str(idx + 1)] = np.zeros(pair[1], dtype=np.float64)
    return params


def act_forward(kind, a):
    if kind == "relu":
        return np.maximum(0, a)
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-a))
    if kind == "tanh":
        return np.tanh(a)
    raise ValueError("activation " + str(kind))


def act_backward(kind, dout, a):
    if kind == "relu":
        return dout * (a > 0)
    if kind == "sigmoid":
        return dout * a * (1 - a)
    return dout * (1 - np.tanh(a) ** 2)


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    act_forward(activation, np.zeros(1))
    nl = len(params) // 2
    caches = []
    cur = X.reshape(X.shape[0], -1)
    for i in range(nl):
        W, b = params["W" + str(i + 1)], params["b" + str(i + 1)]
        a = np.dot(cur, W) + b
        caches.append((cur, a))
        cur = act_forward(activation, a) if i < nl - 1 else a
    if y is None:
        return cur
    N = X.shape[0]
    exps = np.exp(cur - np.amax(cur, axis=1, keepdims=True))
    P = exps / np.sum(exps, axis=1, keepdims=True)
    loss = np.sum(-np.log(P[np.arange(N), y])) / N
    loss += reg * np.sum([np.sum(params["W" + str(i + 1)] ** 2) for i in range(nl)])
    dout = P
    dout[np.arange(N), y] -= 1
    dout = dout / N
    grads = {}
    for i in reversed(range(nl)):
        inp, a = caches[i]
        if i < nl - 1:
            dout = act_backward(activation, dout, a)
        W = params["W" + str(i + 1)]
        grads["W" + str(i + 1)] = np.dot(inp.T, dout) + 2 * reg * W
        grads["b" + str(i + 1)] = np.sum(dout, axis=0)
        dout = np.dot(dout, W.T)
    return loss, grads


def optimizer_step(rule, w, dw, config):
    if rule == "sgd":
        config.setdefault("learning_rate", 1e-2)
        return w - config["learning_rate"] * dw, config
    if rule == "sgd_momentum":
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        v = config["momentum"] * config.get("velocity", np.zeros(w.shape)) + dw
        config["velocity"] = v
        return w - config["learning_rate"] * v, config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros(w.shape)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros(w.shape)) + (1 - config["beta2"]) * (dw ** 2)
    config["t"], config["m"], config["v"] = t, m, v
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    model = {}
    for key, value in params.items():
        model[key] = value.copy()
    cfg0 = optim_config or {}
    configs = {key: dict(cfg0) for key in model}
    rng = np.random.default_rng(seed)
    hist = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": [], "best_epoch": 0}
    best_model = None
    for epoch in range(num_epochs):
        if lr_schedule:
            if "learning_rate" not in cfg0:
                raise ValueError("set optim_config['learning_rate'] to use lr_schedule")
            base = cfg0["learning_rate"]
            if lr_schedule["name"] == "step_decay":
                count = len([ms for ms in lr_schedule["milestones"] if epoch >= ms])
                new = base * lr_schedule.get("gamma", 0.1) ** count
            else:
                new = base * 0.5 * (1 + math.cos(math.pi * min(epoch, lr_schedule["total_steps"]) / lr_schedule["total_steps"]))
            for key in configs:
                configs[key]["learning_rate"] = new
        perm = rng.permutation(X.shape[0])
        for begin in range(0, X.shape[0], batch_size):
            rows = perm[begin:begin + batch_size]
            _, grads = mlp_loss(model, X[rows], y[rows], reg, activation)
            for key in model:
                model[key], configs[key] = optimizer_step(update_rule, model[key], grads[key], configs[key])
        tr_loss = mlp_loss(model, X, y, reg, activation)[0]
        va_loss = mlp_loss(model, X_val, y_val, reg, activation)[0]
        tr_acc = np.mean(np.argmax(mlp_loss(model, X, None, reg, activation), axis=1) == y)
        va_acc = np.mean(np.argmax(mlp_loss(model, X_val, None, reg, activation), axis=1) == y_val)
        for key, val in (("train_loss", tr_loss), ("train_acc", tr_acc), ("val_loss", va_loss), ("val_acc", va_acc)):
            hist[key].append(float(val))
        hist["lr"].append(float(configs["W1"]["learning_rate"]))
        if best_model is None or va_acc > max(hist["val_acc"][:-1]):
            hist["best_epoch"] = epoch
            best_model = {key: value.copy() for key, value in model.items()}
    return best_model, hist
