"""batch_size is ignored: each epoch takes one full-batch step on the shuffled training set. Every
full-batch test is right; on the digits, one step per epoch leaves the network far below 90 %.

loses: update_rules: after 3 epochs of sgd_momentum the network classifies
loses: digits_accuracy: digits correctly; 90 % is expected
"""

import numpy as np

from correct_mlp import *  # noqa: F401,F403
from correct_mlp import HISTORY_KEYS, _evaluate, _optim  # noqa: F401


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    """Mini-batch gradient descent with shuffling, per-epoch history and best-parameter tracking.

    With rng = np.random.default_rng(seed) and N = len(X), for epoch e = 0, ..., num_epochs - 1:

    1. If lr_schedule is given, every parameter's config gets
       ``learning_rate = optim.<name>(e, base_lr, **rest)``, where lr_schedule is
       ``{"name": name, **rest}`` and base_lr = optim_config["learning_rate"].
    2. order = rng.permutation(N); the mini-batches are order[0:B], order[B:2B], ...
       (B = batch_size; the last one may be smaller).
    3. For each mini-batch: the gradients of mlp_loss on that batch (with reg and
       activation); then every parameter takes one step of optim.<update_rule> with its
       gradient and its own config, and keeps the (next_w, config) the rule returns.
       Each parameter has its own config: a copy of optim_config ({} if None).
    4. At the end of the epoch, on the whole training and validation sets with the
       current parameters: train_loss, train_acc, val_loss, val_acc (losses include the
       L2 penalty; accuracy = fraction of rows whose largest score is the label), and
       lr = the learning rate in W1's config.
    5. If val_acc is strictly larger than every earlier epoch's, a copy of the
       parameters becomes the best so far (ties keep the earlier epoch).

    Parameters
    ----------
    params : dict of the initial parameters (as init_params returns). Not modified.
    X, y : training data, (N, D) floats and (N,) int labels. Not modified.
    X_val, y_val : validation data. Not modified.
    activation, reg : as for mlp_loss
    update_rule : str, the name of an update rule of optim ("sgd", "sgd_momentum", "adam", ...)
    optim_config : dict of hyperparameters for the update rule, or None
    lr_schedule : None, or a dict {"name": <schedule of optim>, **its parameters},
        e.g. {"name": "step_decay", "milestones": [5, 8], "gamma": 0.1}; then
        optim_config must give "learning_rate" (the base_lr)
    num_epochs, batch_size : int >= 1
    seed : int, seeds the shuffling (and nothing else)

    Returns
    -------
    best_params : dict, a copy of the parameters after the epoch with the best val_acc
    history : dict with lists of num_epochs floats, one per epoch, under "train_loss",
        "train_acc", "val_loss", "val_acc" and "lr", and "best_epoch": the 0-based
        index of the epoch whose parameters are returned
    """
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
        _, grads = mlp_loss(params, X[order], y[order], reg=reg, activation=activation)
        for name in params:
            params[name], configs[name] = rule(params[name], grads[name], configs[name])

        train_loss, train_acc = _evaluate(params, X, y, reg, activation)
        val_loss, val_acc = _evaluate(params, X_val, y_val, reg, activation)
        for key, value in zip(HISTORY_KEYS, (train_loss, train_acc, val_loss, val_acc,
                                             configs["W1"]["learning_rate"])):
            history[key].append(float(value))
        if val_acc > best_acc:
            best_acc, best_epoch = val_acc, epoch
            best_params = {name: value.copy() for name, value in params.items()}

    history["best_epoch"] = best_epoch
    return best_params, history
