"""Ken -- mlp. A missing colon after the for statement: the file does not compile."""
import numpy as np


def init_params(hidden_dims, input_dim, num_classes, weight_scale=1e-2, seed=0):
    rng = np.random.default_rng(seed)
    dims = [input_dim] + hidden_dims + [num_classes]
    params = {}
    for i in range(1, len(dims))
        params["W%d" % i] = weight_scale * rng.standard_normal((dims[i - 1], dims[i]))
        params["b%d" % i] = np.zeros(dims[i])
    return params


def mlp_loss(params, X, y=None, reg=0.0, activation="relu"):
    h = X.reshape(len(X), -1)
    for i in range(1, len(params) // 2):
        h = np.maximum(h @ params["W%d" % i] + params["b%d" % i], 0)
    return h @ params["W%d" % (len(params) // 2)] + params["b%d" % (len(params) // 2)]
