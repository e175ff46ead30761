"""Correct: train keeps the parameters of the *latest* epoch among those tied for the best
validation accuracy (`>=`), which the handout accepts as "as sound a choice" as the earliest
(the hidden tests judge best_params only on runs whose best epoch is unique). The rest of train
is the reference's, copied: this variant differs in exactly that convention, so grade audit
counts the `>` -> `>=` mutant of train as equivalent."""

import numpy as np

from correct_mlp import *  # noqa: F401,F403
from correct_mlp import _evaluate, HISTORY_KEYS, _optim  # noqa: F401


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    """The reference's train (its docstring states the contract), but for the change above."""
    rule = getattr(_optim, update_rule)
    base = dict(optim_config or {})
    schedule, schedule_params = None, {}
    if lr_schedule is not None:
        schedule_params = dict(lr_schedule)
        schedule = getattr(_optim, schedule_params.pop("name"))
        if "learning_rate" not in base:
            raise ValueError("a learning-rate schedule needs optim_config['learning_rate'] (its base_lr)")
    params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    configs = {name: dict(base) for name in params}
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    history = {key: [] for key in HISTORY_KEYS}
    best_params, best_acc, best_epoch = None, -1.0, -1

    for epoch in range(num_epochs):
        if schedule is not None:
            lr = schedule(epoch, base["learning_rate"], **schedule_params)
            for config in configs.values():
                config["learning_rate"] = lr
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            _, grads = mlp_loss(params, X[batch], y[batch], reg=reg, activation=activation)
            for name in params:
                params[name], configs[name] = rule(params[name], grads[name], configs[name])

        train_loss, train_acc = _evaluate(params, X, y, reg, activation)
        val_loss, val_acc = _evaluate(params, X_val, y_val, reg, activation)
        for key, value in zip(HISTORY_KEYS, (train_loss, train_acc, val_loss, val_acc,
                                             configs["W1"]["learning_rate"])):
            history[key].append(float(value))
        if val_acc >= best_acc:  # the latest of tied epochs
            best_acc, best_epoch = val_acc, epoch
            best_params = {name: value.copy() for name, value in params.items()}

    history["best_epoch"] = best_epoch
    return best_params, history
