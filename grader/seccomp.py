"""A seccomp filter for the bwrap worker: the system calls that could undo the sandbox are refused.

TRUSTED SIDE, used only by :mod:`grader.sandbox`, which hands the compiled
program to ``bwrap --seccomp FD``. bwrap installs it (with ``no_new_privs``)
right before it starts the worker, so it binds the worker and every process
the student's code starts; a seccomp filter can never be removed or loosened.

Refused with ``EPERM``: mounting and unmounting (``mount``, ``umount2``,
``pivot_root`` and the new mount API), leaving or entering namespaces
(``unshare``, ``setns``, ``clone`` with a namespace flag), tracing other
processes (``ptrace``), the kernel keyring, ``bpf``, ``perf_event_open`` and
``userfaultfd``. ``clone3`` answers ``ENOSYS``: its flags sit behind a pointer a
filter cannot read, and the C library then falls back to ``clone``, whose flags
are checked. A call made through another architecture's entry (32-bit calls
on x86-64, the x32 ABI) kills the process: the numbers above would not match.

The program is classic BPF, assembled here from the kernel's constants
(``<linux/filter.h>``, ``<linux/seccomp.h>``, ``<linux/audit.h>``); the system
call numbers are from the kernel's ``arch/x86/entry/syscalls/syscall_64.tbl``
and ``include/uapi/asm-generic/unistd.h`` (aarch64). Other architectures get no
filter, and :func:`program` says so by returning ``None``.
"""

from __future__ import annotations

import errno
import platform
import struct

# <linux/filter.h>
_LD_W_ABS = 0x20   # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15        # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35        # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45       # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06        # BPF_RET | BPF_K
# <linux/seccomp.h>
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_KILL_PROCESS = 0x80000000
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # args[0]'s low word (both architectures are little-endian)

# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# The mount API of Linux 5.2+ and mount_setattr (5.12): one number on every architecture.
_NEW_MOUNT_API = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
                  "fsmount": 432, "fspick": 433, "mount_setattr": 442}

ARCHITECTURES = {
    # machine: (AUDIT_ARCH_*, {refused call: number}, clone, clone3, lowest number of a foreign ABI)
    "x86_64": (0xC000003E, {"mount": 165, "umount2": 166, "pivot_root": 155, "unshare": 272, "setns": 308,
                            "ptrace": 101, "add_key": 248, "request_key": 249, "keyctl": 250, "bpf": 321,
                            "perf_event_open": 298, "userfaultfd": 323, **_NEW_MOUNT_API}, 56, 435, 0x40000000),
    "aarch64": (0xC00000B7, {"mount": 40, "umount2": 39, "pivot_root": 41, "unshare": 97, "setns": 268,
                             "ptrace": 117, "add_key": 217, "request_key": 218, "keyctl": 219, "bpf": 280,
                             "perf_event_open": 241, "userfaultfd": 282, **_NEW_MOUNT_API}, 220, 435, None),
}
ARCHITECTURES["amd64"] = ARCHITECTURES["x86_64"]
ARCHITECTURES["arm64"] = ARCHITECTURES["aarch64"]

REFUSED = tuple(sorted(ARCHITECTURES["x86_64"][1]))


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter as ``struct sock_filter[]`` bytes for this machine, or None where we have none."""
    spec = ARCHITECTURES.get((machine or platform.machine()).lower())
    if spec is None:
        return None
    arch, refused, clone, clone3, foreign = spec
    numbers = sorted(set(refused.values()))
    # Layout (BPF jumps only forward): check the architecture, load the call's number,
    # refuse a foreign ABI, jump to EPERM for each refused call, to the flags check for
    # clone, to ENOSYS for clone3, else allow; then the flags check and the return values.
    body: list[tuple] = [("ld", _ARCH), ("jne_kill", arch), ("ld", _NR)]
    if foreign is not None:
        body.append(("jge_kill", foreign))
    body += [("jeq_eperm", n) for n in numbers]
    body += [("jeq_clone", clone), ("jeq_enosys", clone3), ("allow",),
             ("clone", _ARG0_LOW), ("jset_eperm", CLONE_NAMESPACE_FLAGS), ("allow",),
             ("eperm",), ("enosys",), ("kill",)]
    labels = {name: body.index((name,) if name != "clone" else ("clone", _ARG0_LOW))
              for name in ("eperm", "enosys", "kill", "clone")}
    out = []
    for i, step in enumerate(body):
        op = step[0]

        def to(label: str) -> int:
            offset = labels[label] - i - 1
            if not 0 <= offset < 256:
                raise AssertionError("seccomp program: jump out of range")
            return offset
        if op in ("ld", "clone"):
            out.append(_insn(_LD_W_ABS, 0, 0, step[1]))
        elif op == "jne_kill":
            out.append(_insn(_JEQ, 0, to("kill"), step[1]))
        elif op == "jge_kill":
            out.append(_insn(_JGE, to("kill"), 0, step[1]))
        elif op == "jeq_eperm":
            out.append(_insn(_JEQ, to("eperm"), 0, step[1]))
        elif op == "jeq_clone":
            out.append(_insn(_JEQ, to("clone"), 0, step[1]))
        elif op == "jeq_enosys":
            out.append(_insn(_JEQ, to("enosys"), 0, step[1]))
        elif op == "jset_eperm":
            out.append(_insn(_JSET, to("eperm"), 0, step[1]))
        elif op == "allow":
            out.append(_insn(_RET, 0, 0, _ALLOW))
        elif op == "eperm":
            out.append(_insn(_RET, 0, 0, _ERRNO | errno.EPERM))
        elif op == "enosys":
            out.append(_insn(_RET, 0, 0, _ERRNO | errno.ENOSYS))
        elif op == "kill":
            out.append(_insn(_RET, 0, 0, _KILL_PROCESS))
    return b"".join(out)
