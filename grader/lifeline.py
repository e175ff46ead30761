"""Tying a child process's life to its parent's, so a killed grader leaves nothing running.

Used by the worker (untrusted side) and by batch pool processes (trusted side);
imports nothing of the grader's.
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> None:
    """On Linux, ask the kernel to SIGKILL this process when its parent dies; elsewhere nothing.

    macOS and Windows have no such call: there a worker whose grader was killed
    lives on until its CPU limit or its next read from the closed pipe.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
