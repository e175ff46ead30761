"""Starter code for the ``mlp`` assignment: a fully connected network and its trainer.

Implement the three functions below; README.md in this folder gives the exact
algorithm, the formulas and the rules. Everything goes in and out as plain data
(dicts of numpy arrays, lists, numbers), because that is all the grader can pass
to your code and get back:

    params = init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0)
    scores = mlp_loss(params, X)                         # y is None: scores only
    loss, grads = mlp_loss(params, X, y, reg=0.0, activation="relu")
    best_params, history = train(params, X, y, X_val, y_val, ...)

This file builds on your own ``layers.py`` (affine and activation layers) and
``optim.py`` (update rules and learning-rate schedules): copy both into this
folder and submit all three files together. Use them as modules (``layers.affine_forward``,
``getattr(optim, update_rule)``) rather than copying their code here.
"""

import numpy as np  # noqa: F401  (you will need it)

import layers  # noqa: F401  (your layers.py, beside this file)
import optim  # noqa: F401  (your optim.py, beside this file)

ACTIVATIONS = ("relu", "sigmoid", "tanh")
HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")


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
    # TODO: rng = np.random.default_rng(seed); dims = [input_dim, *hidden_dims, num_classes];
    #       for l = 1..L: W{l} = weight_scale * rng.standard_normal((dims[l-1], dims[l])), b{l} = zeros.
    raise NotImplementedError("init_params is not implemented yet")


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
    # TODO: forward: (affine -> activation) for every hidden layer, then a last affine layer;
    #       return the scores if y is None. Else: mean softmax loss + reg * sum of every W**2, and
    #       backward through the layers in reverse order; add 2 * reg * W to each dW (not to db).
    raise NotImplementedError("mlp_loss is not implemented yet")


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
    # TODO: copy params; one config dict per parameter; rng = np.random.default_rng(seed);
    #       every epoch: schedule -> learning_rate, shuffle, mini-batch updates with the update rule,
    #       then losses and accuracies on all of (X, y) and (X_val, y_val), and the best parameters so far.
    raise NotImplementedError("train is not implemented yet")
