"""Frank -- mlp.

At the bottom, a "sanity check" trains a linear classifier (no hidden layer) on XOR
"until it gets all four points right". A line cannot split XOR, so the loop never
ends and the import times out. His functions are only the network's forward pass.
"""
import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    shapes = list(zip([input_dim, *hidden_dims], [*hidden_dims, num_classes]))
    params = {}
    for number, shape in enumerate(shapes, 1):
        params["W" + str(number)] = weight_scale * rng.standard_normal(shape)
        params["b" + str(number)] = np.zeros(shape[1])
    return params


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    L = len(params) // 2
    h = X.reshape(X.shape[0], -1)
    for number in range(1, L + 1):
        h = h @ params["W" + str(number)] + params["b" + str(number)]
        if number < L:
            h = np.maximum(h, 0)
    if y is None:
        return h
    p = np.exp(h - h.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    grads = {"W1": X.T @ d / len(y), "b1": d.mean(0)}
    return -np.log(p[np.arange(len(y)), y]).mean(), grads


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])
demo = init_params([], 2, 2, weight_scale=0.1)
while np.mean(mlp_loss(demo, XOR_X).argmax(1) == XOR_Y) < 1.0:
    _, g = mlp_loss(demo, XOR_X, XOR_Y)
    demo = {k: demo[k] - 0.5 * g[k] for k in demo}
