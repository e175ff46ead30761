"""The grader's own wheel, built in-process from the installed ``grader`` package, and its fingerprint.

Why a release ships it
    No package index serves ``nngrade``, and the grader students run with ``grade local``
    must be the one that grades. So ``grade release`` puts this wheel in each release
    (``wheels/``) and points ``requirements.txt`` at it: students install exactly the
    grader the release was made with, with no index for the grader itself.

What goes in (the binary distribution format, PEP 427)
    ``grader/...``                  every file of the package as installed (what ``import grader``
                                    runs): no ``__pycache__``, compiled bytecode or dot file
    ``<name>-<version>.dist-info/``
        ``METADATA``                the installed distribution's core metadata (its Requires-Dist too)
        ``WHEEL``                   Wheel-Version 1.0, pure Python, tag py3-none-any
        ``entry_points.txt``        the installed one: the ``grade`` command and the exporters
        ``RECORD``                  ``path,sha256=<urlsafe base64, unpadded>,size`` per file; its own line empty

    Nothing else: the package holds no course material (solutions and hidden tests live in
    the course folder), and :func:`package_files` refuses a symbolic link, the one way a
    file from elsewhere could slip in. The release's leak check searches the wheel anyway.

Deterministic
    Entries sorted (the dist-info last, RECORD last of all), every timestamp 1980-01-01,
    mode 0644, one compression level: the same package gives the same bytes.

The fingerprint
    sha256 over the package files (:func:`fingerprint`): each one's path, size and bytes,
    in path order. It is the same for the checkout a grader was installed from in
    editable mode, for this wheel, and for the copy pip installs from it (pip writes the
    files as they are; the bytecode it compiles is left out), so ``grade local`` can tell
    whether it is the grader the release was made with.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import importlib.metadata
import io
import os
import re
import stat
import zipfile
from pathlib import Path

import grader
from grader.failure import GraderError

DISTRIBUTION = "nngrade"
TAG = "py3-none-any"  # pure Python, any Python 3 (METADATA's Requires-Python narrows it)
# Why 1980-01-01: the earliest time a zip can hold; any fixed time makes the bytes reproducible.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclasses.dataclass(frozen=True)
class Wheel:
    filename: str  # nngrade-0.1.0-py3-none-any.whl
    data: bytes
    version: str
    fingerprint: str  # of the package files it holds (:func:`fingerprint`)
    names: tuple[str, ...]  # its entries, in order
    files: dict[str, bytes]  # the package files it holds (:func:`package_files`)


def package_folder() -> Path:
    """The folder of the ``grader`` package that is running."""
    return Path(grader.__file__).resolve().parent


def package_files(*, folder: Path | None = None) -> dict[str, bytes]:
    """{``grader/<path>``: bytes} of every file of the package in ``folder`` (default: the running one),
    sorted by path, without ``__pycache__``, compiled bytecode or dot files."""
    folder = package_folder() if folder is None else Path(folder)
    files = {}
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows a linked folder
        for name in sorted(dirnames):
            if (Path(dirpath) / name).is_symlink():
                raise GraderError(f"{Path(dirpath) / name}: a symbolic link in the installed grader package; its "
                                  "wheel holds only the package's own files (reinstall the grader)")
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")]
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES):
                continue
            if path.is_symlink() or not path.is_file():
                raise GraderError(f"{path}: a symbolic link or special file in the installed grader package; its "
                                  "wheel holds only the package's own files (reinstall the grader)")
            files[f"{folder.name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return dict(sorted(files.items()))


def fingerprint(*, files: dict[str, bytes] | None = None) -> str:
    """sha256 hex of the package files (default: the running grader's): path, size and bytes of each, in order."""
    files = package_files() if files is None else files
    digest = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        digest.update(path.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def record_hash(data: bytes) -> str:
    """A RECORD hash: ``sha256=`` and the digest in urlsafe base64 without padding."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def distribution(*, folder: Path | None = None) -> importlib.metadata.Distribution:
    """The installed ``nngrade`` distribution: the dist-info beside the package (a normal install),
    else any dist-info (an editable one), else whatever metadata there is (an egg-info)."""
    folder = package_folder() if folder is None else Path(folder)
    found = list(importlib.metadata.distributions(name=DISTRIBUTION))
    if not found:
        raise GraderError(f"the grader at {folder} is not installed as a package (no {DISTRIBUTION} metadata); "
                          f"install it (pip install -e <its repository>) so its wheel can be built")

    def rank(dist) -> int:
        if dist.read_text("METADATA") is None:
            return 2  # an egg-info (PKG-INFO): setuptools' build leftovers in a checkout
        return 0 if Path(dist.locate_file("")).resolve() == folder.parent else 1

    return min(found, key=rank)


def _metadata(dist: importlib.metadata.Distribution) -> tuple[str, str, bytes]:
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    name, version = dist.metadata["Name"], dist.metadata["Version"]
    if not text or not name or not version:
        raise GraderError(f"the installed {DISTRIBUTION} metadata has no METADATA, Name or Version; reinstall the grader")
    if version != grader.__version__:
        raise GraderError(f"the installed {DISTRIBUTION} metadata says version {version}, but the grader package "
                          f"says {grader.__version__} (grader/__init__.py): the install is stale; reinstall the grader")
    return name, version, text.encode("utf-8")


def build(*, folder: Path | None = None) -> Wheel:
    """The wheel of the running grader (or of the package in ``folder``, with the installed metadata)."""
    folder = package_folder() if folder is None else Path(folder)
    dist = distribution(folder=folder)
    name, version, metadata = _metadata(dist)
    files = package_files(folder=folder)
    escaped = re.sub(r"[-_.]+", "_", name).lower()  # the wheel spec's escaping of a project name
    info = f"{escaped}-{version.replace('-', '_')}.dist-info"
    wheel_text = f"Wheel-Version: 1.0\nGenerator: {DISTRIBUTION} {version} (grader.wheel)\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    entries = list(files.items()) + [(f"{info}/METADATA", metadata), (f"{info}/WHEEL", wheel_text.encode())]
    entry_points = dist.read_text("entry_points.txt") or ""
    if not re.search(r"^grade\s*=", entry_points, re.MULTILINE):
        raise GraderError(f"the installed {DISTRIBUTION} metadata declares no `grade` command (entry_points.txt); "
                          "reinstall the grader")
    entries.append((f"{info}/entry_points.txt", entry_points.encode("utf-8")))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in entries:
        writer.writerow([path, record_hash(data), len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    entries.append((f"{info}/RECORD", record.getvalue().encode("utf-8")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in entries:
            member = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # Unix, wherever it is built, so the mode below means the same
            member.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(member, data)
    return Wheel(filename=f"{escaped}-{version.replace('-', '_')}-{TAG}.whl", data=buffer.getvalue(),
                 version=version, fingerprint=fingerprint(files=files), names=tuple(path for path, _ in entries),
                 files=files)
