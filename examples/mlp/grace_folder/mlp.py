"""Grace -- mlp, as the handout asks: this file imports her own layers.py and optim.py
(submitted beside it) and uses them by name at call time."""
import numpy as np

import layers
import optim

ACTIVATIONS = ("relu", "sigmoid", "tanh")


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    draw = np.random.default_rng(seed).standard_normal
    widths = [input_dim] + list(hidden_dims) + [num_classes]
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(widths, widths[1:]), start=1):
        params.update({f"W{l}": weight_scale * draw((fan_in, fan_out)), f"b{l}": np.zeros(fan_out)})
    return params


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}")
    act_f = getattr(layers, f"{activation}_forward")
    act_b = getattr(layers, f"{activation}_backward")
    L = len(params) // 2
    h, stack = X, []
    for l in range(1, L + 1):
        h, aff = layers.affine_forward(h, params[f"W{l}"], params[f"b{l}"])
        act = None
        if l != L:
            h, act = act_f(h)
        stack.append((aff, act))
    if y is None:
        return h
    N = len(y)
    z = h - np.max(h, axis=1, keepdims=True)
    log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    weights = [params[f"W{l}"] for l in range(1, L + 1)]
    loss = -np.sum(log_probs[np.arange(N), y]) / N + reg * sum(np.sum(W * W) for W in weights)
    upstream = np.exp(log_probs)
    upstream[np.arange(N), y] -= 1.0
    upstream /= N
    grads = {}
    for l in range(L, 0, -1):
        aff, act = stack.pop()
        if act is not None:
            upstream = act_b(upstream, act)
        upstream, dW, db = layers.affine_backward(upstream, aff)
        grads[f"W{l}"], grads[f"b{l}"] = dW + 2.0 * reg * weights[l - 1], db
    return loss, grads


def _measure(params, X, y, reg, activation):
    loss = mlp_loss(params, X, y, reg, activation)[0]
    acc = np.mean(np.argmax(mlp_loss(params, X, activation=activation), axis=1) == y)
    return float(loss), float(acc)


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    params = {name: value.copy() for name, value in params.items()}
    base = {} if optim_config is None else dict(optim_config)
    configs = {name: dict(base) for name in params}
    rule = getattr(optim, update_rule)
    schedule, schedule_args = None, {}
    if lr_schedule:
        if "learning_rate" not in base:
            raise ValueError("optim_config must give learning_rate when lr_schedule is used")
        schedule_args = {k: v for k, v in lr_schedule.items() if k != "name"}
        schedule = getattr(optim, lr_schedule["name"])
    rng = np.random.default_rng(seed)
    history = {key: [] for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr")}
    best_params, best_acc, history["best_epoch"] = None, None, 0
    for epoch in range(num_epochs):
        if schedule is not None:
            for config in configs.values():
                config["learning_rate"] = schedule(epoch, base["learning_rate"], **schedule_args)
        perm = rng.permutation(X.shape[0])
        for first in range(0, X.shape[0], batch_size):
            batch = perm[first:first + batch_size]
            _, grads = mlp_loss(params, X[batch], y[batch], reg, activation)
            for name in params:
                params[name], configs[name] = rule(params[name], grads[name], configs[name])
        train_loss, train_acc = _measure(params, X, y, reg, activation)
        val_loss, val_acc = _measure(params, X_val, y_val, reg, activation)
        for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc", "lr"),
                              (train_loss, train_acc, val_loss, val_acc, configs["W1"]["learning_rate"])):
            history[key].append(float(value))
        if best_acc is None or val_acc > best_acc:
            best_acc, history["best_epoch"] = val_acc, epoch
            best_params = {name: value.copy() for name, value in params.items()}
    return best_params, history
