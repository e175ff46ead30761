"""Reading a folder of downloaded submissions: one entry per student, whatever the LMS.

Student ids are kept exactly as the LMS gives them (they may hold anything,
escape bytes and formulas included: see :mod:`grader.terminal` and
:func:`grader.gradebook.csv_rows` for how they are printed and written). Notes
and error messages quote them made printable.

Layouts, detected in this order:

``gradescope``
    Gradescope's "Export Submissions": a folder (or a zip of it) holding
    ``submission_metadata.yml`` and one ``submission_<id>/`` folder per
    submission. The student id is each submitter's ``:sid:`` (else their
    email): a group submission gives one entry whose ``also`` lists the other
    submitters, who get the group's grade. The time is ``:created_at:``.
``canvas``
    Canvas's "Download Submissions": files named
    ``<name>_<userid>_<submissionid>_<filename>``, with ``LATE`` after the name
    for late ones, e.g. ``doejane_LATE_1234_98765_layers.py``; a student's files are
    grouped into one submission. Canvas numbers a file uploaded again under the same
    name (``layers-1.py``, ``layers-2.py``): of one student's files that are the same
    file, the latest by that numbering (then by the id Canvas gave it) is graded under
    the original name, and the entry's notes say which files were left out. The
    student id is the user id. The time is the date of the file's entry in the zip
    when graded from the zip (read in the zone the caller gives: the batch uses the
    due date's UTC offset), else the file's modification time, which copying may
    have changed (``time_source`` says which).
``folder``
    Anything else: each ``.py``, ``.ipynb``, ``.zip`` or folder is one student,
    named by its file name without extension. No times.

Whatever is left out is listed in :attr:`Batch.skipped` with its reason (and in
the notes). A download in which no submission is found is a :class:`LayoutError`.
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
from grader.error import UsageError

SUBMISSION_SUFFIXES = {".py", ".ipynb", ".zip"}
CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<number>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")
IGNORED = {"__MACOSX", ".DS_Store", "__pycache__"}


class LayoutError(UsageError):
    """The submissions folder cannot be read; the message says why and where. A usage error
    (the operator pointed the batch at something that is not a download): nothing is graded.

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
    # Where submitted_at comes from: "zip" (the entry's date in the LMS's zip), "lms" (a time
    # the LMS wrote down, Gradescope's :created_at:), "file" (a file's modification time,
    # which copying may have changed) or "" (none).
    time_source: str = ""
    notes: tuple[str, ...] = ()  # for this student's result (e.g. Canvas files left out)
    also: tuple[str, ...] = ()  # the other submitters of a group submission: same grade, own row


@dataclasses.dataclass
class Batch:
    layout: str
    entries: list[Entry]
    notes: list[str]
    _tmp: tempfile.TemporaryDirectory | None = None
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (entry name, why), printable

    @property
    def student_ids(self) -> list[str]:
        return [sid for e in self.entries for sid in (e.student_id, *e.also)]

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def read(path: Path, *, zip_zone: dt.tzinfo = dt.timezone.utc) -> Batch:
    """The entries of a submissions folder or zip; :class:`LayoutError` if it cannot be read
    or holds no submission. ``zip_zone``: the time zone a zip entry's date (which has none)
    is read in."""
    path = Path(path)
    tmp = None
    zip_times: dict[str, dt.datetime] = {}
    if path.is_file() and zipfile.is_zipfile(path):
        tmp = tempfile.TemporaryDirectory(prefix="nngrade-batch-")
        try:
            # Why larger caps: a whole class's download, not one submission.
            archive.safe_extract(path, Path(tmp.name), max_files=100_000, max_bytes=4 * 1024**3)
        except archive.ArchiveError as exc:
            tmp.cleanup()
            raise LayoutError(f"{path}: {exc}") from None
        zip_times = {str(Path(tmp.name) / name): when for name, when in archive.member_times(path, zip_zone).items()}
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
            batch = _canvas(root, Path(tmp.name), zip_times)
        else:
            batch = _folder(root)
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        raise
    batch._tmp = tmp
    ids = batch.student_ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        batch.cleanup()
        raise LayoutError(f"{path}: several submissions for student(s) {', '.join(map(terminal.clean, duplicates))}")
    if not batch.entries:
        batch.cleanup()
        reasons = "; ".join(f"{name}: {why}" for name, why in batch.skipped[:5])
        more = f" (and {len(batch.skipped) - 5} more)" if len(batch.skipped) > 5 else ""
        raise LayoutError(f"{path}: no submission found ({batch.layout} layout, "
                          + (f"{len(batch.skipped)} entries skipped: {reasons}{more})" if batch.skipped
                             else "it is empty)"))
    return batch


def _skip(batch_skipped: list, notes: list, name: object, why: str) -> None:
    name = terminal.clean(str(name))
    batch_skipped.append((name, why))
    notes.append(f"{name}: {why}; skipped")


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
    entries, notes, skipped = [], [], []
    listed = set()
    for folder_name, record in sorted(metadata.items(), key=lambda kv: str(kv[0])):
        listed.add(str(folder_name))
        folder = root / str(folder_name)
        submitters = record.get(":submitters") if isinstance(record, dict) else None
        if not folder.is_dir() or not submitters or not isinstance(submitters, list):
            _skip(skipped, notes, folder_name, "no folder or no submitter in the metadata")
            continue
        ids = []
        for submitter in submitters:
            submitter = submitter if isinstance(submitter, dict) else {}
            sid = submitter.get(":sid") or submitter.get(":email")
            if sid is not None and str(sid) not in ids:
                ids.append(str(sid))
        ids = ids or [str(folder_name)]
        entry_notes = ()
        if len(ids) > 1:
            entry_notes = (f"group submission of {', '.join(ids)}: graded once, under {ids[0]}'s seed; "
                           "every submitter gets this grade",)
        entries.append(Entry(ids[0], folder, _timestamp(record.get(":created_at")), time_source="lms",
                             notes=entry_notes, also=tuple(ids[1:])))
    for child in sorted(root.iterdir()):
        if child.name not in listed and child.name != "submission_metadata.yml" and child.name not in IGNORED \
                and not child.name.startswith("."):
            _skip(skipped, notes, child.name, "not listed in submission_metadata.yml")
    return Batch("gradescope", entries, notes, skipped=skipped)


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


def _canvas(root: Path, scratch: Path, zip_times: dict[str, dt.datetime]) -> Batch:
    # {user: {original file name: [(resubmission number, canvas id, file, late)]}}
    groups: dict[str, dict[str, list[tuple[int, int, Path, bool]]]] = {}
    notes, skipped = [], []
    for file in sorted(root.iterdir()):
        if file.name in IGNORED:
            continue
        match = CANVAS_NAME.match(file.name) if file.is_file() else None
        if match is None:
            _skip(skipped, notes, file.name, "a folder in a Canvas download" if file.is_dir()
                  else "not named like a Canvas submission file")
            continue
        original, number = match["file"], 0
        resubmitted = CANVAS_RESUBMISSION.match(original)
        if resubmitted:
            original = resubmitted["stem"] + resubmitted["suffix"]
            number = int(resubmitted["number"])
        groups.setdefault(match["user"], {}).setdefault(original, []).append(
            (number, int(match["sub"]), file, bool(match["late"])))
    staging = Path(tempfile.mkdtemp(prefix="canvas-", dir=scratch))
    entries = []
    for user, files in sorted(groups.items()):
        chosen: dict[str, tuple[int, int, Path, bool]] = {}
        entry_notes = []
        for original, versions in sorted(files.items()):
            versions.sort(key=lambda v: (v[0], v[1]))
            chosen[original] = versions[-1]
            if len(versions) > 1:
                left_out = ", ".join(_canvas_file(v[2]) for v in versions[:-1])
                entry_notes.append(f"Canvas holds {len(versions)} versions of {original}: graded the latest by "
                                   f"Canvas's numbering, {_canvas_file(versions[-1][2])}; left out {left_out}")
        times, sources = [], set()
        for _, _, file, _ in chosen.values():
            if str(file) in zip_times:
                times.append(zip_times[str(file)])
                sources.add("zip")
            else:
                times.append(dt.datetime.fromtimestamp(file.stat().st_mtime, dt.timezone.utc))
                sources.add("file")
        late = any(v[3] for v in chosen.values())
        if len(chosen) == 1 and next(iter(chosen.values()))[2].suffix.lower() == ".zip":
            path = next(iter(chosen.values()))[2]
        else:
            # One folder per student holding their files under their original names.
            path = staging / user
            path.mkdir(parents=True, exist_ok=True)
            for original, (_, _, file, _) in chosen.items():
                shutil.copyfile(file, path / original)
        entries.append(Entry(user, path, max(times), late, time_source="file" if "file" in sources else "zip",
                             notes=tuple(entry_notes)))
    return Batch("canvas", entries, notes, skipped=skipped)


def _canvas_file(path: Path) -> str:
    return CANVAS_NAME.match(path.name)["file"]


def _folder(root: Path) -> Batch:
    entries, notes, skipped = [], [], []
    for child in sorted(root.iterdir()):
        if child.name in IGNORED:
            continue
        if child.name.startswith("."):
            _skip(skipped, notes, child.name, "a hidden file or folder")
        elif child.is_dir() or child.suffix.lower() in SUBMISSION_SUFFIXES:
            student = child.name if child.is_dir() else child.stem
            entries.append(Entry(student, child))
        else:
            _skip(skipped, notes, child.name, "not a .py, .ipynb, .zip or folder")
    return Batch("folder", entries, notes, skipped=skipped)
