"""John -- mlp.

Dict comprehensions throughout. He writes the penalty as reg * sum(W**2) in the loss,
as asked, but its gradient as reg * W (the derivative of the 1/2 convention he
learned elsewhere): every l2 gradient is off; everything at reg = 0 is right.
"""
import math

import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    dims = [input_dim, *hidden_dims, num_classes]
    weights = {f"W{i}": weight_scale * rng.standard_normal((dims[i - 1], dims[i])) for i in range(1, len(dims))}
    biases = {f"b{i}": np.zeros(dims[i]) for i in range(1, len(dims))}
    return {k: d[k] for i in range(1, len(dims)) for d, k in ((weights, f"W{i}"), (biases, f"b{i}"))}


NONLIN = {
    "relu": lambda a: (np.maximum(a, 0), (a > 0).astype(float)),
    "sigmoid": lambda a: (lambda s: (s, s * (1 - s)))(1 / (1 + np.exp(-a))),
    "tanh": lambda a: (lambda t: (t, 1 - t * t))(np.tanh(a)),
}


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    try:
        nonlin = NONLIN[activation]
    except KeyError:
        raise ValueError(f"no activation called {activation}") from None
    L = len(params) // 2
    h = {0: X.reshape(X.shape[0], -1)}
    local = {}
    for l in range(1, L):
        h[l], local[l] = nonlin(h[l - 1] @ params[f"W{l}"] + params[f"b{l}"])
    scores = h[L - 1] @ params[f"W{L}"] + params[f"b{L}"]
    if y is None:
        return scores
    n = len(y)
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y])) + reg * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))
    delta = (probs - np.eye(probs.shape[1])[y]) / n
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = h[l - 1].T @ delta + reg * params[f"W{l}"]
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * local[l - 1]
    return loss, grads


def rule_step(name, w, dw, conf):
    defaults = {"sgd": {"learning_rate": 1e-2}, "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
                "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}}[name]
    conf = {**defaults, **conf}
    if name == "sgd":
        return w - conf["learning_rate"] * dw, conf
    if name == "sgd_momentum":
        conf["velocity"] = conf["momentum"] * conf.get("velocity", np.zeros_like(w)) + dw
        return w - conf["learning_rate"] * conf["velocity"], conf
    conf["t"] = conf.get("t", 0) + 1
    conf["m"] = conf["beta1"] * conf.get("m", 0 * w) + (1 - conf["beta1"]) * dw
    conf["v"] = conf["beta2"] * conf.get("v", 0 * w) + (1 - conf["beta2"]) * dw ** 2
    corr = math.sqrt(1 - conf["beta2"] ** conf["t"]) / (1 - conf["beta1"] ** conf["t"])
    return w - conf["learning_rate"] * corr * conf["m"] / (np.sqrt(conf["v"]) + conf["epsilon"] * math.sqrt(1 - conf["beta2"] ** conf["t"])), conf


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    p = {k: v.copy() for k, v in params.items()}
    confs = {k: dict(optim_config or {}) for k in p}
    if lr_schedule and "learning_rate" not in (optim_config or {}):
        raise ValueError("lr_schedule needs optim_config['learning_rate']")
    rng = np.random.default_rng(seed)
    hist = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")}
    best_p, best_acc, best_e = None, -1.0, 0
    for e in range(num_epochs):
        if lr_schedule:
            lr0, spec = optim_config["learning_rate"], lr_schedule
            lr = (lr0 * spec.get("gamma", 0.1) ** sum(e >= m for m in spec["milestones"]) if spec["name"] == "step_decay"
                  else lr0 / 2 * (1 + math.cos(math.pi * min(e, spec["total_steps"]) / spec["total_steps"])))
            confs = {k: {**c, "learning_rate": lr} for k, c in confs.items()}
        perm = rng.permutation(len(X))
        for batch in (perm[i:i + batch_size] for i in range(0, len(X), batch_size)):
            grads = mlp_loss(p, X[batch], y[batch], reg, activation)[1]
            stepped = {k: rule_step(update_rule, p[k], grads[k], confs[k]) for k in p}
            p, confs = {k: s[0] for k, s in stepped.items()}, {k: s[1] for k, s in stepped.items()}
        stats = {f"{tag}_{what}": val for tag, A, t in (("train", X, y), ("val", X_val, y_val))
                 for what, val in (("loss", float(mlp_loss(p, A, t, reg, activation)[0])),
                                   ("acc", float(np.mean(mlp_loss(p, A, activation=activation).argmax(1) == t))))}
        stats["lr"] = float(confs["W1"]["learning_rate"])
        for k in hist:
            hist[k].append(stats[k])
        if stats["val_acc"] > best_acc:
            best_p, best_acc, best_e = {k: v.copy() for k, v in p.items()}, stats["val_acc"], e
    return best_p, {**hist, "best_epoch": best_e}
