"""Confining one forked worker: its own namespaces, a fresh view of the files, no capabilities.

UNTRUSTED SIDE's set-up, run by :mod:`grader.worker.spawn` in a child forked from the
warm sandbox (the zygote) before any student code exists in it. Linux only; every
step that fails raises :class:`ConfinementFailed`, and the child then exits with
:data:`CONFINEMENT_FAILED` without running student code (the grader falls back to a
cold worker).

What :func:`enter` gives the child, on top of what bwrap gave the zygote (no network,
read-only system, the grader and Python, masked secret folders):

* a new user, mount, PID, IPC, UTS, cgroup and network namespace of its own (no network but its
  own loopback: two submissions graded at once cannot talk to each other) (its uid and gid are the
  zygote's, mapped one to one; it can never map another);
* in its mount namespace: ``/submission``, a read-only bind of its one submission from
  the zygote's inbox; the inbox itself covered by an empty read-only tmpfs; fresh
  tmpfs ``/tmp``, ``/scratch`` and ``/dev/shm`` of the sandbox's sizes; every other
  mount it inherits that was writable (bwrap's root and ``/dev``) made read-only,
  so nothing it writes outlives it or reaches the next submission. Folders bound under
  the old ``/tmp`` (a Python or the grader in a clone there) are bound again under the new one.

:func:`lock` then (in the PID namespace's first process) drops every capability,
the bounding set and the ambient ones, sets ``no_new_privs`` and installs the same
seccomp filter the cold sandbox gets from ``bwrap --seccomp``. A mount made above is
locked to its new user namespace, so even the capabilities held before :func:`lock`
could not make a read-only bind writable again.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import socket
import struct

CONFINEMENT_FAILED = 121  # exit status of a child that could not be confined (no student code ran)

# <linux/sched.h>
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
# <linux/sockios.h>, <net/if.h>: bring the new network namespace's loopback up, as bwrap does.
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
# <linux/mount.h>
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x2000, 0x4000, 0x40000
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 0x400, 0x800, 0x200000
# os.statvfs's f_flag bits and the mount flags they stand for (a locked flag must be kept on remount).
_KEPT_FLAGS = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
               (getattr(os, "ST_NOATIME", 1024), MS_NOATIME), (getattr(os, "ST_NODIRATIME", 2048), MS_NODIRATIME),
               (getattr(os, "ST_RELATIME", 4096), MS_RELATIME))
# <linux/prctl.h>
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 22, 38, 47, 4
SECCOMP_MODE_FILTER = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
# Why 64 KiB: the inbox cover holds nothing; a size is required and this is the smallest sensible one.
_COVER_BYTES = 64 * 1024


class ConfinementFailed(Exception):
    """A step of the confinement failed; the child must not run student code."""


_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise ConfinementFailed(f"{what}: {os.strerror(number)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_c().mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                      ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def prctl(option: int, arg2: int = 0) -> int:
    return _c().prctl(option, ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when its parent dies (and now, if it already has)."""
    _check(prctl(PR_SET_PDEATHSIG, 9), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(CONFINEMENT_FAILED)


def not_dumpable() -> None:
    """No process of a lesser user namespace may read or write this one's memory through /proc."""
    _check(prctl(PR_SET_DUMPABLE, 0), "prctl(PR_SET_DUMPABLE)")


def _write(path: str, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfinementFailed(f"writing {path}: {exc.strerror}") from None


def _mounts(*, writable: bool = False) -> list[str]:
    """Mount points this process sees (read-write ones only, if asked), from /proc/self/mountinfo."""
    points = []
    with open("/proc/self/mountinfo", "rb") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) > 5 and (not writable or b"rw" in fields[5].split(b",")):
                # The kernel writes space, tab, newline and backslash in a path as \ooo (octal).
                path = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), fields[4])
                points.append(os.fsdecode(path))
    return points


def _loopback_up() -> None:
    """The new network namespace has only ``lo``, down: up, as bwrap leaves it (no other network)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH14x", b"lo", 0)
            flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))
    except OSError as exc:
        raise ConfinementFailed(f"bringing the loopback interface up: {exc.strerror}") from None


def _remount_read_only(point: str) -> None:
    flags = os.statvfs(point).f_flag
    kept = sum(mount_flag for stat_flag, mount_flag in _KEPT_FLAGS if flags & stat_flag)
    _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def enter(*, submission: str, inbox: str, tmp_bytes: int, scratch_bytes: int) -> None:
    """New namespaces and the fresh file view described above (the caller then forks the
    PID namespace's first process, which calls :func:`lock`)."""
    uid, gid = os.geteuid(), os.getegid()
    # The cgroup namespace last joined is the worker's own cgroup (the grader moved C there first).
    _check(_c().unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET
                        | CLONE_NEWCGROUP), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _loopback_up()
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(submission, "/submission", None, MS_BIND | MS_REC)
    _remount_read_only("/submission")
    # The fresh /tmp is made on the inbox, where the folders bound under the old /tmp (a
    # Python or the grader in a clone under /tmp) are bound again, then moved onto /tmp.
    _mount("tmpfs", inbox, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
    for point in sorted((p for p in _mounts() if p.startswith("/tmp/")), key=lambda p: p.count("/")):
        target = inbox + point[len("/tmp"):]
        if os.path.isdir(point):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "ab").close()
        _mount(point, target, None, MS_BIND | MS_REC)
        _remount_read_only(target)
    _mount(inbox, "/tmp", None, MS_MOVE)
    _mount("tmpfs", inbox, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, f"size={_COVER_BYTES},mode=0555")
    # Devices (null, zero, urandom…), proc and the pty file system stay as they are: they hold no files.
    for point in _mounts(writable=True):
        if point in ("/proc", "/tmp", "/scratch", "/dev/shm") or point.startswith(("/proc/", "/dev/pts")):
            continue
        if point.startswith("/dev/") and not os.path.isdir(point):
            continue
        _remount_read_only(point)
    _mount("tmpfs", "/scratch", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_bytes},mode=0755")
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _last_capability() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as file:
            return int(file.read())
    except (OSError, ValueError):
        return 63  # why: dropping a capability the kernel does not know fails harmlessly


def lock(seccomp_program: bytes | None) -> None:
    """Drop every capability for good, set no_new_privs, install the seccomp filter."""
    for capability in range(_last_capability() + 1):
        prctl(PR_CAPBSET_DROP, capability)  # the check of /proc/self/status below proves they are gone
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)  # fails on kernels without ambient sets: nothing to clear
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_c().capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "prctl(PR_SET_NO_NEW_PRIVS)")
    if seccomp_program:
        buffer = ctypes.create_string_buffer(seccomp_program, len(seccomp_program))
        program = _SockFprog(len(seccomp_program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        _check(_c().prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(program),
                          ctypes.c_ulong(0), ctypes.c_ulong(0)), "installing the seccomp filter")
    try:
        with open("/proc/self/status", encoding="ascii") as file:
            status = dict(line.split(":", 1) for line in file if ":" in line)
    except OSError as exc:
        raise ConfinementFailed(f"reading /proc/self/status: {exc.strerror}") from None
    held = [name for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
            if int(status.get(name, "0").strip() or "0", 16)]
    if held or status.get("NoNewPrivs", "").strip() != "1" \
            or (seccomp_program and status.get("Seccomp", "").strip() != "2"):
        raise ConfinementFailed(f"still held after lock: {held or 'no seccomp or no_new_privs'}")
