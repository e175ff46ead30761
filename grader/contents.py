"""What a released file holds, for the leak check: its text, and the text inside archives and compressed streams.

The leak check (:mod:`grader.leak`) reads text. A file is text when it is UTF-8 with no NUL
byte. What can be opened is opened, recursively: zip members (a zip behind other data too,
as in a self-extractor), tar members, and gzip, bzip2 and xz streams after decompression,
up to :data:`MAX_SCAN_BYTES` per released file, :data:`MAX_ARCHIVE_DEPTH` levels deep and
:data:`MAX_MEMBERS` members per archive. Compressed *text* (``digits.csv.gz``) counts as
text. Anything else (a 7z or rar archive, a numpy array, an image, bytecode) is named for
what it is and listed as unsearched, as is whatever lies beyond the caps or cannot be read.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib

from grader.failure import escape

# Why these caps: they bound the time and memory an archive (a zip bomb, say) can cost
# the leak check; real course material is far below them. What lies beyond is unsearched.
MAX_SCAN_BYTES = 64 * 2**20  # decompressed bytes searched per released file
MAX_ARCHIVE_DEPTH = 6        # archives and compressed streams inside one another
MAX_MEMBERS = 10_000         # members read per archive


@dataclasses.dataclass
class Contents:
    """What the leak check can read in a file (or an archive member)."""

    kind: str | None  # None: text, or compressed text; else what it is ("a zip archive"), and it needs listing
    texts: list[tuple[str, str]]  # (where, text): "data/bundle.zip > notes.txt"
    unsearched: list[str]  # "where (why)" of the parts that could not be opened


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_STREAMS = ((b"\x1f\x8b", "gzip", lambda f: gzip.GzipFile(fileobj=f)), (b"BZh", "bzip2", bz2.BZ2File),
            (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile))
_OPAQUE = ((b"7z\xbc\xaf\x27\x1c", "a 7z archive"), (b"Rar!\x1a\x07", "a rar archive"),
           (b"\x93NUMPY", "a numpy array file (.npy)"))
# Why so many: a damaged or hostile archive must end as "unsearched", never as a crash.
_READ_ERRORS = (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
                tarfile.TarError, zlib.error, lzma.LZMAError, MemoryError)


def _text(data: bytes) -> str | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def contents(data: bytes, *, shown: str, budget: _Budget | None = None, depth: int = 0) -> Contents:
    """What ``data`` (a file shown as ``shown``) holds for the leak check: its text, the text of
    every archive member and decompressed stream it can open, and what it cannot open."""
    budget = budget if budget is not None else _Budget(MAX_SCAN_BYTES)
    if data[:4] in _ZIP_MAGIC:
        return _archive("a zip archive", _zip_members(data), shown, budget, depth)
    for magic, label, opener in _STREAMS:
        if data.startswith(magic):
            try:
                with opener(io.BytesIO(data)) as stream:
                    raw = stream.read(budget.left + 1)
            except _READ_ERRORS:
                break  # not that format after all (a text may start with "BZh"): classified below
            if len(raw) > budget.left:
                return Contents(f"{label}-compressed data", [], [f"{shown} ({label}-compressed, over "
                                                                 f"{MAX_SCAN_BYTES // 2**20} MiB once decompressed)"])
            budget.left -= len(raw)
            if depth >= MAX_ARCHIVE_DEPTH:
                return Contents(f"{label}-compressed data", [], [f"{shown} (nested too deep)"])
            inner = contents(raw, shown=shown, budget=budget, depth=depth + 1)
            if inner.kind is None:
                return inner  # compressed text: searched whole, so it needs no listing
            kind = inner.kind if "-compressed" in inner.kind else f"{inner.kind} ({label}-compressed)"
            return Contents(kind, inner.texts, inner.unsearched)
    text = _text(data)
    if text is not None:
        return Contents(None, [(shown, text)], [])
    if data[257:262] == b"ustar":
        return _archive("a tar archive", _tar_members(data), shown, budget, depth)
    for magic, kind in _OPAQUE:
        if data.startswith(magic):
            return Contents(kind, [], [f"{shown} ({kind})"])
    if shown.endswith((".pyc", ".pyo")):
        kind = "compiled Python bytecode"
    elif zipfile.is_zipfile(io.BytesIO(data)):  # a zip behind other data (a self-extractor, a polyglot)
        return _archive("a zip archive (behind other data)", _zip_members(data), shown, budget, depth)
    else:
        kind = "a binary file (not UTF-8 text)"
    return Contents(kind, [], [f"{shown} ({kind})"])


def _zip_members(data: bytes):
    """(name, read(limit) or None, why not) per member file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            yield "...", None, f"{len(members) - MAX_MEMBERS} members beyond the first {MAX_MEMBERS} not read"
        for info in members[:MAX_MEMBERS]:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                yield info.filename, None, "encrypted"
                continue

            def read(limit, info=info):
                with archive.open(info) as member:
                    return member.read(limit)

            yield info.filename, read, ""


def _tar_members(data: bytes):
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        for number, info in enumerate(archive):
            if number >= MAX_MEMBERS:
                yield "...", None, f"members beyond the first {MAX_MEMBERS} not read"
                break
            if not info.isfile():
                continue  # folders, links, devices: nothing to read

            def read(limit, info=info):
                return archive.extractfile(info).read(limit)

            yield info.name, read, ""


def _archive(kind: str, members, shown: str, budget: _Budget, depth: int) -> Contents:
    found = Contents(kind, [], [])
    try:
        for name, read, why in members:
            where = f"{shown} > {escape(name, 300)}"  # member names are anyone's: no control characters
            if read is None:
                found.unsearched.append(f"{where} ({why})")
                continue
            if depth >= MAX_ARCHIVE_DEPTH:
                found.unsearched.append(f"{where} (nested too deep)")
                continue
            try:
                blob = read(budget.left + 1)
            except _READ_ERRORS as exc:
                found.unsearched.append(f"{where} (cannot be read: {type(exc).__name__})")
                continue
            if len(blob) > budget.left:
                found.unsearched.append(f"{where} (over the {MAX_SCAN_BYTES // 2**20} MiB searched per file)")
                budget.left = 0
                continue
            budget.left -= len(blob)
            inner = contents(blob, shown=where, budget=budget, depth=depth + 1)
            found.texts += inner.texts
            found.unsearched += inner.unsearched
    except _READ_ERRORS as exc:
        found.unsearched.append(f"{shown} (a damaged archive: {type(exc).__name__})")
    return found

