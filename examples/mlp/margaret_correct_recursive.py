"""Margaret -- mlp.

Functional and recursive: the network is a list of (W, b) pairs and the backward pass
is the forward pass's recursion unwinding, each call returning the gradient of its
input and the gradients of the layers below it. Nothing is ever updated in place;
the optimizer state is returned as a new dict every step.
"""
from functools import reduce

import numpy as np

GS = {
    "relu": (lambda a: a * (a > 0), lambda a: np.heaviside(a, 0.0)),
    "sigmoid": (lambda a: 0.5 * np.tanh(0.5 * a) + 0.5, lambda a: 0.25 / np.cosh(0.5 * a) ** 2),
    "tanh": (np.tanh, lambda a: np.cosh(a) ** -2.0),
}
DEFAULTS = {"sgd": {"learning_rate": 1e-2}, "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
            "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}}


def step(rule, w, dw, state):
    s = {**DEFAULTS[rule], **state}
    if rule == "sgd":
        return w - s["learning_rate"] * dw, s
    if rule == "sgd_momentum":
        v = s["momentum"] * s.get("velocity", 0 * w) - s["learning_rate"] * dw
        return w + v, {**s, "velocity": v}
    t = s.get("t", 0) + 1
    m = s.get("m", 0 * w) + (1 - s["beta1"]) * (dw - s.get("m", 0 * w))
    v = s.get("v", 0 * w) + (1 - s["beta2"]) * (dw ** 2 - s.get("v", 0 * w))
    update = (m / (1 - s["beta1"] ** t)) / (np.sqrt(v / (1 - s["beta2"] ** t)) + s["epsilon"])
    return w - s["learning_rate"] * update, {**s, "t": t, "m": m, "v": v}


def scheduled(spec, epoch, base_lr):
    if spec["name"] == "step_decay":
        return base_lr * spec.get("gamma", 0.1) ** sum(epoch >= m for m in spec["milestones"])
    if spec["name"] == "cosine_decay":
        frac = min(epoch, spec["total_steps"]) / spec["total_steps"]
        return base_lr * np.cos(np.pi * frac / 2) ** 2
    raise ValueError(spec["name"])


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    dims = (input_dim, *hidden_dims, num_classes)
    pairs = [(weight_scale * rng.standard_normal(shape), np.zeros(shape[1])) for shape in zip(dims, dims[1:])]
    return reduce(lambda acc, item: {**acc, f"W{item[0]}": item[1][0], f"b{item[0]}": item[1][1]},
                  enumerate(pairs, 1), {})


def _layers(params):
    return [(params[f"W{i}"], params[f"b{i}"]) for i in range(1, len(params) // 2 + 1)]


def _run(layers, h, g, dg, top):
    """(scores, backward) where backward(dscores) -> list of (dW, db) for these layers."""
    (W, b), rest = layers[0], layers[1:]
    a = h @ W + b
    if not rest:
        return a, lambda d: (d @ W.T, [(h.T @ d, d.sum(0))])
    scores, back_rest = _run(rest, g(a), g, dg, top)

    def back(d):
        d_out, below = back_rest(d)
        da = d_out * dg(a)
        return da @ W.T, [(h.T @ da, da.sum(0))] + below
    return scores, back


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in GS:
        raise ValueError(f"activation {activation!r} is not relu, sigmoid or tanh")
    layers = _layers(params)
    scores, back = _run(layers, X.reshape(len(X), -1), *GS[activation], True)
    if y is None:
        return scores
    lse = np.log(np.exp(scores - scores.max(1, keepdims=True)).sum(1)) + scores.max(1)
    picked = np.take_along_axis(scores, y[:, None], axis=1)[:, 0]
    loss = np.mean(lse - picked) + reg * sum(np.vdot(W, W) for W, _ in layers)
    d = np.exp(scores - lse[:, None]) - np.eye(scores.shape[1])[y]
    _, pieces = back(d / len(y))
    grads = {}
    for i, ((dW, db), (W, _)) in enumerate(zip(pieces, layers), 1):
        grads[f"W{i}"], grads[f"b{i}"] = dW + 2 * reg * W, db
    return loss, grads


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    if update_rule not in DEFAULTS:
        raise ValueError(update_rule)
    base = dict(optim_config or {})
    if lr_schedule and "learning_rate" not in base:
        raise ValueError("base learning rate missing")
    state = {k: dict(base) for k in params}
    p = {k: np.copy(v) for k, v in params.items()}
    rng = np.random.default_rng(seed)
    curves = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": [], "lr": []}
    best = (-1.0, None, None)
    for e in range(num_epochs):
        if lr_schedule:
            state = {k: {**s, "learning_rate": scheduled(lr_schedule, e, base["learning_rate"])} for k, s in state.items()}
        perm = rng.permutation(len(X))
        for lo in range(0, len(X), batch_size):
            sel = perm[lo:lo + batch_size]
            g = mlp_loss(p, X[sel], y[sel], reg, activation)[1]
            moved = {k: step(update_rule, p[k], g[k], state[k]) for k in p}
            p, state = {k: m[0] for k, m in moved.items()}, {k: m[1] for k, m in moved.items()}
        for tag, (A, t) in (("train", (X, y)), ("val", (X_val, y_val))):
            curves[tag + "_loss"].append(float(mlp_loss(p, A, t, reg, activation)[0]))
            curves[tag + "_acc"].append(float(np.mean(mlp_loss(p, A, None, 0.0, activation).argmax(1) == t)))
        curves["lr"].append(float(state["W1"].get("learning_rate", DEFAULTS[update_rule]["learning_rate"])))
        if curves["val_acc"][-1] > best[0]:
            best = (curves["val_acc"][-1], e, {k: v.copy() for k, v in p.items()})
    return best[2], {**curves, "best_epoch": best[1]}
