"""The ``mlp`` assignment: a fully connected network and its trainer.

The network is built from the ``layers`` assignment (affine layers and an
activation) with the softmax loss of the ``losses`` assignment plus an L2
penalty, and trained with the update rules and learning-rate schedules of the
``optim`` assignment. README.md, the handout, gives the exact algorithm, the
formulas and the rules. Everything a test passes in or gets back is plain data
(dicts of numpy arrays, lists, numbers), because only plain data crosses the
sandbox boundary between the grader and this code:

    params = init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0)
    scores = mlp_loss(params, X)                         # y is None: scores only
    loss, grads = mlp_loss(params, X, y, reg=0.0, activation="relu")
    best_params, history = train(params, X, y, X_val, y_val, ...)

A student's ``mlp.py`` builds on their own ``layers.py`` (affine and activation
layers) and ``optim.py`` (update rules and learning-rate schedules): copied into
the same folder and submitted together, used as modules (``layers.affine_forward``,
``getattr(optim, update_rule)``) rather than copied into ``mlp.py``.
"""

# BEGIN SOLUTION
# The reference solution: trusted, never shown to students or to grading workers.
# It is loaded by path in the trusted grader (never via sys.path), so it loads its
# two dependencies by path too, under private module names: from its own folder
# when they are there (a staged submission folder, where a test put reference
# copies), else from the course's solutions/layers/layers.py and
# solutions/optim/optim.py. A student's mlp.py imports its own layers and optim.
import importlib.util
from pathlib import Path
# END SOLUTION

import numpy as np

# BEGIN PROMPT
# STARTER: import layers  # noqa: F401  (your layers.py, beside this file)
# STARTER: import optim  # noqa: F401  (your optim.py, beside this file)
# END PROMPT
# BEGIN SOLUTION


def _load_dependency(name):
    """The reference module ``name`` (layers or optim), loaded by path under a private name."""
    here = Path(__file__).resolve().parent
    for path in (here / f"{name}.py", here.parent / name / f"{name}.py"):
        if path.is_file():
            spec = importlib.util.spec_from_file_location(f"_nngrade_mlp_reference_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError(f"the mlp reference needs {name}.py beside it or in ../{name}/")


_layers = _load_dependency("layers")
_optim = _load_dependency("optim")
# END SOLUTION

ACTIVATIONS = ("relu", "sigmoid", "tanh")
HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")


# BEGIN SOLUTION
def _activation(name):
    """(forward, backward) of the layers module for an activation name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return getattr(_layers, f"{name}_forward"), getattr(_layers, f"{name}_backward")


def _num_layers(params):
    """L, the number of affine layers: params holds exactly W1, b1, ..., WL, bL."""
    count = len(params) // 2
    expected = {f"{kind}{i}" for i in range(1, count + 1) for kind in "Wb"}
    if count < 1 or set(params) != expected:
        raise ValueError(f"params must hold W1, b1, ..., WL, bL; got {sorted(params)}")
    return count


def _softmax_loss(scores, y):
    """Mean softmax (cross-entropy) loss over the N rows and its gradient (losses assignment)."""
    n = scores.shape[0]
    rows = np.arange(n)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return -log_probs[rows, y].sum() / n, dscores / n
# END SOLUTION


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    """Parameters of a fully connected network, drawn from a seeded generator.

    With dims = [input_dim, *hidden_dims, num_classes] and L = len(dims) - 1 layers,
    and rng = np.random.default_rng(seed), in the order l = 1, ..., L:

        W{l} = weight_scale * rng.standard_normal((dims[l-1], dims[l]))
        b{l} = np.zeros(dims[l])

    Only the weights draw random numbers (one standard_normal call each, W1 first);
    the global np.random state is neither used nor changed.

    Parameters
    ----------
    hidden_dims : list of int, the width of each hidden layer (may be empty)
    input_dim : int, D
    num_classes : int, C
    weight_scale : float, the standard deviation of the weights
    seed : int

    Returns
    -------
    params : dict {"W1": (D, H1), "b1": (H1,), ..., "WL": (H_{L-1}, C), "bL": (C,)}, float64
    """
    # BEGIN PROMPT
    # TODO: rng = np.random.default_rng(seed); dims = [input_dim, *hidden_dims, num_classes];
    #       for l = 1..L: W{l} = weight_scale * rng.standard_normal((dims[l-1], dims[l])), b{l} = zeros.
    # END PROMPT
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    dims = [int(input_dim), *(int(h) for h in hidden_dims), int(num_classes)]
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = weight_scale * rng.standard_normal((dims[layer - 1], dims[layer]))
        params[f"b{layer}"] = np.zeros(dims[layer])
    return params
    # END SOLUTION


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    """Scores, or loss and gradients, of the network {affine - activation} x (L-1) - affine.

    Forward, with h_0 = X (each row flattened) and L layers:

        a_l = h_{l-1} W_l + b_l,   h_l = g(a_l)    for l = 1, ..., L-1
        scores = h_{L-1} W_L + b_L                 (no activation after the last layer)

    With labels y, the loss is the mean softmax loss plus an L2 penalty on the
    weights only (not the biases), without a factor 1/2, as in the losses assignment:

        loss = (1/N) sum_i -log softmax(scores_i)[y_i] + reg * sum_l sum(W_l ** 2)

    so the penalty adds 2 * reg * W_l to dW_l, and nothing to db_l.

    Parameters
    ----------
    params : dict {"W1", "b1", ..., "WL", "bL"} of arrays. Not modified.
    X : ndarray (N, D) or (N, d_1, ..., d_k) with D = d_1 * ... * d_k. Not modified.
    y : ndarray of int (N,) with 0 <= y[i] < C, or None
    reg : float >= 0, the L2 strength
    activation : "relu", "sigmoid" or "tanh" (the hidden layers' g)

    Returns
    -------
    scores : ndarray (N, C), if y is None
    (loss, grads) : a float and a dict with the keys of params, each gradient shaped
        like its parameter, if y is given
    """
    # BEGIN PROMPT
    # TODO: forward: (affine -> activation) for every hidden layer, then a last affine layer;
    #       return the scores if y is None. Else: mean softmax loss + reg * sum of every W**2, and
    #       backward through the layers in reverse order; add 2 * reg * W to each dW (not to db).
    # END PROMPT
    # BEGIN SOLUTION
    forward, backward = _activation(activation)
    count = _num_layers(params)
    h = X
    caches = []
    for layer in range(1, count):
        a, affine_cache = _layers.affine_forward(h, params[f"W{layer}"], params[f"b{layer}"])
        h, activation_cache = forward(a)
        caches.append((affine_cache, activation_cache))
    scores, last_cache = _layers.affine_forward(h, params[f"W{count}"], params[f"b{count}"])
    if y is None:
        return scores

    data_loss, dscores = _softmax_loss(scores, y)
    weights = [params[f"W{layer}"] for layer in range(1, count + 1)]
    loss = data_loss + reg * sum(np.sum(w * w) for w in weights)

    grads = {}
    dh, grads[f"W{count}"], grads[f"b{count}"] = _layers.affine_backward(dscores, last_cache)
    for layer in range(count - 1, 0, -1):
        affine_cache, activation_cache = caches[layer - 1]
        da = backward(dh, activation_cache)
        dh, grads[f"W{layer}"], grads[f"b{layer}"] = _layers.affine_backward(da, affine_cache)
    for layer, w in enumerate(weights, start=1):
        grads[f"W{layer}"] = grads[f"W{layer}"] + 2.0 * reg * w
    return float(loss), grads
    # END SOLUTION


# BEGIN SOLUTION
def _evaluate(params, X, y, reg, activation):
    """(loss, accuracy) of params on the whole of (X, y); the loss includes the penalty."""
    loss, _ = mlp_loss(params, X, y, reg=reg, activation=activation)
    predicted = np.argmax(mlp_loss(params, X, activation=activation), axis=1)
    return loss, float(np.mean(predicted == y))
# END SOLUTION


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
    # BEGIN PROMPT
    # TODO: copy params; one config dict per parameter; rng = np.random.default_rng(seed);
    #       every epoch: schedule -> learning_rate, shuffle, mini-batch updates with the update rule,
    #       then losses and accuracies on all of (X, y) and (X_val, y_val), and the best parameters so far.
    # END PROMPT
    # BEGIN SOLUTION
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
        if val_acc > best_acc:
            best_acc, best_epoch = val_acc, epoch
            best_params = {name: value.copy() for name, value in params.items()}

    history["best_epoch"] = best_epoch
    return best_params, history
    # END SOLUTION


# BEGIN NOTEBOOK
# %% [markdown]
# ## Experiments (not graded)
#
# These cells are skipped when the notebook is graded. Train on the 8x8 digits in `data/`
# and look at the learning curves (DSE: train and validation loss and accuracy per epoch).
# Try other widths, depths, activations, `reg`, update rules and schedules; try
# `mlp_data.make_xor` with and without a hidden layer.
# %%
# import mlp_data
#
# X, y = mlp_data.load_digits()
# rng = np.random.default_rng(0)
# (X_train, y_train), (X_val, y_val) = mlp_data.shuffle_split(rng, X, y, [0.75])
# params = init_params([64], X.shape[1], 10, weight_scale=0.1, seed=0)
# best, history = train(params, X_train, y_train, X_val, y_val, reg=1e-4, update_rule="sgd",
#                       optim_config={"learning_rate": 0.2}, num_epochs=20, batch_size=50, seed=0)
# for epoch in range(len(history["train_loss"])):
#     print(epoch, *(f"{key} {history[key][epoch]:.4f}" for key in HISTORY_KEYS))
# print("best epoch:", history["best_epoch"])
# %%
# import matplotlib.pyplot as plt
#
# fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
# for kind, axes in (("loss", left), ("acc", right)):
#     axes.plot(history[f"train_{kind}"], label="train")
#     axes.plot(history[f"val_{kind}"], label="validation")
#     axes.set_xlabel("epoch")
#     axes.set_title(kind)
#     axes.legend()
# plt.show()
# END NOTEBOOK
