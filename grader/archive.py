"""Safe extraction of a submitted zip file.

Refused: absolute paths, ``..`` components, drive letters, symlinks, more than
``max_files`` entries, more than ``max_bytes`` once decompressed (counted while
extracting, so a zip bomb that lies in its headers is stopped too).
"""

from __future__ import annotations

import datetime as dt
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

# Why: a course submission is a handful of files; 500 leaves room for a notebook's assets.
MAX_FILES = 500
# Why: 50 MiB is far above any source submission and stops a decompression bomb.
MAX_BYTES = 50 * 1024 * 1024
CHUNK = 1 << 16


class ArchiveError(Exception):
    """The zip file is unreadable or unsafe; the message is for the student."""


def safe_extract(archive: Path, dest: Path, *, max_files: int = MAX_FILES, max_bytes: int = MAX_BYTES) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > max_files:
                raise ArchiveError(f"the zip file has {len(members)} entries; the limit is {max_files}")
            total = 0
            for info in members:
                target = _target(dest, info)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if _is_symlink(info):
                    raise ArchiveError(f"the zip file contains a symbolic link ({info.filename!r}); links are not accepted")
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(target, "wb") as out:
                    while True:
                        chunk = source.read(CHUNK)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > max_bytes:
                            raise ArchiveError(f"the zip file unpacks to more than {_size(max_bytes)}")
                        out.write(chunk)
    except ArchiveError:
        raise
    except RuntimeError as exc:  # zipfile's way of saying "encrypted, password required"
        raise ArchiveError(f"the zip file cannot be read (is it password-protected?): {exc}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError,
            OSError, ValueError) as exc:
        raise ArchiveError(f"the zip file cannot be read: {exc}") from None


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _target(dest: Path, info: zipfile.ZipInfo) -> Path:
    name = info.filename
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\0" in name:
        raise ArchiveError(f"the zip file has an unsafe path {name!r}")
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts) or not parts:
        raise ArchiveError(f"the zip file has an unsafe path {name!r}")
    return dest.joinpath(*parts)


# Why: the "extended timestamp" extra field (Info-ZIP's "UT", id 0x5455) holds a true UTC time.
_EXTENDED_TIMESTAMP = 0x5455


def member_times(archive: Path, zone: dt.tzinfo) -> dict[str, dt.datetime]:
    """{member name: the time the zip records for it}, for every file member.

    A zip entry's own date (``ZipInfo.date_time``) is a local time without a zone:
    it is read in ``zone`` (the caller decides and documents which). An entry that
    carries the extended-timestamp extra field (as Info-ZIP's ``zip`` writes it) gives
    its modification time in UTC, which is used instead. Unreadable dates are left out.
    """
    times: dict[str, dt.datetime] = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                when = _extended_mtime(info.extra)
                if when is None:
                    try:
                        when = dt.datetime(*info.date_time, tzinfo=zone)
                    except (TypeError, ValueError):
                        continue
                times[info.filename] = when
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    return times


def _extended_mtime(extra: bytes) -> dt.datetime | None:
    offset = 0
    while offset + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4:offset + 4 + size]
        if kind == _EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            (seconds,) = struct.unpack_from("<i", body, 1)
            try:
                return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
            except (OverflowError, OSError, ValueError):
                return None
        offset += 4 + size
    return None
