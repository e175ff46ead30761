"""A control group per worker: one submission's total memory and process count, capped.

TRUSTED SIDE, used only by :mod:`grader.sandbox`. ``RLIMIT_AS`` bounds each
process, not their sum: four forked children of 1.5 GiB each are 6 GiB. A cgroup
bounds the sum (memory, tmpfs pages the worker writes included) and the number of
processes, and lets the grader kill every process in it at once.

Where one can be made:

* **cgroup v2** (``memory.max``, ``pids.max``, ``cgroup.kill``), below the
  grader's own cgroup, when the memory and pids controllers are enabled there
  (root on most systems, or a delegated subtree such as ``systemd-run --user -p Delegate=yes``);
* **cgroup v1** (``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes``,
  ``pids.max``), below the grader's own cgroup in each hierarchy, as root.

Elsewhere :func:`create` returns None and the sandbox falls back to rlimits (see
``docs/security.md`` for what that does and does not bound).
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_counter = itertools.count()


def _own_paths() -> dict[str, str]:
    """{controller or '' for v2: this process's cgroup path} from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for controller in (controllers.split(",") if controllers else [""]):
            paths[controller] = path
    return paths


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


class Cgroup:
    """The cgroup folders one worker runs in (one for v2, one per controller for v1)."""

    def __init__(self, folders: list[Path], version: int, memory_bytes: int, processes: int):
        self.folders = folders
        self.version = version
        self.memory_bytes = memory_bytes
        self.processes = processes

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid to, to join (every folder's ``cgroup.procs``)."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill(self) -> None:
        """SIGKILL every process in the cgroup, including any that left the process group."""
        if self.version == 2 and _write(self.folders[0] / "cgroup.kill", "1"):
            return
        for _ in range(50):  # why: a fork between the read and the kill adds a pid; a few rounds settle it
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the folders. A folder still busy after a short wait
        (a killed process not yet reaped by its new parent) is deleted later, by the next
        :func:`create` or at exit, so neither a kill waits for it nor folders pile up."""
        self.kill()
        deadline = time.monotonic() + 0.2
        left = list(self.folders)
        while left:
            left = [folder for folder in left if not _rmdir(folder)]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if left and not _pending:
            atexit.register(_remove_pending)  # once per batch of leftovers; harmless if repeated
        _pending.extend(left)


_pending: list[Path] = []


def _rmdir(folder: Path) -> bool:
    """True once ``folder`` is gone."""
    try:
        folder.rmdir()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _remove_pending() -> None:
    _pending[:] = [folder for folder in _pending if not _rmdir(folder)]


def _sweep(parent: Path) -> None:
    """Delete the cgroups that graders which have since exited left below ``parent``
    (a pool process ends with os._exit, so its exit handlers never run)."""
    try:
        names = [p.name for p in parent.iterdir() if p.name.startswith("nngrade-")]
    except OSError:
        return
    for name in names:
        try:
            os.kill(int(name.split("-")[1]), 0)
        except ProcessLookupError:
            _rmdir(parent / name)  # fails harmlessly while a process is still in it
        except (ValueError, IndexError, PermissionError):
            continue


def create(*, memory_bytes: int, processes: int) -> Cgroup | None:
    """A new cgroup with these caps, or None where none can be made here."""
    if not ROOT.is_dir():
        return None
    _remove_pending()
    own = _own_paths()
    name = f"nngrade-{os.getpid()}-{next(_counter)}"
    return _create_v2(own, name, memory_bytes, processes) or _create_v1(own, name, memory_bytes, processes)


def _create_v2(own: dict[str, str], name: str, memory_bytes: int, processes: int) -> Cgroup | None:
    if "" not in own:
        return None
    for mount in (ROOT, ROOT / "unified"):
        if not (mount / "cgroup.controllers").is_file():
            continue
        folder = mount / own[""].lstrip("/") / name
        _sweep(folder.parent)
        try:
            folder.mkdir()
        except OSError:
            continue
        if (_write(folder / "memory.max", str(memory_bytes)) and _write(folder / "pids.max", str(processes))):
            _write(folder / "memory.swap.max", "0")  # why: over the cap means killed, not swapped out
            return Cgroup([folder], 2, memory_bytes, processes)
        try:
            folder.rmdir()
        except OSError:
            pass
    return None


def _create_v1(own: dict[str, str], name: str, memory_bytes: int, processes: int) -> Cgroup | None:
    if "memory" not in own or "pids" not in own:
        return None
    memory = ROOT / "memory" / own["memory"].lstrip("/") / name
    pids = ROOT / "pids" / own["pids"].lstrip("/") / name
    made: list[Path] = []
    for folder in (memory, pids):
        _sweep(folder.parent)
    try:
        for folder in (memory, pids):
            folder.mkdir()
            made.append(folder)
    except OSError:
        Cgroup(made, 1, 0, 0).remove()
        return None
    ok = (_write(memory / "memory.limit_in_bytes", str(memory_bytes))
          and _write(pids / "pids.max", str(processes)))
    if ok and (memory / "memory.memsw.limit_in_bytes").exists():
        ok = _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
    if not ok:
        Cgroup(made, 1, 0, 0).remove()
        return None
    return Cgroup(made, 1, memory_bytes, processes)
