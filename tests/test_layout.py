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


# --- Issue 11: times from what the LMS recorded, Canvas duplicates, groups, nothing skipped silently.

LMS = os.path.join(os.path.dirname(__file__), "fixtures", "lms")


def write_canvas_zip(path, files):
    """A Canvas zip: {entry name: (text, (Y, M, D, h, m, s) as Canvas dates the entry, in UTC)}."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, (text, when) in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def test_canvas_zip_gives_each_student_the_date_of_their_entry_not_the_time_it_was_unpacked(tmp_path):
    archive = write_canvas_zip(tmp_path / "submissions.zip", {
        "lovelaceada_1001_555001_layers.py": ("a = 1\n", (2026, 11, 20, 22, 0, 0)),
        "turingalan_LATE_1002_555002_layers.py": ("b = 2\n", (2026, 11, 22, 11, 0, 0)),
    })
    batch = layout.read(archive)
    try:
        by_id = {e.student_id: e for e in batch.entries}
        assert by_id["1001"].submitted_at == dt.datetime(2026, 11, 20, 22, 0, tzinfo=dt.timezone.utc)
        assert by_id["1002"].submitted_at == dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.timezone.utc)
        assert {e.time_source for e in batch.entries} == {"zip"}
    finally:
        batch.cleanup()


def test_zip_entry_dates_are_read_in_the_zone_given_and_an_extended_utc_timestamp_wins(tmp_path):
    import struct

    archive = tmp_path / "submissions.zip"
    utc = dt.datetime(2026, 11, 21, 3, 30, tzinfo=dt.timezone.utc)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(zipfile.ZipInfo("a_1001_1_layers.py", date_time=(2026, 11, 20, 22, 0, 0)), "a = 1\n")
        stamped = zipfile.ZipInfo("b_1002_2_layers.py", date_time=(1999, 1, 1, 0, 0, 0))
        stamped.extra = struct.pack("<HHBi", 0x5455, 5, 1, int(utc.timestamp()))
        zf.writestr(stamped, "b = 2\n")
    zone = dt.timezone(dt.timedelta(hours=-5))
    batch = layout.read(archive, zip_zone=zone)
    try:
        by_id = {e.student_id: e.submitted_at for e in batch.entries}
        assert by_id["1001"] == dt.datetime(2026, 11, 20, 22, 0, tzinfo=zone)
        assert by_id["1002"] == utc
    finally:
        batch.cleanup()


def test_canvas_resubmissions_grade_the_latest_by_canvas_numbering_and_say_which_files_were_left_out(tmp_path):
    root = tmp_path / "canvas"
    root.mkdir()
    for name, text in {"doe_1001_5001_layers.py": "first\n", "doe_1001_5002_layers-1.py": "second\n",
                       "doe_1001_5003_layers-2.py": "third\n", "doe_1001_5001_helpers.py": "h\n",
                       "roe_1002_6001_layers-9.py": "nine\n", "roe_1002_6002_layers-10.py": "ten\n"}.items():
        (root / name).write_text(text)
    batch = layout.read(root)
    try:
        by_id = {e.student_id: e for e in batch.entries}
        assert (by_id["1001"].path / "layers.py").read_text() == "third\n"
        assert sorted(p.name for p in by_id["1001"].path.iterdir()) == ["helpers.py", "layers.py"]
        assert (by_id["1002"].path / "layers.py").read_text() == "ten\n", "numbering, not the names' order"
        assert by_id["1001"].notes == ("Canvas holds 3 versions of layers.py: graded the latest by Canvas's "
                                       "numbering, layers-2.py; left out layers.py, layers-1.py",)
        assert by_id["1001"].time_source == "file"
    finally:
        batch.cleanup()


def test_every_submitter_of_a_gradescope_group_submission_gets_an_entry(tmp_path):
    root = tmp_path / "export"
    (root / "submission_7").mkdir(parents=True)
    (root / "submission_7" / "layers.py").write_text("x = 1\n")
    (root / "submission_metadata.yml").write_text(
        "submission_7:\n  :submitters:\n  - :name: Ada\n    :sid: 'A1'\n  - :name: Alan\n    :email: alan@example.edu\n"
        "  :created_at: 2026-11-20 10:00:00 +00:00\n")
    batch = layout.read(root)
    assert [(e.student_id, e.also) for e in batch.entries] == [("A1", ("alan@example.edu",))]
    assert batch.student_ids == ["A1", "alan@example.edu"]
    assert "group submission of A1, alan@example.edu" in batch.entries[0].notes[0]


def test_every_skipped_entry_is_reported_with_its_reason(tmp_path):
    root = tmp_path / "export"
    (root / "submission_7").mkdir(parents=True)
    (root / "submission_8").mkdir()
    (root / "submission_metadata.yml").write_text(
        "submission_7:\n  :submitters:\n  - :sid: 'A1'\n  :created_at: 2026-11-20 10:00:00 +00:00\n"
        "submission_6:\n  :submitters:\n  - :sid: 'A0'\n")
    batch = layout.read(root)
    assert batch.skipped == [("submission_6", "no folder or no submitter in the metadata"),
                             ("submission_8", "not listed in submission_metadata.yml")]
    canvas = tmp_path / "canvas"
    (canvas / "extra_folder").mkdir(parents=True)
    (canvas / "doe_1001_5001_layers.py").write_text("x = 1\n")
    batch = layout.read(canvas)
    try:
        assert batch.layout == "canvas"
        assert batch.skipped == [("extra_folder", "a folder in a Canvas download")]
    finally:
        batch.cleanup()


@pytest.mark.parametrize("download", ["empty zip", "empty folder", "metadata that matches no folder"])
def test_a_download_with_no_submission_is_refused_saying_what_was_skipped(tmp_path, download):
    if download == "empty zip":
        path = tmp_path / "empty.zip"
        zipfile.ZipFile(path, "w").close()
    elif download == "empty folder":
        path = tmp_path / "empty"
        path.mkdir()
    else:
        path = os.path.join(LMS, "gradescope_metadata_matches_no_folder")
    with pytest.raises(layout.LayoutError, match="no submission found") as caught:
        layout.read(path)
    if download == "metadata that matches no folder":
        assert "3 entries skipped: submission_1: no folder" in str(caught.value)
        assert "submission_9: not listed in submission_metadata.yml" in str(caught.value)
