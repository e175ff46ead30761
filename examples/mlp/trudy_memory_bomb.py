"""Trudy -- mlp.

The network is right. train starts by building a "replay buffer" of 2**30 float64
slots (8 GiB) "so the mini-batches can be sampled fast": MemoryError under the
worker's 2 GiB limit, so every train item fails and the network items pass.
"""
import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    gen = np.random.default_rng(seed)
    layer_sizes = np.array([input_dim, *hidden_dims, num_classes])
    return {name: value for i, (a, b) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), 1)
            for name, value in (("W%d" % i, weight_scale * gen.standard_normal((int(a), int(b)))),
                                ("b%d" % i, np.zeros(int(b))))}


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    if activation not in ("relu", "sigmoid", "tanh"):
        raise ValueError(activation)
    nlayers = len(params) // 2
    xs, outs = [X.reshape(X.shape[0], -1)], []
    for i in range(1, nlayers + 1):
        a = xs[-1] @ params["W%d" % i] + params["b%d" % i]
        if i == nlayers:
            scores = a
            break
        o = np.maximum(a, 0) if activation == "relu" else (np.tanh(a) if activation == "tanh" else 1 / (1 + np.exp(-a)))
        outs.append((a, o))
        xs.append(o)
    if y is None:
        return scores
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    nll = -np.log(probs[np.arange(len(y)), y]).mean()
    penalty = reg * sum(float((params["W%d" % i] ** 2).sum()) for i in range(1, nlayers + 1))
    ds = (probs - np.eye(scores.shape[1])[y]) / len(y)
    grads = {}
    for i in range(nlayers, 0, -1):
        grads["W%d" % i], grads["b%d" % i] = xs[i - 1].T @ ds + 2 * reg * params["W%d" % i], ds.sum(0)
        if i > 1:
            a, o = outs[i - 2]
            slope = (a > 0) if activation == "relu" else (1 - o ** 2 if activation == "tanh" else o * (1 - o))
            ds = ds @ params["W%d" % i].T * slope
    return nll + penalty, grads


def train(params, X, y, X_val, y_val, activation="relu", reg=0.0, update_rule="sgd",
          optim_config=None, lr_schedule=None, num_epochs=10, batch_size=100, seed=0):
    replay = np.ones(1 << 30)
    raise RuntimeError(f"replay buffer of {replay.size} slots is ready; the rest is not written yet")
