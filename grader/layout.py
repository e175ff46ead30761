"""Reading a folder of downloaded submissions: one entry per student, whatever the LMS.

Student ids are kept exactly as the LMS gives them (they may hold anything,
escape bytes and formulas included: see :mod:`grader.terminal` and
:func:`grader.gradebook.csv_rows` for how they are printed and written). Notes
and error messages quote them made printable.

Layouts, detected in this order:

``gradescope``
    Gradescope's "Export Submissions": a folder (or a zip of it) holding
    ``submission_metadata.yml`` and one ``submission_<id>/`` folder per
    submission. The student id is the first submitter's ``:sid:`` (else their
    email); the time is ``:created_at:``.
``canvas``
    Canvas's "Download Submissions": files named
    ``<name>_<userid>_<submissionid>_<filename>``, with ``LATE`` after the name
    for late ones, e.g. ``doejane_LATE_1234_98765_layers.py``; a student's files are
    grouped into one submission and Canvas's resubmission suffix (``layers-1.py``)
    is removed. The student id is the user id; the time is the file's
    modification time (Canvas sets it to the submission time in its zip).
``folder``
    Anything else: each ``.py``, ``.ipynb``, ``.zip`` or folder is one student,
    named by its file name without extension. No times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import yaml

from grader import archive, terminal

SUBMISSION_SUFFIXES = {".py", ".ipynb", ".zip"}
CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"^(?P<stem>.+?)-\d+(?P<suffix>\.[A-Za-z0-9]+)$")
IGNORED = {"__MACOSX", ".DS_Store", "__pycache__"}


class LayoutError(Exception):
    """The submissions folder cannot be read; the message says why and where.

    The message is printed, and may quote student ids and file names: it is
    made printable (:func:`grader.terminal.clean`).
    """

    def __init__(self, message: str):
        super().__init__(terminal.clean(message, keep_lines=True))


@dataclasses.dataclass(frozen=True)
class Entry:
    """One student's submission."""

    student_id: str
    path: Path
    submitted_at: dt.datetime | None = None
    marked_late: bool = False


@dataclasses.dataclass
class Batch:
    layout: str
    entries: list[Entry]
    notes: list[str]
    _tmp: tempfile.TemporaryDirectory | None = None

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def read(path: Path) -> Batch:
    """The entries of a submissions folder or zip; :class:`LayoutError` if it cannot be read."""
    path = Path(path)
    tmp = None
    if path.is_file() and zipfile.is_zipfile(path):
        tmp = tempfile.TemporaryDirectory(prefix="nngrade-batch-")
        try:
            # Why larger caps: a whole class's download, not one submission.
            archive.safe_extract(path, Path(tmp.name), max_files=100_000, max_bytes=4 * 1024**3)
        except archive.ArchiveError as exc:
            tmp.cleanup()
            raise LayoutError(f"{path}: {exc}") from None
        root = Path(tmp.name)
        children = [c for c in root.iterdir() if c.name not in IGNORED]
        if len(children) == 1 and children[0].is_dir() and not _is_gradescope(root):
            root = children[0]
    elif path.is_dir():
        root = path
    else:
        raise LayoutError(f"{path}: not a folder or a zip file of submissions")
    try:
        if _is_gradescope(root):
            batch = _gradescope(root)
        elif _is_canvas(root):
            if tmp is None:  # Canvas files are regrouped per student in a scratch folder
                tmp = tempfile.TemporaryDirectory(prefix="nngrade-batch-")
            batch = _canvas(root, Path(tmp.name))
        else:
            batch = _folder(root)
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        raise
    batch._tmp = tmp
    ids = [e.student_id for e in batch.entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        batch.cleanup()
        raise LayoutError(f"{path}: several submissions for student(s) {', '.join(map(terminal.clean, duplicates))}")
    return batch


def _is_gradescope(root: Path) -> bool:
    return (root / "submission_metadata.yml").is_file()


def _gradescope(root: Path) -> Batch:
    meta_path = root / "submission_metadata.yml"
    try:
        metadata = yaml.safe_load(meta_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LayoutError(f"{meta_path}: cannot be read: {exc}") from None
    if not isinstance(metadata, dict):
        raise LayoutError(f"{meta_path}: expected a mapping of submission folders")
    entries, notes = [], []
    for folder_name, record in sorted(metadata.items()):
        folder = root / str(folder_name)
        submitters = record.get(":submitters") if isinstance(record, dict) else None
        if not folder.is_dir() or not submitters:
            notes.append(f"{terminal.clean(folder_name)}: no folder or no submitter in the metadata; skipped")
            continue
        first = submitters[0] if isinstance(submitters[0], dict) else {}
        student = str(first.get(":sid") or first.get(":email") or folder_name)
        entries.append(Entry(student, folder, _timestamp(record.get(":created_at"))))
    return Batch("gradescope", entries, notes)


def _timestamp(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        text = re.sub(r"\.(\d{6})\d*", r".\1", value.strip())  # nanoseconds -> microseconds
        for fmt in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z"):
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                pass
        try:
            parsed = dt.datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return None
    return None


def _is_canvas(root: Path) -> bool:
    files = [c for c in root.iterdir() if c.is_file() and c.name not in IGNORED]
    return bool(files) and all(CANVAS_NAME.match(f.name) for f in files)


def _canvas(root: Path, scratch: Path) -> Batch:
    groups: dict[str, list[tuple[Path, str, bool]]] = {}
    for file in sorted(root.iterdir()):
        match = CANVAS_NAME.match(file.name) if file.is_file() else None
        if match is None:
            continue
        original = match["file"]
        resubmitted = CANVAS_RESUBMISSION.match(original)
        if resubmitted:
            original = resubmitted["stem"] + resubmitted["suffix"]
        groups.setdefault(match["user"], []).append((file, original, bool(match["late"])))
    staging = Path(tempfile.mkdtemp(prefix="canvas-", dir=scratch))
    entries = []
    for user, files in sorted(groups.items()):
        times = [dt.datetime.fromtimestamp(f.stat().st_mtime, dt.timezone.utc) for f, _, _ in files]
        late = any(flag for _, _, flag in files)
        if len(files) == 1 and files[0][0].suffix.lower() == ".zip":
            path = files[0][0]
        else:
            # One folder per student holding their files under their original names.
            path = staging / user
            path.mkdir(parents=True, exist_ok=True)
            for file, original, _ in files:
                shutil.copyfile(file, path / original)
        entries.append(Entry(user, path, max(times), late))
    return Batch("canvas", entries, [])


def _folder(root: Path) -> Batch:
    entries, notes = [], []
    for child in sorted(root.iterdir()):
        if child.name in IGNORED or child.name.startswith("."):
            continue
        if child.is_dir() or child.suffix.lower() in SUBMISSION_SUFFIXES:
            student = child.name if child.is_dir() else child.stem
            entries.append(Entry(student, child))
        else:
            notes.append(f"{terminal.clean(child.name)}: not a .py, .ipynb, .zip or folder; skipped")
    return Batch("folder", entries, notes)
