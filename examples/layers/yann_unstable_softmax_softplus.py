## layers.py  (Yann L.)
## straight from the formulas on the slides: first the piecewise-linear family, then the smooth ones
import numpy as np


def affine_forward(x, w, b):
    a = x.reshape(x.shape[0], -1)
    z = a @ w + b
    return z, (a, w, x.shape)


def affine_backward(dout, cache):
    a, w, x_shape = cache
    return (dout @ w.T).reshape(x_shape), a.T @ dout, dout.sum(0)


def relu_forward(x):
    return x.clip(0), x > 0


def relu_backward(dout, cache):
    return dout * cache


def leaky_relu_forward(x, alpha=0.01):
    pos = x > 0
    return pos * x + ~pos * alpha * x, (pos, alpha)


def leaky_relu_backward(dout, cache):
    pos, alpha = cache
    return pos * dout + ~pos * alpha * dout


def elu_forward(x, alpha=1.0):
    pos = x > 0
    e = np.exp(np.minimum(x, 0))  # e^x on the negative side
    return pos * x + ~pos * alpha * (e - 1), (pos, alpha * e)


def elu_backward(dout, cache):
    pos, alpha_e = cache
    return pos * dout + ~pos * alpha_e * dout


## smooth ones: sigma(x) = 1 / (1 + e^-x)


def sigmoid_forward(x):
    s = 1 / (1 + np.exp(-x))
    return s, s


def sigmoid_backward(dout, cache):
    ds_dx = cache * (1 - cache)
    return ds_dx * dout


def tanh_forward(x):
    th = np.tanh(x)
    return th, th


def tanh_backward(dout, cache):
    dth_dx = 1 - cache**2
    return dth_dx * dout


def softplus_forward(x):
    return np.log(1 + np.exp(x)), x


def softplus_backward(dout, cache):
    return dout / (1 + np.exp(-cache))


def silu_forward(x):
    return x / (1 + np.exp(-x)), x


def silu_backward(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return (s + cache * s * (1 - s)) * dout


def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
