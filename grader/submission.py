"""Turning what a student handed in (a ``.py`` file, a folder or a ``.zip``) into a private folder.

The staged folder is a copy: the worker sees only it (read-only under bwrap),
never the original location or other students' files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import zipfile
from pathlib import Path

from grader import archive

# Why: same caps as for zips; a folder submission is a handful of files.
MAX_FILES = archive.MAX_FILES
MAX_BYTES = archive.MAX_BYTES
# Why: a submission folder nested deeper than this is an LMS quirk we do not guess through.
MAX_DEPTH = 4
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


class SubmissionError(Exception):
    """The submission cannot be read or lacks the module; the message is for the student."""


@dataclasses.dataclass(frozen=True)
class Submission:
    source: Path
    sha256: str
    staged: Path  # folder holding <module>.py (or <module>.ipynb) at its top
    notebook: bool = False  # the module is <module>.ipynb, converted in the worker (grader.notebook)


def sha256_of(path: Path) -> str:
    """Hash of a file's bytes, or a canonical hash of a folder's regular files."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
        return digest.hexdigest()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def stage(path: Path, *, module: str, into: Path) -> Submission:
    """Copy the submission at ``path`` into the empty folder ``into``; find ``<module>.py``."""
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"the submission {path.name!r} does not exist")
    digest = sha256_of(path) if not path.is_symlink() else ""
    unpacked = into / "unpacked"
    unpacked.mkdir()
    if path.is_dir():
        _copy_tree(path, unpacked)
    elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        try:
            archive.safe_extract(path, unpacked)
        except archive.ArchiveError as exc:
            raise SubmissionError(str(exc)) from None
    elif path.suffix == ".py":
        shutil.copyfile(path, unpacked / f"{module}.py")
    elif path.suffix.lower() == ".ipynb":
        shutil.copyfile(path, unpacked / f"{module}.ipynb")
    else:
        raise SubmissionError(f"{path.name!r} is not a .py file, a folder or a .zip file")
    folder = _module_folder(unpacked, module)
    return Submission(source=path, sha256=digest, staged=folder, notebook=not (folder / f"{module}.py").is_file())


def _copy_tree(source: Path, dest: Path) -> None:
    count = total = 0
    for file in sorted(source.rglob("*")):
        if file.is_symlink() or not file.is_file() or IGNORED_DIRS & set(file.relative_to(source).parts):
            continue
        count += 1
        total += file.stat().st_size
        if count > MAX_FILES or total > MAX_BYTES:
            raise SubmissionError(f"the submission folder has more than {MAX_FILES} files "
                                  f"or {MAX_BYTES // (1024 * 1024)} MiB")
        target = dest / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)


def _module_folder(root: Path, module: str) -> Path:
    # <module>.py, or a notebook <module>.ipynb; never both (which one would the student mean?)
    if (root / f"{module}.py").is_file() and (root / f"{module}.ipynb").is_file():
        raise SubmissionError(f"the submission has both {module}.py and {module}.ipynb; "
                              "submit only the one you worked in")
    if (root / f"{module}.py").is_file() or (root / f"{module}.ipynb").is_file():
        return root
    found = [p for name in (f"{module}.py", f"{module}.ipynb") for p in root.rglob(name)
             if len(p.relative_to(root).parts) <= MAX_DEPTH and not IGNORED_DIRS & set(p.relative_to(root).parts)]
    if len(found) == 1:
        return found[0].parent
    present = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    listing = ", ".join(present[:10]) + (", ..." if len(present) > 10 else "") if present else "nothing"
    if not found:
        raise SubmissionError(f"the submission has no {module}.py (it contains: {listing})")
    names = f"{module}.py" if all(p.suffix == ".py" for p in found) else f"{module}.py or {module}.ipynb"
    raise SubmissionError(f"the submission has {len(found)} files named {names}; keep exactly one")
