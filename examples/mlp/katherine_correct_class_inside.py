"""Katherine -- mlp.

A small Network class does the work inside the module (a list of Layer objects with
forward/backward methods, like a tiny framework); the three graded functions only
wrap plain dicts into it and back. Optimizer state lives in per-parameter dicts, and
momentum uses CS188's v = gamma*v + eta*dw.
"""
import math

import numpy as np


class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x.reshape(len(x), -1)
        return self.x @ self.W + self.b

    def backward(self, g):
        self.dW = self.x.T @ g
        self.db = g.sum(0)
        return g @ self.W.T


class Activation:
    def __init__(self, kind):
        self.kind = kind

    def forward(self, a):
        if self.kind == "relu":
            self.mask = a > 0
            return a * self.mask
        if self.kind == "sigmoid":
            self.out = np.where(a >= 0, 1 / (1 + np.exp(-np.abs(a))), np.exp(-np.abs(a)) / (1 + np.exp(-np.abs(a))))
            return self.out
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        if self.kind == "relu":
            return g * self.mask
        if self.kind == "sigmoid":
            return g * self.out * (1 - self.out)
        return g * (1 - self.out * self.out)


class Network:
    def __init__(self, params, activation):
        if activation not in ("relu", "sigmoid", "tanh"):
            raise ValueError(activation)
        self.count = len(params) // 2
        self.layers = []
        for i in range(1, self.count + 1):
            self.layers.append(Dense(params["W%d" % i], params["b%d" % i]))
            if i < self.count:
                self.layers.append(Activation(activation))

    def scores(self, X):
        out = X
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def backward(self, g):
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return [layer for layer in self.layers if isinstance(layer, Dense)]


class Optimizer:
    def __init__(self, rule, config):
        self.rule, self.c = rule, dict(config)

    def step(self, w, dw):
        c = self.c
        c.setdefault("learning_rate", 1e-3 if self.rule == "adam" else 1e-2)
        if self.rule == "sgd":
            return w - c["learning_rate"] * dw
        if self.rule == "sgd_momentum":
            c.setdefault("momentum", 0.9)
            c["velocity"] = c["momentum"] * c.get("velocity", np.zeros(w.shape)) + c["learning_rate"] * dw
            return w - c["velocity"]
        if self.rule == "adam":
            c.setdefault("beta1", 0.9), c.setdefault("beta2", 0.999), c.setdefault("epsilon", 1e-8)
            c["t"] = c.get("t", 0) + 1
            c["m"] = c["beta1"] * c.get("m", np.zeros(w.shape)) + (1 - c["beta1"]) * dw
            c["v"] = c["beta2"] * c.get("v", np.zeros(w.shape)) + (1 - c["beta2"]) * np.square(dw)
            m_hat, v_hat = c["m"] / (1 - c["beta1"] ** c["t"]), c["v"] / (1 - c["beta2"] ** c["t"])
            return w - c["learning_rate"] * m_hat / (np.sqrt(v_hat) + c["epsilon"])
        raise ValueError("unknown update rule " + self.rule)


def schedule_lr(spec, epoch, base_lr):
    name = spec["name"]
    if name == "step_decay":
        return base_lr * spec.get("gamma", 0.1) ** len([m for m in spec["milestones"] if epoch >= m])
    if name == "cosine_decay":
        T = spec["total_steps"]
        return base_lr * (1 + math.cos(math.pi * min(epoch, T) / T)) / 2
    raise ValueError("unknown schedule " + name)


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    widths = [input_dim, *hidden_dims, num_classes]
    out = {}
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
        out["W%d" % i] = weight_scale * rng.standard_normal((fan_in, fan_out))
        out["b%d" % i] = np.zeros(fan_out)
    return out


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    net = Network(params, activation)
    s = net.scores(X)
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    data_loss = -np.log(p[rows, y]).mean()
    g = p
    g[rows, y] -= 1
    dense = net.backward(g / len(y))
    grads, penalty = {}, 0.0
    for i, layer in enumerate(dense, start=1):
        penalty += reg * (layer.W ** 2).sum()
        grads["W%d" % i] = layer.dW + 2 * reg * layer.W
        grads["b%d" % i] = layer.db
    return data_loss + penalty, grads


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    config = {} if optim_config is None else optim_config
    if lr_schedule is not None and "learning_rate" not in config:
        raise ValueError("lr_schedule needs a learning_rate")
    p = {name: value.copy() for name, value in params.items()}
    opts = {name: Optimizer(update_rule, config) for name in p}
    rng = np.random.default_rng(seed)
    hist = dict(train_loss=[], train_acc=[], val_loss=[], val_acc=[], lr=[], best_epoch=0)
    best = None
    for epoch in range(num_epochs):
        if lr_schedule is not None:
            for opt in opts.values():
                opt.c["learning_rate"] = schedule_lr(lr_schedule, epoch, config["learning_rate"])
        order = rng.permutation(len(X))
        for chunk in np.array_split(order, range(batch_size, len(X), batch_size)):
            _, grads = mlp_loss(p, X[chunk], y[chunk], reg, activation)
            p = {name: opts[name].step(p[name], grads[name]) for name in p}
        for prefix, (data, labels) in (("train", (X, y)), ("val", (X_val, y_val))):
            hist[prefix + "_loss"].append(float(mlp_loss(p, data, labels, reg, activation)[0]))
            hist[prefix + "_acc"].append(float((mlp_loss(p, data, activation=activation).argmax(1) == labels).mean()))
        hist["lr"].append(float(opts["W1"].c["learning_rate"]))
        if best is None or hist["val_acc"][-1] > max(hist["val_acc"][:-1]):
            best, hist["best_epoch"] = {name: value.copy() for name, value in p.items()}, epoch
    return best, hist
