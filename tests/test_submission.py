"""Staging a submission (grader/submission.py) and extracting zips safely (grader/archive.py)."""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from pathlib import Path

import pytest

from grader import archive, submission
from grader.archive import ArchiveError
from grader.submission import SubmissionError

MODULE_SOURCE = "def affine_forward(x, w, b):\n    return x @ w + b\n"


# -- helpers ----------------------------------------------------------------

def write(path: Path, text: str = MODULE_SOURCE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def stage(path: Path, tmp_path: Path) -> submission.Submission:
    into = tmp_path / "stage"
    into.mkdir()
    return submission.stage(path, module="layers", into=into)


def stage_error(path: Path, tmp_path: Path) -> str:
    with pytest.raises(SubmissionError) as info:
        stage(path, tmp_path)
    return str(info.value)


def make_zip(path: Path, entries: dict, *, compression=zipfile.ZIP_DEFLATED) -> Path:
    """entries: name -> str/bytes content, or a ZipInfo -> content."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return path


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def relative_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in files_under(folder))


# -- .py files and folders ------------------------------------------------------

def test_single_py_file_is_staged_as_module_py(tmp_path):
    source = write(tmp_path / "in" / "My Solution (2).py")
    result = stage(source, tmp_path)
    assert (result.staged / "layers.py").read_text() == MODULE_SOURCE
    assert relative_files(result.staged) == ["layers.py"]
    assert result.sha256 == hashlib.sha256(MODULE_SOURCE.encode()).hexdigest()
    assert result.source == source


def test_staging_copies_so_the_original_is_untouched(tmp_path):
    source = write(tmp_path / "in" / "layers.py")
    result = stage(source, tmp_path)
    (result.staged / "layers.py").write_text("changed")
    assert source.read_text() == MODULE_SOURCE


def test_folder_with_module_at_top_is_staged(tmp_path):
    folder = tmp_path / "sub"
    write(folder / "layers.py")
    write(folder / "helpers.py", "X = 1\n")
    result = stage(folder, tmp_path)
    assert relative_files(result.staged) == ["helpers.py", "layers.py"]


def test_folder_with_module_nested_one_level_down_is_found(tmp_path):
    folder = tmp_path / "sub"
    write(folder / "hw1" / "layers.py")
    write(folder / "hw1" / "utils.py", "Y = 2\n")
    write(folder / "README.txt", "hi")
    result = stage(folder, tmp_path)
    assert result.staged.name == "hw1"
    assert (result.staged / "layers.py").read_text() == MODULE_SOURCE
    assert (result.staged / "utils.py").is_file()


def test_module_nested_deeper_than_max_depth_is_not_guessed(tmp_path):
    folder = tmp_path / "sub"
    write(folder.joinpath(*["d"] * submission.MAX_DEPTH, "layers.py"))
    assert "has no layers.py" in stage_error(folder, tmp_path)


@pytest.mark.parametrize("ignored", ["__MACOSX", "__pycache__", ".ipynb_checkpoints"])
def test_ignored_folders_are_not_copied_nor_counted_as_a_second_module(tmp_path, ignored):
    folder = tmp_path / "sub"
    write(folder / "hw1" / "layers.py")
    write(folder / ignored / "hw1" / "layers.py", "raise SystemExit\n")
    write(folder / ignored / "._layers.py", "junk")
    result = stage(folder, tmp_path)
    assert result.staged.name == "hw1"
    assert (result.staged / "layers.py").read_text() == MODULE_SOURCE
    assert not any(ignored in p.parts for p in files_under(tmp_path / "stage"))


def test_two_module_files_are_refused_saying_so(tmp_path):
    folder = tmp_path / "sub"
    write(folder / "v1" / "layers.py")
    write(folder / "v2" / "layers.py")
    assert stage_error(folder, tmp_path) == "the submission has 2 files named layers.py; keep exactly one"


def test_folder_without_the_module_is_refused_listing_its_contents(tmp_path):
    folder = tmp_path / "sub"
    write(folder / "main.py", "")
    write(folder / "notes" / "answers.txt", "")
    assert stage_error(folder, tmp_path) == \
        "the submission has no layers.py (it contains: main.py, notes/answers.txt)"


def test_empty_folder_is_refused_saying_it_contains_nothing(tmp_path):
    (tmp_path / "sub").mkdir()
    assert stage_error(tmp_path / "sub", tmp_path) == "the submission has no layers.py (it contains: nothing)"


def test_missing_path_is_refused(tmp_path):
    assert stage_error(tmp_path / "nowhere.py", tmp_path) == "the submission 'nowhere.py' does not exist"


def test_text_file_is_refused(tmp_path):
    source = write(tmp_path / "answer.txt", MODULE_SOURCE)
    assert stage_error(source, tmp_path) == "'answer.txt' is not a .py file, a folder or a .zip file"


def test_symlinks_inside_a_folder_submission_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.txt", "SECRET")
    write(outside / "dir" / "other_secret.txt", "SECRET")
    folder = tmp_path / "sub"
    write(folder / "layers.py")
    os.symlink(outside / "secret.txt", folder / "secret.txt")
    os.symlink(outside / "dir", folder / "linked_dir")
    result = stage(folder, tmp_path)
    assert relative_files(result.staged) == ["layers.py"]
    assert not any(p.is_symlink() for p in (tmp_path / "stage").rglob("*"))


def test_symlinked_module_file_is_not_followed(tmp_path):
    outside = write(tmp_path / "outside" / "layers.py", "SECRET = 1\n")
    folder = tmp_path / "sub"
    folder.mkdir()
    os.symlink(outside, folder / "layers.py")
    assert stage_error(folder, tmp_path).startswith("the submission has no layers.py")


# -- sha256_of ----------------------------------------------------------------

def _folder(root: Path, order: list[str], contents: dict[str, str]) -> Path:
    for name in order:
        write(root / name, contents[name])
    return root


FOLDER_CONTENTS = {"layers.py": MODULE_SOURCE, "b/util.py": "U = 1\n", "a/data.txt": "1 2 3\n", "z.txt": ""}


def test_folder_hash_does_not_depend_on_file_creation_order(tmp_path):
    one = _folder(tmp_path / "one", list(FOLDER_CONTENTS), FOLDER_CONTENTS)
    two = _folder(tmp_path / "two", list(reversed(FOLDER_CONTENTS)), FOLDER_CONTENTS)
    assert submission.sha256_of(one) == submission.sha256_of(two)
    digest = submission.sha256_of(one)
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_folder_hash_changes_when_one_byte_changes(tmp_path):
    folder = _folder(tmp_path / "one", list(FOLDER_CONTENTS), FOLDER_CONTENTS)
    before = submission.sha256_of(folder)
    (folder / "a" / "data.txt").write_text("1 2 4\n")
    assert submission.sha256_of(folder) != before


def test_folder_hash_changes_when_a_file_is_renamed(tmp_path):
    folder = _folder(tmp_path / "one", list(FOLDER_CONTENTS), FOLDER_CONTENTS)
    before = submission.sha256_of(folder)
    (folder / "z.txt").rename(folder / "y.txt")
    assert submission.sha256_of(folder) != before


def test_folder_hash_ignores_symlinks(tmp_path):
    folder = _folder(tmp_path / "one", list(FOLDER_CONTENTS), FOLDER_CONTENTS)
    before = submission.sha256_of(folder)
    write(tmp_path / "outside.txt", "SECRET")
    os.symlink(tmp_path / "outside.txt", folder / "link.txt")
    assert submission.sha256_of(folder) == before


def test_file_hash_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(b"\x00\xffabc")
    assert submission.sha256_of(path) == hashlib.sha256(b"\x00\xffabc").hexdigest()


# -- zips -----------------------------------------------------------------------

def test_normal_zip_is_extracted_and_staged(tmp_path):
    zpath = make_zip(tmp_path / "sub.zip", {"hw1/": "", "hw1/layers.py": MODULE_SOURCE, "hw1/notes.md": "# hi"})
    result = stage(zpath, tmp_path)
    assert result.staged.name == "hw1"
    assert (result.staged / "layers.py").read_text() == MODULE_SOURCE
    assert result.sha256 == hashlib.sha256(zpath.read_bytes()).hexdigest()


def test_zip_with_macosx_metadata_is_staged(tmp_path):
    zpath = make_zip(tmp_path / "sub.zip", {"hw1/layers.py": MODULE_SOURCE,
                                            "__MACOSX/hw1/._layers.py": b"\x00\x05\x16\x07",
                                            "__MACOSX/hw1/layers.py": "junk"})
    assert stage(zpath, tmp_path).staged.name == "hw1"


def test_zip_with_unusual_suffix_is_recognised_by_content(tmp_path):
    zpath = make_zip(tmp_path / "submission.ZIP", {"layers.py": MODULE_SOURCE})
    assert (stage(zpath, tmp_path).staged / "layers.py").read_text() == MODULE_SOURCE


def _symlink_entry(target: str) -> tuple[zipfile.ZipInfo, str]:
    info = zipfile.ZipInfo("layers.py")
    info.external_attr = 0o120777 << 16
    return info, target


UNSAFE = {
    "zip-slip": (lambda root: {"layers.py": MODULE_SOURCE, "../evil.py": "EVIL"}, "unsafe path '../evil.py'"),
    "nested-slip": (lambda root: {"hw/../../evil.py": "EVIL"}, "unsafe path 'hw/../../evil.py'"),
    "absolute": (lambda root: {f"{root}/outside/abs.py": "EVIL"}, "unsafe path '/"),
    "backslash": (lambda root: {"..\\evil.py": "EVIL"}, "unsafe path '..\\\\evil.py'"),
    "drive": (lambda root: {"C:evil.py": "EVIL"}, "unsafe path 'C:evil.py'"),
}


def _build_unsafe(kind: str, tmp_path: Path) -> tuple[Path, str]:
    entries_of, message = UNSAFE[kind]
    zpath = tmp_path / "in" / "sub.zip"
    zpath.parent.mkdir()
    make_zip(zpath, entries_of(tmp_path))
    return zpath, message


@pytest.mark.parametrize("kind", sorted(UNSAFE))
def test_unsafe_zip_paths_are_refused_and_nothing_is_written_outside(tmp_path, kind):
    zpath, message = _build_unsafe(kind, tmp_path)
    dest = tmp_path / "a" / "b" / "dest"
    dest.mkdir(parents=True)
    before = files_under(tmp_path)
    with pytest.raises(ArchiveError) as info:
        archive.safe_extract(zpath, dest)
    assert message in str(info.value)
    assert str(info.value).startswith("the zip file has an unsafe path")
    assert {p for p in files_under(tmp_path) - before if dest not in p.parents} == set()


@pytest.mark.parametrize("kind", sorted(UNSAFE))
def test_unsafe_zip_is_a_submission_error_when_staged(tmp_path, kind):
    zpath, message = _build_unsafe(kind, tmp_path)
    before = files_under(tmp_path)
    assert message in stage_error(zpath, tmp_path)
    unpacked = tmp_path / "stage" / "unpacked"
    assert {p for p in files_under(tmp_path) - before if unpacked not in p.parents} == set()


def test_symlink_entry_in_zip_is_refused(tmp_path):
    target = tmp_path / "outside" / "secret.txt"
    write(target, "SECRET")
    zpath = tmp_path / "sub.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr(*_symlink_entry(str(target)))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError, match="contains a symbolic link \\('layers.py'\\); links are not accepted"):
        archive.safe_extract(zpath, dest)
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert "symbolic link" in stage_error(zpath, tmp_path)


def test_zip_with_too_many_entries_is_refused_before_extracting(tmp_path):
    zpath = make_zip(tmp_path / "sub.zip", {f"f{i}.py": "" for i in range(5)})
    dest = tmp_path / "dest"
    dest.mkdir()
    archive.safe_extract(zpath, dest, max_files=5)
    dest2 = tmp_path / "dest2"
    dest2.mkdir()
    with pytest.raises(ArchiveError, match="^the zip file has 5 entries; the limit is 4$"):
        archive.safe_extract(zpath, dest2, max_files=4)
    assert files_under(dest2) == set()


def test_decompression_bomb_is_stopped_at_max_bytes(tmp_path):
    zpath = make_zip(tmp_path / "bomb.zip", {"layers.py": b"\0" * 400_000})
    assert zpath.stat().st_size < 5_000  # it really is highly compressible
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError, match="^the zip file unpacks to more than"):
        archive.safe_extract(zpath, dest, max_bytes=100_000)
    assert sum(p.stat().st_size for p in files_under(dest)) <= 100_000


def test_decompression_bomb_counts_bytes_across_entries(tmp_path):
    zpath = make_zip(tmp_path / "bomb.zip", {f"part{i}.bin": b"\0" * 30_000 for i in range(5)})
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        archive.safe_extract(zpath, dest, max_bytes=100_000)
    assert sum(p.stat().st_size for p in files_under(dest)) <= 100_000


def test_decompression_bomb_message_states_the_limit_it_enforced(tmp_path):
    zpath = make_zip(tmp_path / "bomb.zip", {"layers.py": b"\0" * 400_000})
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError) as info:
        archive.safe_extract(zpath, dest, max_bytes=100_000)
    assert "more than 0 MiB" not in str(info.value)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 this is not really a zip", b"\x00" * 100],
                         ids=["empty", "bad-magic", "zeros"])
def test_corrupt_zip_is_a_submission_error(tmp_path, content):
    zpath = tmp_path / "sub.zip"
    zpath.write_bytes(content)
    assert stage_error(zpath, tmp_path).startswith("the zip file cannot be read: ")


def test_truncated_zip_is_a_submission_error(tmp_path):
    zpath = make_zip(tmp_path / "full.zip", {"layers.py": MODULE_SOURCE * 50})
    cut = tmp_path / "sub.zip"
    cut.write_bytes(zpath.read_bytes()[: zpath.stat().st_size // 2])
    assert stage_error(cut, tmp_path).startswith("the zip file cannot be read: ")


def _flip_data_bytes(zpath: Path, out: Path, start: int, stop: int) -> Path:
    data = bytearray(zpath.read_bytes())
    info = zipfile.ZipFile(zpath).infolist()[0]
    offset = info.header_offset + 30 + len(info.filename.encode())
    for i in range(offset + start, offset + stop):
        data[i] ^= 0xFF
    out.write_bytes(bytes(data))
    return out


def test_zip_with_bad_crc_is_a_submission_error(tmp_path):
    good = make_zip(tmp_path / "good.zip", {"layers.py": MODULE_SOURCE}, compression=zipfile.ZIP_STORED)
    bad = _flip_data_bytes(good, tmp_path / "sub.zip", 0, 1)
    assert stage_error(bad, tmp_path).startswith("the zip file cannot be read: ")


def test_zip_with_corrupt_compressed_data_is_an_archive_error(tmp_path):
    good = make_zip(tmp_path / "good.zip", {"layers.py": MODULE_SOURCE * 50})
    bad = _flip_data_bytes(good, tmp_path / "sub.zip", 5, 40)
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError, match="cannot be read"):
        archive.safe_extract(bad, dest)


def test_encrypted_zip_is_an_archive_error(tmp_path):
    plain = make_zip(tmp_path / "plain.zip", {"layers.py": MODULE_SOURCE}, compression=zipfile.ZIP_STORED)
    data = bytearray(plain.read_bytes())
    data[data.find(b"PK\x03\x04") + 6] |= 1  # local header: "encrypted" flag bit
    data[data.find(b"PK\x01\x02") + 8] |= 1  # central directory: same bit
    encrypted = tmp_path / "sub.zip"
    encrypted.write_bytes(bytes(data))
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(ArchiveError):
        archive.safe_extract(encrypted, dest)
