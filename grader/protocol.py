"""The wire format between the trusted grader and the worker that runs student code.

A message is one frame: an 8-byte big-endian length, then a 4-byte length of a
UTF-8 JSON header, the header, and the binary blobs it refers to (numpy arrays
as ``.npy`` bytes). Only plain data crosses:

========================  =========================================
Python value              JSON node
========================  =========================================
None, bool, int, str      themselves
finite float              a JSON number
nan / inf / -inf          ``{"float": "nan"}`` (``"inf"``, ``"-inf"``)
list / tuple              ``{"list": [...]}`` / ``{"tuple": [...]}``
dict (str or int keys)    ``{"dict": [[key, value], ...]}``
numpy.ndarray             ``{"ndarray": blob_index}``
numpy scalar              ``{"scalar": blob_index}`` (a 0-d ``.npy``)
object kept in worker     ``{"handle": id, "type": "name"}``
========================  =========================================

:func:`decode` is what the trusted side uses on everything a worker sends: it
never unpickles, checks every ``.npy`` header (dtype kind, native byte order,
shape, size) before reading the array, and rejects anything else.
This module is imported by both sides and imports nothing of the grader's.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
from typing import Any, BinaryIO, Callable

import numpy as np

FRAME_HEADER = struct.Struct(">Q")
JSON_HEADER = struct.Struct(">I")
# dtype kinds allowed across the boundary: bool, signed/unsigned int, float, complex.
PLAIN_DTYPE_KINDS = frozenset("biufc")
# Why: numpy itself stops at 64 dimensions; no value of an assignment has more than a few,
# and a header promising 100 made numpy raise inside the trusted process.
MAX_DIMENSIONS = 32
# Why: a .npy header is a short dict literal; read_npy looks at no more than this of a blob.
NPY_HEADER_BYTES = 4096


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class Handle:
    """An object that lives in the worker (a layer's cache, a student class instance).

    The trusted side can only pass it back to later calls on the same worker;
    it cannot look inside it.
    """

    __slots__ = ("id", "type_name", "generation", "changes")

    def __init__(self, id: int, type_name: str, generation: int, changes: tuple = ()):
        self.id = id
        self.type_name = type_name
        self.generation = generation
        # After a call that got this object as an argument: the worker's account of
        # which arrays inside it the call changed in place (e.g. "x (3 of 12 entries)").
        # Only ever a reason to fail a mutation check, never to pass one.
        self.changes = changes

    def __repr__(self) -> str:
        return f"<object of type {self.type_name!r} kept in the worker>"


def is_plain_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in PLAIN_DTYPE_KINDS and not value.dtype.fields


def encode(value: Any, blobs: list, keep: Callable[[Any], dict] | None = None, depth: int = 0) -> Any:
    """Turn ``value`` into a JSON node, appending array bytes to ``blobs``.

    ``keep`` is called for values that are not plain data and returns their
    handle node; without it such values raise :class:`TypeError`.
    """
    if depth > 64:
        raise TypeError("value nested too deeply to send")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):  # before float/int: np.float64 subclasses float
        if value.dtype.kind in PLAIN_DTYPE_KINDS and not value.dtype.fields:
            blobs.append(_npy_bytes(np.asarray(value)))
            return {"scalar": len(blobs) - 1}
    elif isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    elif isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    elif isinstance(value, Handle):
        return {"handle": value.id}
    elif isinstance(value, np.ndarray):
        if is_plain_array(value):
            blobs.append(_npy_bytes(value))
            return {"ndarray": len(blobs) - 1}
    elif type(value) in (list, tuple):
        tag = "list" if type(value) is list else "tuple"
        return {tag: [encode(v, blobs, keep, depth + 1) for v in value]}
    elif type(value) is dict and all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in value):
        return {"dict": [[k, encode(v, blobs, keep, depth + 1)] for k, v in value.items()]}
    if keep is None:
        raise TypeError(f"cannot send a value of type {type(value).__name__}")
    return keep(value)


def _npy_bytes(array: np.ndarray) -> bytes:
    # np.asarray drops ndarray subclasses: only the numbers cross, never behaviour.
    # (Not ascontiguousarray: it would turn a 0-d array into shape (1,).)
    array = np.asarray(array)
    if array.dtype.kind in PLAIN_DTYPE_KINDS and array.dtype.byteorder in "=|" and array.flags.c_contiguous:
        # The header numpy writes (format 1.0), built here: write_array costs ~30 µs an array.
        header = f"{{'descr': '{array.dtype.str}', 'fortran_order': False, 'shape': {array.shape!r}, }}"
        header += " " * (-(len(header) + 11) % 64) + "\n"
        return b"".join((_NPY_MAGIC_1_0, struct.pack("<H", len(header)), header.encode("latin1"),
                         array.tobytes()))
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


_NPY_MAGIC_1_0 = b"\x93NUMPY\x01\x00"
# The header _npy_bytes writes for a plain array, read without numpy's literal_eval (~40 µs an array);
# any other header is read by numpy's own parser.
_PLAIN_NPY_HEADER = re.compile(rb"\{'descr': '([<|>][biufc][0-9]{1,2})', 'fortran_order': (False|True), "
                               rb"'shape': \(((?:[0-9]{1,19}, )*(?:[0-9]{1,19},?)?)\), \} *\n")


def _read_plain_header(data) -> tuple[tuple, bool, np.dtype, int] | None:
    """(shape, fortran order, dtype, data offset) of a format 1.0 header in _npy_bytes's form, else None."""
    if bytes(data[:8]) != _NPY_MAGIC_1_0 or len(data) < 10:
        return None
    length = data[8] | (data[9] << 8)
    match = _PLAIN_NPY_HEADER.fullmatch(bytes(data[10:10 + length])) if length <= NPY_HEADER_BYTES else None
    if match is None:
        return None
    shape = tuple(int(d) for d in match.group(3).split(b",") if d.strip())
    return shape, match.group(2) == b"True", np.dtype(match.group(1).decode("ascii")), 10 + length


def read_npy(data, *, max_bytes: int) -> np.ndarray:
    """Read one ``.npy`` blob (bytes or a memoryview) after checking its header; never unpickles.

    Every failure is a :class:`ProtocolError`: whatever the blob holds, it is the sender's fault."""
    try:
        plain = _read_plain_header(data)
    except (TypeError, ValueError) as exc:  # a descr numpy does not know ('<u9')
        raise ProtocolError(f"malformed .npy header: {exc}") from None
    if plain is not None:
        shape, fortran, dtype, offset = plain
        return _checked_array(data, shape, fortran, dtype, offset, max_bytes)
    fp = io.BytesIO(bytes(data[:NPY_HEADER_BYTES + 16]))  # the header only: the data is not copied here
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=NPY_HEADER_BYTES)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=NPY_HEADER_BYTES)
        else:
            raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as exc:  # malformed header: numpy raises ValueError and friends
        raise ProtocolError(f"malformed .npy header: {exc}") from None
    return _checked_array(data, shape, fortran, dtype, fp.tell(), max_bytes)


def _checked_array(data, shape, fortran: bool, dtype: np.dtype, offset: int, max_bytes: int) -> np.ndarray:
    if dtype.hasobject or dtype.fields or dtype.kind not in PLAIN_DTYPE_KINDS or dtype.subdtype is not None:
        raise ProtocolError(f"array dtype {dtype.str} is not a plain number type")
    if dtype.byteorder not in ("=", "|"):
        raise ProtocolError(f"array dtype {dtype.str} is not in native byte order")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ProtocolError(f"array shape {shape!r} is invalid")
    if len(shape) > MAX_DIMENSIONS:
        raise ProtocolError(f"array has {len(shape)} dimensions, more than {MAX_DIMENSIONS}")
    if any(d > max(len(data), 1) for d in shape):
        raise ProtocolError(f"array shape {shape!r} has a dimension larger than the {len(data)} bytes sent")
    count = 1
    for d in shape:
        count *= d
    nbytes = count * dtype.itemsize
    if nbytes > max_bytes:
        raise ProtocolError(f"array of {nbytes} bytes exceeds the limit of {max_bytes} bytes")
    if len(data) - offset != nbytes:
        raise ProtocolError(f"array data has {len(data) - offset} bytes, header promises {nbytes}")
    try:
        array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        return array.reshape(shape, order="F" if fortran else "C").copy()
    except Exception as exc:  # numpy's own limits (e.g. a size that overflows): still the sender's fault
        raise ProtocolError(f"array could not be read: {exc}") from None


def decode(node: Any, blobs: list, *, max_array_bytes: int, max_depth: int,
           resolve: Callable[[dict], Any], depth: int = 0) -> Any:
    """Rebuild a value from a JSON node; reject anything that is not plain data.

    ``resolve`` turns a handle node into the caller's object for it.
    """
    if depth > max_depth:
        raise ProtocolError(f"value nested deeper than {max_depth} levels")
    if node is None or isinstance(node, (bool, str)):
        return node
    if isinstance(node, int):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, dict) and len(node) in (1, 2):
        if "handle" in node:
            if set(node) - {"handle", "type"} or not isinstance(node["handle"], int) \
                    or isinstance(node["handle"], bool) or not isinstance(node.get("type", ""), str):
                raise ProtocolError("malformed handle")
            return resolve(node)
        if len(node) != 1:
            raise ProtocolError(f"unknown value node with keys {sorted(node)[:4]}")
        (tag, body), = node.items()
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("list", "tuple") and isinstance(body, list):
            items = [decode(v, blobs, max_array_bytes=max_array_bytes, max_depth=max_depth,
                            resolve=resolve, depth=depth + 1) for v in body]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                        and not isinstance(pair[0], bool)):
                    raise ProtocolError("malformed dict entry")
                out[pair[0]] = decode(pair[1], blobs, max_array_bytes=max_array_bytes,
                                      max_depth=max_depth, resolve=resolve, depth=depth + 1)
            return out
        if tag in ("ndarray", "scalar") and isinstance(body, int) and not isinstance(body, bool):
            if not 0 <= body < len(blobs):
                raise ProtocolError("array refers to a missing blob")
            array = read_npy(blobs[body], max_bytes=max_array_bytes)
            if tag == "scalar":
                if array.shape != ():
                    raise ProtocolError("scalar blob is not 0-dimensional")
                return array[()]
            return array
    raise ProtocolError(f"unknown value node of type {type(node).__name__}")


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"non-standard JSON constant {name}")


def pack(message: dict, blobs: list) -> bytes:
    """One frame holding ``message`` (already encoded) and its blobs."""
    header = json.dumps({"message": message, "blobs": [len(b) for b in blobs]},
                        allow_nan=False, separators=(",", ":")).encode("utf-8")
    payload_len = JSON_HEADER.size + len(header) + sum(len(b) for b in blobs)
    return b"".join([FRAME_HEADER.pack(payload_len), JSON_HEADER.pack(len(header)), header, *blobs])


def unpack(payload, *, max_json_bytes: int | None = None) -> tuple[dict, list]:
    """Split a frame's payload (bytes, bytearray or memoryview) into its message and blobs
    (no values decoded yet; blobs are views into ``payload``, not copies).

    A JSON part longer than ``max_json_bytes`` is refused before it is parsed."""
    payload = memoryview(payload)
    if len(payload) < JSON_HEADER.size:
        raise ProtocolError("frame too short")
    (header_len,) = JSON_HEADER.unpack_from(payload)
    start = JSON_HEADER.size
    if header_len > len(payload) - start:
        raise ProtocolError("frame header longer than the frame")
    if max_json_bytes is not None and header_len > max_json_bytes:
        raise ProtocolError(f"the JSON part of the message is {header_len} bytes, over the limit of "
                            f"{max_json_bytes} bytes (arrays travel as blobs; only their description is JSON)")
    try:
        header = json.loads(bytes(payload[start:start + header_len]).decode("utf-8"),
                            parse_constant=_reject_constant)
    except ProtocolError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"frame header is not valid JSON: {exc}") from None
    if not (isinstance(header, dict) and set(header) == {"message", "blobs"}
            and isinstance(header["message"], dict) and isinstance(header["blobs"], list)
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in header["blobs"])):
        raise ProtocolError("frame header has the wrong shape")
    blobs, offset = [], start + header_len
    for n in header["blobs"]:
        if offset + n > len(payload):
            raise ProtocolError("blob runs past the end of the frame")
        blobs.append(payload[offset:offset + n])
        offset += n
    if offset != len(payload):
        raise ProtocolError("trailing bytes after the last blob")
    return header["message"], blobs


def read_frame(stream: BinaryIO, *, max_bytes: int) -> bytearray | None:
    """Read one frame's payload; None at a clean end of stream."""
    head = _read_exact(stream, FRAME_HEADER.size)
    if head is None:
        return None
    (length,) = FRAME_HEADER.unpack(head)
    if length > max_bytes:
        raise ProtocolError(f"message of {length} bytes exceeds the limit of {max_bytes} bytes")
    payload = _read_exact(stream, length)
    if payload is None:
        raise ProtocolError("stream ended inside a message")
    return payload


def _read_exact(stream: BinaryIO, n: int) -> bytearray | None:
    # Read into one buffer of the final size: a frame costs its own size in memory, not twice that.
    buffer = bytearray(n)
    view, done = memoryview(buffer), 0
    while done < n:
        got = stream.readinto(view[done:])  # binary files, pipes and BytesIO all have it
        if not got:
            if done == 0:
                return None
            raise ProtocolError("stream ended inside a message")
        done += got
    return buffer
