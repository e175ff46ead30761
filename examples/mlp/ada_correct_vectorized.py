"""Ada -- mlp.

Everything inlined and vectorized: the activations as a table of (forward, local
derivative from the output) pairs, the softmax loss through logaddexp.reduce, SGD with
momentum in L10's form (b) and Adam as small functions found by name in a dict.
"""
import math

import numpy as np

ACT = {
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(float)),
    "sigmoid": (lambda a: np.exp(-np.logaddexp(0.0, -a)), lambda a, h: h * (1.0 - h)),
    "tanh": (np.tanh, lambda a, h: 1.0 - h * h),
}


def _sgd(w, dw, cfg):
    cfg.setdefault("learning_rate", 1e-2)
    return w - cfg["learning_rate"] * dw, cfg


def _sgd_momentum(w, dw, cfg):
    cfg.setdefault("learning_rate", 1e-2)
    cfg.setdefault("momentum", 0.9)
    v = cfg["momentum"] * cfg.get("velocity", np.zeros_like(w)) - cfg["learning_rate"] * dw
    cfg["velocity"] = v
    return w + v, cfg


def _adam(w, dw, cfg):
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        cfg.setdefault(key, value)
    t = cfg.get("t", 0) + 1
    m = cfg["beta1"] * cfg.get("m", np.zeros_like(w)) + (1 - cfg["beta1"]) * dw
    v = cfg["beta2"] * cfg.get("v", np.zeros_like(w)) + (1 - cfg["beta2"]) * dw ** 2
    cfg.update(t=t, m=m, v=v)
    step = (m / (1 - cfg["beta1"] ** t)) / (np.sqrt(v / (1 - cfg["beta2"] ** t)) + cfg["epsilon"])
    return w - cfg["learning_rate"] * step, cfg


RULES = {"sgd": _sgd, "sgd_momentum": _sgd_momentum, "adam": _adam}
SCHEDULES = {
    "step_decay": lambda step, base_lr, milestones, gamma=0.1: base_lr * gamma ** np.searchsorted(milestones, step, side="right"),
    "cosine_decay": lambda step, base_lr, total_steps: 0.5 * base_lr * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)),
    "linear_decay": lambda step, base_lr, total_steps: base_lr * (1 - min(step, total_steps) / total_steps),
}


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    gen = np.random.default_rng(seed)
    shapes = list(zip([input_dim, *hidden_dims], [*hidden_dims, num_classes]))
    weights = [weight_scale * gen.standard_normal(s) for s in shapes]
    return {key: arr for l, (w, (_, n_out)) in enumerate(zip(weights, shapes), 1)
            for key, arr in ((f"W{l}", w), (f"b{l}", np.zeros(n_out)))}


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in ACT:
        raise ValueError(f"unknown activation {activation}")
    f, df = ACT[activation]
    L = len(params) // 2
    hs, As = [X.reshape(X.shape[0], -1)], []
    for l in range(1, L):
        As.append(hs[-1] @ params[f"W{l}"] + params[f"b{l}"])
        hs.append(f(As[-1]))
    scores = hs[-1] @ params[f"W{L}"] + params[f"b{L}"]
    if y is None:
        return scores
    n = scores.shape[0]
    logp = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -logp[np.arange(n), y].mean() + reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    d /= n
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = hs[l - 1].T @ d + 2.0 * reg * params[f"W{l}"]
        grads[f"b{l}"] = d.sum(axis=0)
        if l > 1:
            d = (d @ params[f"W{l}"].T) * df(As[l - 2], hs[l - 1])
    return float(loss), grads


def _evaluate(params, X, y, reg, activation):
    loss, _ = mlp_loss(params, X, y, reg, activation)
    return loss, float(np.mean(np.argmax(mlp_loss(params, X), axis=1) == y))


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    base = dict(optim_config or {})
    configs = {k: dict(base) for k in params}
    rule = RULES[update_rule]
    if lr_schedule and "learning_rate" not in base:
        raise ValueError("a schedule needs optim_config['learning_rate']")
    rng = np.random.default_rng(seed)
    history = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")}
    best, best_acc, best_epoch = None, -np.inf, 0
    for epoch in range(num_epochs):
        if lr_schedule:
            rest = {k: v for k, v in lr_schedule.items() if k != "name"}
            lr = float(SCHEDULES[lr_schedule["name"]](epoch, base["learning_rate"], **rest))
            for c in configs.values():
                c["learning_rate"] = lr
        batches = np.split(rng.permutation(len(X)), np.arange(batch_size, len(X), batch_size))
        for idx in batches:
            grads = mlp_loss(params, X[idx], y[idx], reg, activation)[1]
            updated = [rule(params[k], grads[k], configs[k]) for k in params]
            params = dict(zip(params, (u[0] for u in updated)))
            configs = dict(zip(configs, (u[1] for u in updated)))
        row = (*_evaluate(params, X, y, reg, activation), *_evaluate(params, X_val, y_val, reg, activation))
        va = row[3]
        for key, value in zip(history, (*row, configs["W1"]["learning_rate"])):
            history[key].append(float(value))
        if va > best_acc:
            best, best_acc, best_epoch = {k: v.copy() for k, v in params.items()}, va, epoch
    history["best_epoch"] = best_epoch
    return best, history
