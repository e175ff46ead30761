"""The wire format between the trusted grader and the worker (grader/protocol.py).

The trusted side decodes everything a worker sends with :func:`protocol.decode`;
these tests pin down what crosses intact and what is refused (never unpickled).
"""

from __future__ import annotations

import io
import json
import math
import sys

import numpy as np
import pytest

from grader import protocol
from grader.protocol import FRAME_HEADER, JSON_HEADER, ProtocolError, pack, unpack

MAX_ARRAY = 1 << 20
MAX_DEPTH = 32


# -- helpers ----------------------------------------------------------------

def _no_handles(node):
    raise AssertionError(f"resolve must not be called for {node!r}")


def _decode(node, blobs, *, max_array_bytes=MAX_ARRAY, max_depth=MAX_DEPTH, resolve=_no_handles):
    return protocol.decode(node, blobs, max_array_bytes=max_array_bytes, max_depth=max_depth,
                           resolve=resolve)


def round_trip(value, *, keep=None, resolve=_no_handles):
    """encode -> pack -> read_frame -> unpack -> decode, as the two processes do."""
    blobs: list = []
    node = protocol.encode(value, blobs, keep=keep)
    frame = protocol.pack({"v": node}, blobs)
    payload = protocol.read_frame(io.BytesIO(frame), max_bytes=len(frame))
    message, got_blobs = protocol.unpack(payload)
    return _decode(message["v"], got_blobs, resolve=resolve)


def npy(array: np.ndarray, *, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_with_header(header: dict, data: bytes) -> bytes:
    """A version-1.0 .npy blob with a hand-written header dict."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def payload_with_header(header_json: bytes, *blobs: bytes) -> bytes:
    return protocol.JSON_HEADER.pack(len(header_json)) + header_json + b"".join(blobs)


def assert_same_array(got, expected):
    assert type(got) is np.ndarray, type(got)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert np.array_equal(got, expected, equal_nan=expected.dtype.kind in "fc")


# -- round trips ------------------------------------------------------------

@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**100, -(2**80) + 3, 0.0, -0.0, 1.5, -3.25e-300,
                                   1.7976931348623157e308, "", "héllo\n\x00"])
def test_plain_scalars_round_trip_with_their_type(value):
    got = round_trip(value)
    assert type(got) is type(value)
    assert got == value
    if isinstance(value, float):
        assert math.copysign(1.0, got) == math.copysign(1.0, value)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinities_round_trip(value):
    got = round_trip(value)
    assert type(got) is float and got == value


def test_nan_round_trips_as_a_float_nan():
    got = round_trip(math.nan)
    assert type(got) is float and math.isnan(got)


def test_non_finite_floats_are_not_sent_as_json_constants():
    blobs: list = []
    frame = protocol.pack({"v": protocol.encode([math.nan, math.inf, -math.inf], blobs)}, blobs)
    assert b"NaN" not in frame and b"Infinity" not in frame


def test_nested_containers_keep_list_tuple_and_dict():
    value = {"a": [1, (2.5, None), {"b": (), "c": []}], 3: ("x", [True, {}]), -1: [[[]]]}
    got = round_trip(value)
    assert got == value
    assert type(got["a"]) is list and type(got["a"][1]) is tuple
    assert type(got[3]) is tuple and type(got[3][1]) is list
    assert type(got["a"][2]["b"]) is tuple and type(got["a"][2]["c"]) is list
    assert list(got) == ["a", 3, -1]  # int keys stay ints, order is kept


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint16, np.bool_,
                                   np.complex128, np.complex64])
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 3, 4), (0,), (3, 0), (0, 4, 2)])
def test_arrays_round_trip_with_dtype_and_shape(dtype, shape):
    rng = np.random.default_rng(0)
    raw = rng.standard_normal(shape) * 10
    array = (raw + 1j * raw[::-1] if np.dtype(dtype).kind == "c" else raw).astype(dtype)
    assert_same_array(round_trip(array), array)


def test_float_array_with_nan_and_inf_round_trips():
    array = np.array([[np.nan, np.inf], [-np.inf, -0.0]])
    got = round_trip(array)
    assert_same_array(got, array)
    assert np.signbit(got[1, 1])


def test_zero_dimensional_array_round_trips_as_zero_dimensional():
    got = round_trip(np.array(2.5))
    assert type(got) is np.ndarray
    assert got.shape == (), f"a 0-d array arrived with shape {got.shape}"
    assert got[()] == 2.5


def test_fortran_ordered_and_strided_arrays_arrive_with_the_same_values():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    fortran = np.asfortranarray(base)
    assert_same_array(round_trip(fortran), base)
    assert_same_array(round_trip(base[::2, ::-3]), base[::2, ::-3].copy())
    assert_same_array(round_trip(base.T), base.T.copy())


def test_fortran_order_npy_header_is_decoded_in_fortran_order():
    array = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    blob = npy(array)
    assert b"'fortran_order': True" in blob
    assert_same_array(_decode({"ndarray": 0}, [blob]), np.arange(6.0).reshape(2, 3))


def test_numpy_float64_scalar_stays_a_numpy_scalar():
    got = round_trip(np.float64(1.5))
    assert type(got) is np.float64, f"np.float64 arrived as {type(got).__name__}"
    assert got == 1.5


@pytest.mark.parametrize("value", [np.float32(1.5), np.int64(-3), np.uint8(200), np.bool_(True),
                                   np.complex128(1 - 2j)], ids=lambda v: type(v).__name__)
def test_numpy_scalars_round_trip_with_their_dtype(value):
    got = round_trip(value)
    assert type(got) is type(value)
    assert got.dtype == value.dtype and got == value


def test_ndarray_subclass_arrives_as_plain_ndarray_with_the_same_values():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

        __hash__ = None

    liar = np.array([1.0, 2.0, 3.0]).view(Liar)
    got = round_trip(liar)
    assert type(got) is np.ndarray
    assert not isinstance(got, Liar)
    assert got.tolist() == [1.0, 2.0, 3.0]
    assert not (got == np.array([9.0, 9.0, 9.0])).any()


# -- values that are not plain data -------------------------------------------

class Opaque:
    pass


@pytest.mark.parametrize("value", [Opaque(), {1, 2}, b"bytes", 1 + 2j, np.array([object()], dtype=object),
                                   {(1, 2): 3}, {True: 1}, np.zeros(2, dtype=[("a", "f8")]),
                                   np.array(["text"]), [1, Opaque()]],
                         ids=["object", "set", "bytes", "complex", "object-array", "tuple-key", "bool-key",
                              "structured", "str-array", "nested-object"])
def test_values_that_are_not_plain_data_raise_type_error_without_keep(value):
    with pytest.raises(TypeError, match="cannot send a value of type"):
        protocol.encode(value, [])


def test_values_that_are_not_plain_data_go_through_keep_and_come_back_via_resolve():
    kept, resolved = [], []

    def keep(value):
        kept.append(value)
        return {"handle": 40 + len(kept), "type": type(value).__name__}

    def resolve(node):
        resolved.append(node)
        return protocol.Handle(node["handle"], node["type"], generation=0)

    inner = Opaque()
    got = round_trip({"layer": inner, "out": np.ones(2), "cache": (1.0, inner)}, keep=keep, resolve=resolve)
    assert kept == [inner, inner]
    assert [n["handle"] for n in resolved] == [41, 42]
    assert isinstance(got["layer"], protocol.Handle) and got["layer"].id == 41
    assert got["layer"].type_name == "Opaque"
    assert got["cache"][0] == 1.0 and got["cache"][1].id == 42
    assert_same_array(got["out"], np.ones(2))


def test_handle_is_sent_back_as_its_id_only():
    blobs: list = []
    assert protocol.encode(protocol.Handle(7, "Cache", 3), blobs) == {"handle": 7}
    assert blobs == []


def test_keep_is_not_called_for_plain_data():
    def keep(value):
        raise AssertionError(f"keep called for {value!r}")

    round_trip([1, 2.0, "s", None, np.zeros(3), {"k": (True,)}], keep=keep)


# -- decode refuses unsafe or malformed input ----------------------------------

class Pwn:
    """Unpickling this object opens (creates) a file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def _pickled_object_array(path) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([Pwn(path)], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_object_dtype_array_is_rejected():
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="not a plain number type"):
        _decode({"ndarray": 0}, [buffer.getvalue()])


@pytest.mark.parametrize("tag", ["ndarray", "scalar"])
def test_object_dtype_array_is_rejected_without_unpickling(tmp_path, tag):
    # The payload is live: numpy itself would run it when allowed to unpickle.
    canary = tmp_path / "canary"
    np.load(io.BytesIO(_pickled_object_array(canary)), allow_pickle=True)
    assert canary.exists()

    target = tmp_path / "pwned"
    with pytest.raises(ProtocolError):
        _decode({tag: 0}, [_pickled_object_array(target)])
    assert not target.exists()


def test_object_array_in_a_full_frame_is_rejected_without_unpickling(tmp_path):
    target = tmp_path / "pwned"
    blob = _pickled_object_array(target)
    header = json.dumps({"message": {"ok": {"list": [1, {"ndarray": 0}]}}, "blobs": [len(blob)]}).encode()
    message, blobs = protocol.unpack(payload_with_header(header, blob))
    with pytest.raises(ProtocolError):
        _decode(message["ok"], blobs)
    assert not target.exists()


def test_non_native_byte_order_is_rejected():
    foreign = ">f8" if sys.byteorder == "little" else "<f8"
    blob = npy(np.arange(3.0).astype(foreign))
    with pytest.raises(ProtocolError, match="native byte order"):
        _decode({"ndarray": 0}, [blob])


@pytest.mark.parametrize("array", [np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]),
                                   np.zeros(2, dtype=[("a", "<f8")]),
                                   np.array(["ab", "c"]), np.array([b"ab"]),
                                   np.array(["2020-01-01"], dtype="datetime64[D]"),
                                   np.zeros(2, dtype="V8")],
                         ids=["structured", "one-field-structured", "unicode", "bytes", "datetime", "void"])
def test_non_numeric_dtypes_are_rejected(array):
    with pytest.raises(ProtocolError, match="not a plain number type"):
        _decode({"ndarray": 0}, [npy(array)])


def test_subarray_dtype_header_is_rejected():
    blob = npy_with_header({"descr": [("a", "<f8", (2,))], "fortran_order": False, "shape": (1,)}, b"\0" * 16)
    with pytest.raises(ProtocolError):
        _decode({"ndarray": 0}, [blob])


@pytest.mark.parametrize("extra", [-8, -1, 1, 8])
def test_header_shape_promising_other_than_the_bytes_present_is_rejected(extra):
    blob = npy(np.arange(4.0))
    blob = blob[:extra] if extra < 0 else blob + b"\0" * extra
    with pytest.raises(ProtocolError, match="header promises 32"):
        _decode({"ndarray": 0}, [blob])


def test_huge_shape_in_header_is_rejected_before_allocating():
    blob = npy_with_header({"descr": "<f8", "fortran_order": False, "shape": (10**9, 10**9)}, b"")
    with pytest.raises(ProtocolError, match="exceeds the limit|larger than the"):
        _decode({"ndarray": 0}, [blob])


@pytest.mark.parametrize("blob", [b"", b"not an npy file", b"\x93NUMPY\x09\x00",
                                  b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}  \n"],
                         ids=["empty", "garbage", "bad-version", "incomplete-header"])
def test_malformed_npy_is_rejected(blob):
    with pytest.raises(ProtocolError):
        _decode({"ndarray": 0}, [blob])


def test_array_over_max_array_bytes_is_rejected_and_at_the_limit_accepted():
    blob = npy(np.zeros(100))  # 800 bytes of data
    assert _decode({"ndarray": 0}, [blob], max_array_bytes=800).shape == (100,)
    with pytest.raises(ProtocolError, match="800 bytes exceeds the limit of 799 bytes"):
        _decode({"ndarray": 0}, [blob], max_array_bytes=799)


def _nested(levels: int):
    node = 1
    for _ in range(levels):
        node = {"list": [node]}
    return node


def test_nesting_deeper_than_max_depth_is_rejected():
    assert _decode(_nested(5), [], max_depth=5) == [[[[[1]]]]]
    with pytest.raises(ProtocolError, match="nested deeper than 5 levels"):
        _decode(_nested(6), [], max_depth=5)


def test_very_deep_nesting_is_a_protocol_error_not_a_crash():
    with pytest.raises(ProtocolError, match="nested deeper"):
        _decode(_nested(5000), [], max_depth=MAX_DEPTH)


def test_encode_refuses_values_nested_too_deeply():
    value: list = []
    for _ in range(100):
        value = [value]
    with pytest.raises(TypeError, match="nested too deeply"):
        protocol.encode(value, [])


@pytest.mark.parametrize("node", [
    {"set": [1]}, {"float": "NaN"}, {"float": 1.0}, {"list": 5}, {"tuple": {"a": 1}}, {"dict": {"a": 1}},
    {"ndarray": "0"}, {"ndarray": True}, {"ndarray": 0.0}, {"scalar": None}, {}, {"a": 1, "b": 2, "c": 3},
    {"list": [], "tuple": []}, [1, 2], {"pickle": "gASVAAAAAAAAAAA="},
], ids=repr)
def test_unknown_or_malformed_value_nodes_are_rejected(node):
    with pytest.raises(ProtocolError, match="unknown value node"):
        _decode(node, [np.zeros(1).tobytes()])


@pytest.mark.parametrize("entry", [["a"], ["a", 1, 2], [True, 1], [None, 1], [1.5, 1], "ab"], ids=repr)
def test_malformed_dict_entries_are_rejected(entry):
    with pytest.raises(ProtocolError, match="malformed dict entry"):
        _decode({"dict": [entry]}, [])


@pytest.mark.parametrize("node", [{"handle": "1"}, {"handle": 1.5}, {"handle": None}, {"handle": [1]},
                                  {"handle": 1, "type": 5}, {"handle": 1, "type": None}], ids=repr)
def test_malformed_handle_nodes_are_rejected_without_resolving(node):
    with pytest.raises(ProtocolError, match="malformed handle"):
        _decode(node, [])


@pytest.mark.parametrize("index", [1, 2, -1, 10**12])
def test_blob_index_out_of_range_is_rejected(index):
    with pytest.raises(ProtocolError, match="missing blob"):
        _decode({"ndarray": index}, [npy(np.zeros(1))])


def test_scalar_blob_that_is_not_zero_dimensional_is_rejected():
    with pytest.raises(ProtocolError, match="not 0-dimensional"):
        _decode({"scalar": 0}, [npy(np.zeros(1))])


# -- frames -----------------------------------------------------------------

@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants_in_frame_header_are_rejected(constant):
    header = b'{"message":{"ok":' + constant + b'},"blobs":[]}'
    with pytest.raises(ProtocolError, match="non-standard JSON constant"):
        protocol.unpack(payload_with_header(header))


@pytest.mark.parametrize("header", [b"{not json", b"\xff\xfe", b"[]", b'{"message":{}}',
                                    b'{"message":[],"blobs":[]}', b'{"message":{},"blobs":[-1]}',
                                    b'{"message":{},"blobs":[true]}', b'{"message":{},"blobs":[1.0]}',
                                    b'{"message":{},"blobs":[],"x":1}'], ids=repr)
def test_frame_header_that_is_not_the_expected_json_is_rejected(header):
    with pytest.raises(ProtocolError):
        protocol.unpack(payload_with_header(header))


def test_frame_with_trailing_bytes_is_rejected():
    blobs = [npy(np.zeros(2))]
    frame = protocol.pack({"ok": {"ndarray": 0}}, blobs)
    protocol.unpack(frame[8:])  # well-formed
    with pytest.raises(ProtocolError, match="trailing bytes"):
        protocol.unpack(frame[8:] + b"\0")


def test_blob_running_past_the_end_of_the_frame_is_rejected():
    frame = protocol.pack({"ok": {"ndarray": 0}}, [npy(np.zeros(2))])
    with pytest.raises(ProtocolError, match="past the end"):
        protocol.unpack(frame[8:-1])


@pytest.mark.parametrize("payload", [b"", b"\0\0", b"\0\0\0\x10{}"], ids=["empty", "short", "header-cut"])
def test_frame_shorter_than_its_json_header_is_rejected(payload):
    with pytest.raises(ProtocolError):
        protocol.unpack(payload)


def test_read_frame_returns_frames_in_order_then_none_at_clean_end():
    first = protocol.pack({"n": 1}, [])
    second = protocol.pack({"n": 2}, [b"xyz"])
    stream = io.BytesIO(first + second)
    assert protocol.unpack(protocol.read_frame(stream, max_bytes=1000)) == ({"n": 1}, [])
    assert protocol.unpack(protocol.read_frame(stream, max_bytes=1000)) == ({"n": 2}, [b"xyz"])
    assert protocol.read_frame(stream, max_bytes=1000) is None


@pytest.mark.parametrize("cut", [1, 7, 8, 9, -1])
def test_truncated_frame_is_rejected(cut):
    frame = protocol.pack({"ok": [1, 2, 3]}, [b"0123456789"])
    with pytest.raises(ProtocolError, match="stream ended inside a message"):
        protocol.read_frame(io.BytesIO(frame[:cut]), max_bytes=1 << 20)


def test_frame_larger_than_max_bytes_is_rejected_before_reading_it():
    frame = protocol.pack({"ok": "x" * 100}, [])
    length = len(frame) - 8
    assert protocol.read_frame(io.BytesIO(frame), max_bytes=length) == frame[8:]
    with pytest.raises(ProtocolError, match=f"message of {length} bytes exceeds the limit of {length - 1} bytes"):
        protocol.read_frame(io.BytesIO(frame), max_bytes=length - 1)
    # A length prefix announcing an enormous message is refused without waiting for its bytes.
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        protocol.read_frame(io.BytesIO(protocol.FRAME_HEADER.pack(2**62)), max_bytes=1 << 20)


@pytest.mark.parametrize("shape", [(1,) * 100, (1,) * 33, (0, 2**64), (2**40, 0), (0, 2**63 - 1)])
def test_a_shape_numpy_cannot_hold_or_the_bytes_cannot_back_is_a_protocol_error(shape):
    """A header with 100 dimensions or a (0, 2**64) shape made numpy raise ValueError in the
    grader, which reported the student's broken reply as a grader error."""
    blob = npy_with_header({"descr": "<f8", "fortran_order": False, "shape": shape}, b"")
    with pytest.raises(ProtocolError, match="dimensions|larger than the|could not be read|malformed"):
        _decode({"ndarray": 0}, [blob])


def test_a_json_part_over_its_cap_is_refused_before_it_is_parsed():
    header = b"[" + b"[]," * 400_000 + b"[]]"
    payload = JSON_HEADER.pack(len(header)) + header
    with pytest.raises(ProtocolError, match="over the limit of 1048576 bytes"):
        unpack(payload, max_json_bytes=1 << 20)


def test_blobs_of_an_unpacked_frame_are_views_not_copies():
    frame = pack({"ok": 1}, [b"x" * 1000])
    message, blobs = unpack(bytearray(frame[FRAME_HEADER.size:]))
    assert message == {"ok": 1} and isinstance(blobs[0], memoryview) and bytes(blobs[0]) == b"x" * 1000


@pytest.mark.parametrize("array", [np.zeros(()), np.arange(5.0), np.ones((3, 4), np.float32),
                                   np.zeros((2, 0, 3), bool), np.arange(6).reshape(2, 3).T,
                                   np.array([1 + 2j]), np.zeros((1,) * 5, np.uint8), np.arange(12.0)[::2]],
                         ids=["0-d", "1-d", "float32", "empty-bool", "fortran", "complex", "5-d", "strided"])
def test_arrays_are_written_byte_for_byte_as_numpy_writes_them(array):
    blobs: list = []
    protocol.encode(array, blobs)
    assert bytes(blobs[0]) == npy(array)
    assert np.load(io.BytesIO(bytes(blobs[0])), allow_pickle=False).tolist() == array.tolist()


@pytest.mark.parametrize("descr", ["<f3", "<u9", "|b2", "<c7"])
def test_a_header_in_the_plain_form_with_a_type_numpy_does_not_know_is_rejected(descr):
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    blob = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 32
    with pytest.raises(ProtocolError):
        _decode({"ndarray": 0}, [blob])


def test_a_header_in_another_form_is_read_by_numpys_own_parser_with_the_same_checks():
    reordered = npy_with_header({"shape": (2,), "fortran_order": False, "descr": "<f8"}, np.arange(2.0).tobytes())
    assert _decode({"ndarray": 0}, [reordered]).tolist() == [0.0, 1.0]
    version_2 = io.BytesIO()
    np.lib.format.write_array(version_2, np.arange(3.0), version=(2, 0))
    assert _decode({"ndarray": 0}, [version_2.getvalue()]).tolist() == [0.0, 1.0, 2.0]
    lying = npy_with_header({"shape": (9,), "fortran_order": False, "descr": "<f8"}, np.arange(2.0).tobytes())
    with pytest.raises(ProtocolError, match="header promises"):
        _decode({"ndarray": 0}, [lying])
