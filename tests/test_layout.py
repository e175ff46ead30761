"""Reading LMS downloads: the right student ids, times and late marks for each layout."""

import datetime as dt
import os
import zipfile

import pytest

from grader import layout

GRADESCOPE_METADATA = """\
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '2024001'
    :email: ada@example.edu
  :created_at: 2026-11-20 23:15:02.123456789 -08:00
  :score: 0.0
submission_102:
  :submitters:
  - :name: Alan Turing
    :email: alan@example.edu
  :created_at: 2026-11-21 09:00:00.000000000 +00:00
"""


def write_gradescope_export(root):
    root.mkdir(parents=True)
    (root / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    for folder in ("submission_101", "submission_102"):
        (root / folder).mkdir()
        (root / folder / "layers.py").write_text("x = 1\n")
    return root


def test_gradescope_export_gives_sid_or_email_and_submission_time(tmp_path):
    batch = layout.read(write_gradescope_export(tmp_path / "export"))
    assert batch.layout == "gradescope"
    by_id = {e.student_id: e for e in batch.entries}
    assert set(by_id) == {"2024001", "alan@example.edu"}
    assert by_id["2024001"].path.name == "submission_101"
    assert by_id["2024001"].submitted_at == dt.datetime(2026, 11, 21, 7, 15, 2, 123456, tzinfo=dt.timezone.utc)


def test_zipped_gradescope_export_is_read_the_same(tmp_path):
    root = write_gradescope_export(tmp_path / "export")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in root.rglob("*"):
            zf.write(path, "assignment_1_export/" + path.relative_to(root).as_posix())
    batch = layout.read(archive)
    try:
        assert batch.layout == "gradescope"
        assert sorted(e.student_id for e in batch.entries) == ["2024001", "alan@example.edu"]
        assert all((e.path / "layers.py").is_file() for e in batch.entries)
    finally:
        batch.cleanup()


def write_canvas_download(root):
    root.mkdir(parents=True)
    files = {
        "lovelaceada_1001_555001_layers.py": "a = 1\n",
        "turingalan_LATE_1002_555002_layers-1.py": "b = 2\n",
        "hopper grace_1003_555003_layers.py": "c = 3\n",
        "hopper grace_1003_555003_helpers.py": "d = 4\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    when = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    os.utime(root / "turingalan_LATE_1002_555002_layers-1.py", (when, when))
    return root


def test_canvas_download_groups_files_by_user_id_and_strips_resubmission_suffixes(tmp_path):
    batch = layout.read(write_canvas_download(tmp_path / "canvas"))
    try:
        assert batch.layout == "canvas"
        by_id = {e.student_id: e for e in batch.entries}
        assert set(by_id) == {"1001", "1002", "1003"}
        assert (by_id["1002"].path / "layers.py").read_text() == "b = 2\n"
        assert sorted(p.name for p in by_id["1003"].path.iterdir()) == ["helpers.py", "layers.py"]
        assert by_id["1002"].marked_late and not by_id["1001"].marked_late
        assert by_id["1002"].submitted_at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)
    finally:
        batch.cleanup()


def test_zipped_canvas_download_is_read_the_same(tmp_path):
    root = write_canvas_download(tmp_path / "canvas")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in root.iterdir():
            zf.write(path, path.name)
    batch = layout.read(archive)
    try:
        assert batch.layout == "canvas"
        assert sorted(e.student_id for e in batch.entries) == ["1001", "1002", "1003"]
    finally:
        batch.cleanup()


def test_plain_folder_gives_one_student_per_file_or_folder_and_notes_the_rest(tmp_path):
    (tmp_path / "ada.py").write_text("")
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "carol").mkdir()
    (tmp_path / "notes.txt").write_text("")
    batch = layout.read(tmp_path)
    assert batch.layout == "folder"
    assert [e.student_id for e in batch.entries] == ["ada", "bob", "carol"]
    assert batch.notes == ["notes.txt: not a .py, .ipynb, .zip or folder; skipped"]


def test_two_submissions_for_one_student_are_refused(tmp_path):
    (tmp_path / "ada.py").write_text("")
    (tmp_path / "ada").mkdir()
    with pytest.raises(layout.LayoutError, match="several submissions for student"):
        layout.read(tmp_path)


def test_a_file_that_is_not_a_download_is_refused(tmp_path):
    (tmp_path / "grades.txt").write_text("")
    with pytest.raises(layout.LayoutError, match="not a folder or a zip"):
        layout.read(tmp_path / "grades.txt")
