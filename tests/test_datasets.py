"""The mlp assignment's data module (assignments/mlp/mlp_data.py): the IDX (MNIST) reader on
small files these tests write, valid and malformed; the shipped digits and the grader's
held-out digits; the synthetic datasets and the split."""

import gzip
import importlib.util
import struct

import numpy as np
import pytest
from conftest import REPO

MLP = REPO / "assignments" / "mlp"
HOLDOUT = REPO / "rubrics" / "mlp" / "data" / "digits_holdout.csv.gz"
# Digits per class in the 1,797 lines scikit-learn ships (its digits.rst), which the two files split.
SOURCE_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def _load():
    spec = importlib.util.spec_from_file_location("_test_mlp_data", MLP / "mlp_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mlp_data = _load()
DataFormatError = mlp_data.DataFormatError


def idx_bytes(array, code, *, dims=None):
    """An IDX file: 0, 0, the type code, the number of dimensions, big-endian sizes, big-endian data."""
    dims = array.shape if dims is None else dims
    header = struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data):
    path.write_bytes(data)
    return path


# -- load_idx: valid files --------------------------------------------------------------------
VALID = [
    pytest.param(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10, 0x08, id="ubyte-3d-images"),
    pytest.param(np.array([5, 0, 4, 1, 9], dtype=np.uint8), 0x08, id="ubyte-1d-labels"),
    pytest.param(np.array([[-128, -1], [0, 127]], dtype=np.int8), 0x09, id="signed-byte"),
    pytest.param(np.array([[-30000, 2], [3, 32000]], dtype=np.int16), 0x0B, id="short"),
    pytest.param(np.array([[-2**31, -1, 0], [1, 65536, 2**31 - 1]], dtype=np.int32), 0x0C, id="int"),
    pytest.param(np.array([[0.5, -1.25], [3.0e38, -0.0]], dtype=np.float32), 0x0D, id="float"),
    pytest.param(np.array([1e-300, -2.5, np.pi, 1e300], dtype=np.float64), 0x0E, id="double"),
]


@pytest.mark.parametrize("array,code", VALID)
def test_valid_idx_file_reads_back_shape_values_and_native_dtype(tmp_path, array, code):
    got = mlp_data.load_idx(write(tmp_path / "data-idx", idx_bytes(array, code)))
    assert got.shape == array.shape
    assert got.dtype == array.dtype and got.dtype.isnative
    assert np.array_equal(got, array)


def test_multi_byte_values_are_read_big_endian(tmp_path):
    raw = struct.pack(">HBB", 0, 0x0C, 1) + struct.pack(">I", 2) + bytes([0, 0, 1, 0, 0x7F, 0xFF, 0xFF, 0xFF])
    assert mlp_data.load_idx(write(tmp_path / "be-idx", raw)).tolist() == [256, 2**31 - 1]


def test_gzipped_idx_file_is_decompressed(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28)).astype(np.uint8)
    path = write(tmp_path / "t10k-images-idx3-ubyte.gz", gzip.compress(idx_bytes(images, 0x08)))
    assert np.array_equal(mlp_data.load_idx(path), images)


def test_a_size_of_zero_gives_an_empty_array(tmp_path):
    got = mlp_data.load_idx(write(tmp_path / "empty-idx", idx_bytes(np.zeros((0, 4), np.uint8), 0x08)))
    assert got.shape == (0, 4)


# -- load_idx: malformed files, each with a message naming the problem ------------------------------
def malformed_cases():
    good = idx_bytes(np.arange(12, dtype=np.int32).reshape(3, 4), 0x0C)
    return {
        "wrong-magic": (b"\x08\x03" + good[2:], "bad magic number 0x0803"),
        "not-idx-at-all": (b"PK\x03\x04" + bytes(40), "bad magic number 0x504b0304"),
        "unknown-type-code": (good[:2] + b"\x0a" + good[3:], "unknown data type code 0x0A"),
        "zero-dimensions": (good[:3] + b"\x00" + good[4:], "0 dimensions"),
        "too-many-dimensions": (good[:3] + b"\x40" + good[4:], "64 dimensions"),
        "shorter-than-magic": (b"\x00\x00", "2 bytes"),
        "empty": (b"", "0 bytes"),
        "truncated-header": (good[:9], "truncated header: 2 dimension sizes need 12 bytes, the file has 9"),
        "truncated-data": (good[:-5], "truncated: sizes 3 x 4 of 4-byte values need 48 bytes"),
        "trailing-bytes": (good + b"\x00", "too long: sizes 3 x 4 of 4-byte values need 48 bytes of data "
                                           "after the header, the file has 49"),
        "size-mismatch": (good[:4] + struct.pack(">2I", 4, 4) + good[12:], "need 64 bytes"),
        "damaged-gzip": (gzip.compress(good)[:-12], "damaged gzip"),
    }


@pytest.mark.parametrize("case", sorted(malformed_cases()))
def test_malformed_idx_file_is_refused_with_a_clear_message(tmp_path, case):
    data, message = malformed_cases()[case]
    path = write(tmp_path / f"{case}-idx", data)
    with pytest.raises(DataFormatError) as excinfo:
        mlp_data.load_idx(path)
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value)  # which file


def test_data_format_error_is_a_value_error():
    assert issubclass(DataFormatError, ValueError)


# -- load_mnist ---------------------------------------------------------------------------------
def mnist_folder(tmp_path, *, n_images=4, n_labels=4, compress=True, image_code=0x08):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(n_images, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, size=n_labels).astype(np.uint8)
    image_data = idx_bytes(images.astype(np.int32) if image_code == 0x0C else images, image_code)
    for name, data in (("train-images-idx3-ubyte", image_data), ("train-labels-idx1-ubyte", idx_bytes(labels, 0x08))):
        if compress:
            write(tmp_path / f"{name}.gz", gzip.compress(data))
        else:
            write(tmp_path / name, data)
    return images, labels


@pytest.mark.parametrize("compress", [True, False], ids=["gzipped", "plain"])
def test_load_mnist_flattens_and_scales_the_images_and_returns_int_labels(tmp_path, compress):
    images, labels = mnist_folder(tmp_path, compress=compress)
    X, y = mlp_data.load_mnist(tmp_path)
    assert X.shape == (4, 784) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, images.reshape(4, 784) / 255.0) and np.array_equal(y, labels)
    raw, _ = mlp_data.load_mnist(tmp_path, scale=False)
    assert raw.max() == images.max()


def test_load_mnist_refuses_different_numbers_of_images_and_labels(tmp_path):
    mnist_folder(tmp_path, n_images=4, n_labels=3)
    with pytest.raises(DataFormatError, match="4 images in train-images-idx3-ubyte.gz but 3 labels"):
        mlp_data.load_mnist(tmp_path)


def test_load_mnist_refuses_images_that_are_not_unsigned_bytes(tmp_path):
    mnist_folder(tmp_path, image_code=0x0C)
    with pytest.raises(DataFormatError, match="expected 3-D unsigned bytes"):
        mlp_data.load_mnist(tmp_path)


def test_load_mnist_says_which_file_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        mlp_data.load_mnist(tmp_path, kind="test")
    with pytest.raises(ValueError, match="kind must be one of"):
        mlp_data.load_mnist(tmp_path, kind="validation")


# -- the digits -----------------------------------------------------------------------------------
def test_shipped_digits_are_1297_scaled_8x8_images_with_labels_0_to_9():
    X, y = mlp_data.load_digits()
    assert X.shape == (1297, 64) and X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.allclose(X * 16, np.round(X * 16))  # integer pixel counts 0..16
    raw, _ = mlp_data.load_digits(scale=False)
    assert raw.max() == 16


def test_shipped_and_held_out_digits_together_are_the_1797_of_the_source_50_per_digit_held_out():
    _, y = mlp_data.load_digits()
    _, held = mlp_data.load_digits(HOLDOUT)
    assert np.bincount(held, minlength=10).tolist() == [50] * 10
    assert (np.bincount(y, minlength=10) + np.bincount(held, minlength=10)).tolist() == SOURCE_COUNTS


def test_digits_loader_reads_a_plain_csv_too(tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text(",".join(["16"] * 64 + ["7"]) + "\n\n" + ",".join(["0"] * 64 + ["3"]) + "\n")
    X, y = mlp_data.load_digits(path)
    assert X.shape == (2, 64) and y.tolist() == [7, 3] and X[0].tolist() == [1.0] * 64


@pytest.mark.parametrize("line,message", [
    (",".join(["1"] * 63 + ["2"]), "expected 65 comma-separated values (64 pixels and the label), found 64"),
    (",".join(["1"] * 64 + ["x"]), "a value is not an integer"),
    (",".join(["17"] + ["1"] * 63 + ["2"]), "pixels must be 0..16 and the label 0..9"),
    (",".join(["1"] * 64 + ["10"]), "pixels must be 0..16 and the label 0..9"),
], ids=["64-fields", "not-an-integer", "pixel-17", "label-10"])
def test_malformed_digits_line_is_refused_naming_the_line(tmp_path, line, message):
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress((",".join(["0"] * 65) + "\n" + line + "\n").encode()))
    with pytest.raises(DataFormatError, match="line 2: " + message.replace("(", r"\(").replace(")", r"\)")):
        mlp_data.load_digits(path)


def test_empty_digits_file_is_refused(tmp_path):
    with pytest.raises(DataFormatError, match="no data"):
        mlp_data.load_digits(write(tmp_path / "digits.csv", b"\n"))


# -- synthetic datasets and the split --------------------------------------------------------------
def test_blobs_are_sorted_by_class_around_their_centers_and_reproducible():
    centers = np.array([[10.0, 0.0], [0.0, 10.0], [-10.0, -10.0]])
    X, y = mlp_data.make_blobs(np.random.default_rng(0), 200, centers, std=0.5)
    assert X.shape == (600, 2) and y.tolist() == [0] * 200 + [1] * 200 + [2] * 200
    for label, center in enumerate(centers):
        assert np.allclose(X[y == label].mean(axis=0), center, atol=0.1)
        assert np.allclose(X[y == label].std(axis=0), 0.5, atol=0.06)
    again, _ = mlp_data.make_blobs(np.random.default_rng(0), 200, centers, std=0.5)
    assert np.array_equal(again, X)


def test_xor_class_is_one_where_the_signs_of_the_coordinates_differ():
    X, y = mlp_data.make_xor(np.random.default_rng(1), 300, noise=0.1)
    assert X.shape == (600, 2) and y.dtype == np.int64 and np.bincount(y).tolist() == [300, 300]
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64))


def test_spirals_have_one_arm_per_class_within_the_unit_disc_plus_noise():
    X, y = mlp_data.make_spirals(np.random.default_rng(2), 100, n_classes=4, noise=0.0)
    assert X.shape == (400, 2) and np.bincount(y).tolist() == [100] * 4
    assert np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12)
    assert np.allclose(X[y == 0][-1], [np.sin(4.0), np.cos(4.0)])  # the arm's end: r = 1, t = 4


def test_shuffle_split_keeps_every_row_once_in_parts_of_the_given_fractions():
    X = np.arange(100, dtype=np.float64).reshape(50, 2)
    y = np.arange(50)
    parts = mlp_data.shuffle_split(np.random.default_rng(3), X, y, [0.6, 0.2])
    assert [len(part_y) for _, part_y in parts] == [30, 10, 10]
    assert sorted(np.concatenate([part_y for _, part_y in parts]).tolist()) == list(range(50))
    for part_X, part_y in parts:
        assert np.array_equal(part_X[:, 0], 2 * part_y)  # rows stay paired with their labels
    assert parts[0][1].tolist() != list(range(30))  # shuffled


@pytest.mark.parametrize("fractions", [[0.5, 0.5], [1.0], [0.0, 0.5], [-0.1]])
def test_shuffle_split_refuses_fractions_that_leave_no_last_part(fractions):
    with pytest.raises(ValueError, match="fractions must be positive and sum to less than 1"):
        mlp_data.shuffle_split(np.random.default_rng(0), np.zeros((10, 2)), np.zeros(10), fractions)
