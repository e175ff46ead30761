"""The warm sandbox (zygote): the worker's imports done once, a fresh confined child per worker.

UNTRUSTED SIDE's process tree, though no student code ever runs in the zygote itself:
:mod:`grader.zygote` starts it inside bwrap (the cold sandbox's namespaces, binds and
masks, with an inbox folder where the submission would be) as ``python -I -B -c
<bootstrap>`` with fd 0 a ``SOCK_SEQPACKET`` socket to the grader, its only channel.
It imports numpy, the worker and the notebook reader, then forks one child per
request. It reads nothing a student wrote: its children cannot reach its socket
(they close every other descriptor first), cannot signal it (it is outside their PID
namespace) and cannot read or write its memory (it is not dumpable).

Requests, one JSON packet each::

    {"op": "hello", "seccomp": hex or null}        -> {"ready": pid}
    {"op": "fork", "token": hex, "tmp_bytes": n, "scratch_bytes": n}
        with four descriptors: protocol in, protocol out, output, status
                                                   -> {"pid": pid}

A forked child (C) gives the four descriptors the numbers 0 to 3, closes every
other one, waits for the grader's go byte on fd 0 (sent once the grader has put C in
the worker's cgroup), enters its own namespaces (:func:`grader.worker.confine.enter`),
then forks the first process (G) of its PID namespace. G locks itself
(:func:`grader.worker.confine.lock`: no capabilities, no_new_privs, seccomp) and
becomes the worker (:func:`grader.worker.server.main`). C runs no student code: it
waits for G and writes G's exit status (``waitstatus_to_exitcode``, as text) to fd 3,
which is how the grader learns why a worker died. When G ends, every process of its
PID namespace ends with it; when C dies, so does G; when the zygote dies, so do all.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import string
import sys

import numpy as np
# Loaded lazily by numpy itself: imported here so that no forked worker pays for them.
import numpy.linalg  # noqa: F401
import numpy.random  # noqa: F401

from grader import lifeline
from grader.worker import confine, server
# Imported here so that a notebook's worker starts warm too (grader.worker.server imports it lazily).
from grader.worker import notebook  # noqa: F401

INBOX = "/inbox"
SUBMISSION = "/submission"
GO = b"\x01"
# Why: a request is a few hundred bytes of JSON; the filter is at most a few KiB of hex.
PACKET_BYTES = 1 << 16


def main() -> None:
    lifeline.die_with_parent()
    confine.not_dumpable()
    # Children are reaped by the kernel: their status reaches the grader through C, not here.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    channel = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    seccomp: bytes | None = None
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(channel, PACKET_BYTES, 4)
        except OSError:
            return
        if not data:
            return
        try:
            request = json.loads(data)
            op = request.get("op")
        except (ValueError, AttributeError):
            request, op = {}, None
        if op == "hello":
            seccomp = bytes.fromhex(request["seccomp"]) if request.get("seccomp") else None
            reply = {"ready": os.getpid()}
        elif op == "fork" and len(fds) == 4 and _valid(request):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(channel, fds, request, seccomp)
            reply = {"pid": pid}
        else:
            reply = {"error": f"bad request {op!r} with {len(fds)} descriptors"}
        for fd in fds:
            os.close(fd)
        channel.send(json.dumps(reply).encode())


def _valid(request: dict) -> bool:
    token = request.get("token")
    return (isinstance(token, str) and 0 < len(token) <= 64 and set(token) <= set(string.hexdigits)
            and all(isinstance(request.get(k), int) and request[k] > 0 for k in ("tmp_bytes", "scratch_bytes")))


def _child(channel: socket.socket, fds: list[int], request: dict, seccomp: bytes | None) -> None:
    """C: never returns."""
    status = confine.CONFINEMENT_FAILED
    try:
        zygote = os.getppid()
        channel.detach()  # why: its descriptor is closed below; the object must not close a reused number
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        confine.die_with_parent(zygote)
        confine.not_dumpable()
        for number, fd in enumerate(fds):
            os.dup2(fd, number)
        os.closerange(4, os.sysconf("SC_OPEN_MAX"))
        if os.read(0, 1) != GO:
            os._exit(status)
        confine.enter(submission=f"{INBOX}/{request['token']}", inbox=INBOX,
                      tmp_bytes=request["tmp_bytes"], scratch_bytes=request["scratch_bytes"])
        alive_r, alive_w = os.pipe()  # why: G learns that C died before G asked to die with it
        first = os.fork()
        if first == 0:
            _first(alive_r, alive_w, seccomp)
        os.close(alive_r)
        devnull = os.open(os.devnull, os.O_RDWR)
        for number in (0, 1, 2):
            os.dup2(devnull, number)
        os.close(devnull)
        _, wait_status = os.waitpid(first, 0)
        status = os.waitstatus_to_exitcode(wait_status)
    except BaseException as exc:  # noqa: BLE001 - whatever happened, no student code runs
        _say(f"the warm sandbox could not confine a worker: {exc}")
    finally:
        try:
            os.write(3, str(status).encode())
        except OSError:
            pass
        os._exit(0)


def _first(alive_r: int, alive_w: int, seccomp: bytes | None) -> None:
    """G, the first process of the new PID namespace: lock, then serve. Never returns."""
    try:
        os.close(alive_w)
        os.close(3)
        # Not confine.die_with_parent: C is outside this PID namespace, so getppid() says 0.
        confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive_r], [], [], 0)[0]:  # C is gone: its end of the pipe closed
            os._exit(confine.CONFINEMENT_FAILED)
        os.close(alive_r)
        confine.lock(seccomp)
        os.chdir("/scratch")
        np.random.seed()  # why: a cold worker starts with fresh entropy; so does each warm one
    except BaseException as exc:  # noqa: BLE001
        _say(f"the warm sandbox could not lock a worker: {exc}")
        os._exit(confine.CONFINEMENT_FAILED)
    try:
        server.main()
    finally:
        os._exit(0)


def _say(text: str) -> None:
    try:
        os.write(2, (text + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


if __name__ == "__main__":
    main()
