"""Radia P. -- layers.

I grouped each layer's forward and backward pass in a class (like a framework
would), then exported module-level names for the grader at the bottom.
"""
import numpy as np


class Affine:
    @staticmethod
    def forward(x, w, b):
        return x.reshape(x.shape[0], -1) @ w + b, (x, w)

    @staticmethod
    def backward(dout, cache):
        x, w = cache
        gx = (dout @ w.T).reshape(x.shape)
        return gx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


class ReLU:
    @staticmethod
    def forward(x):
        return np.maximum(x, 0), x

    @staticmethod
    def backward(dout, cache):
        return np.where(cache > 0, dout, 0)


class Sigmoid:
    @staticmethod
    def value(x):
        t = np.exp(-np.abs(x))
        return np.where(x >= 0, 1, t) / (1 + t)

    @classmethod
    def forward(cls, x):
        s = cls.value(x)
        return s, s

    @staticmethod
    def backward(dout, cache):
        return dout * cache * (1 - cache)


class Tanh:
    @staticmethod
    def forward(x):
        t = np.tanh(x)
        return t, t

    @staticmethod
    def backward(dout, cache):
        return dout * (1 - cache * cache)


class LeakyReLU:
    @staticmethod
    def forward(x, alpha=0.01):
        return np.where(x > 0, x, alpha * x), (x, alpha)

    @staticmethod
    def backward(dout, cache):
        x, alpha = cache
        return np.where(x > 0, dout, alpha * dout)


class ELU:
    @staticmethod
    def forward(x, alpha=1.0):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), (x, alpha)

    @staticmethod
    def backward(dout, cache):
        x, alpha = cache
        return np.where(x > 0, dout, alpha * np.exp(np.minimum(x, 0)) * dout)


class Softplus:
    @staticmethod
    def forward(x):
        return np.logaddexp(0, x), x

    @staticmethod
    def backward(dout, cache):
        return dout * Sigmoid.value(cache)


class SiLU:
    @staticmethod
    def forward(x):
        return x * Sigmoid.value(x), x

    @staticmethod
    def backward(dout, cache):
        s = Sigmoid.value(cache)
        return dout * (s + cache * s * (1 - s))


class Softmax:
    @staticmethod
    def forward(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


affine_forward, affine_backward = Affine.forward, Affine.backward
relu_forward, relu_backwards = ReLU.forward, ReLU.backward
sigmoid_forward, sigmoid_backward = Sigmoid.forward, Sigmoid.backward
tanh_forward, tanh_backward = Tanh.forward, Tanh.backward
leaky_relu_forward, leaky_relu_backward = LeakyReLU.forward, LeakyReLU.backward
elu_forward, elu_backward = ELU.forward, ELU.backward
softplus_forward, softplus_backward = Softplus.forward, Softplus.backward
silu_forward, silu_backward = SiLU.forward, SiLU.backward
softmax_forward = Softmax.forward
