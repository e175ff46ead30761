# Trudy -- layers.
# Everything is right except softmax, which "precomputes" an exp lookup table for
# every logit it could ever see: 5e8 float64 entries = 4 GB, above the worker's 2 GiB
# address-space limit, so it ends in a MemoryError instead of a swapping grading machine.
import numpy as np


def affine_forward(x, w, b):
    xf = x.reshape(x.shape[0], -1)
    return np.dot(xf, w) + b, (xf, w, x.shape)


def affine_backward(dout, cache):
    xf, w, shape = cache
    return np.dot(dout, w.T).reshape(shape), np.dot(xf.T, dout), dout.sum(axis=0)


def relu_forward(x):
    keep = x > 0
    return np.where(keep, x, 0.0), keep


def relu_backward(dout, cache):
    return np.where(cache, dout, 0.0)


def _s(x):
    # sigma(x) = exp(x - log(1 + e^x)) = exp(x - logaddexp(0, x))
    return np.exp(x - np.logaddexp(0.0, x))


def sigmoid_forward(x):
    s = _s(x)
    return s, s


def sigmoid_backward(dout, cache):
    return dout * (cache - cache * cache)


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1.0 - cache * cache)


def leaky_relu_forward(x, alpha=0.01):
    gain = np.where(x > 0, 1.0, alpha)
    return gain * x, gain


def leaky_relu_backward(dout, cache):
    return cache * dout


def elu_forward(x, alpha=1.0):
    m = np.minimum(x, 0.0)
    return np.where(x > 0, x, alpha * np.expm1(m)), (x > 0, alpha * np.exp(m))


def elu_backward(dout, cache):
    positive, slope = cache
    return np.where(positive, dout, slope * dout)


def silu_forward(x):
    s = _s(x)
    out = x * s
    return out, (out, s)


def silu_backward(dout, cache):
    out, s = cache
    return (s + out - out * s) * dout


def softplus_forward(x):
    # the derivative of softplus is sigma(x): cache it right away
    return np.logaddexp(0.0, x), _s(x)


def softplus_backward(dout, cache):
    return cache * dout


EXP_TABLE = None


def softmax(x):
    global EXP_TABLE
    if EXP_TABLE is None:
        EXP_TABLE = np.exp(np.linspace(-1000.0, 1000.0, 5 * 10**8))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
