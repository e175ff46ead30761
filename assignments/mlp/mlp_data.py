"""Data for the ``mlp`` assignment: synthetic datasets, the bundled digits, and an MNIST (IDX) reader.

This module is provided: it is not graded and you do not change it. Every function
returns plain numpy arrays ``X`` (float64, one example per row) and ``y`` (int64
class labels 0, ..., C-1), ready for ``mlp.train``.

Synthetic datasets (each drawn from a ``np.random.Generator`` you pass in, so a
seed reproduces them):

    make_blobs(rng, n_per_class, centers, std=1.0)       Gaussian blobs, one per class
    make_xor(rng, n_per_class, noise=0.1)                XOR of two coordinates (2 classes)
    make_spirals(rng, n_per_class, n_classes=3, noise=0.2)   interleaved spiral arms

Real data:

    load_digits(path=DIGITS_PATH)        the 8x8 handwritten digits shipped in data/
    load_idx(path)                       one IDX file (the MNIST format), any dtype and rank
    load_mnist(folder, kind="train")     images and labels of MNIST from its four IDX files

Helpers: ``shuffle_split(rng, X, y, fractions)`` splits a dataset at random.
Where the digits come from, and their license, is in README.md.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGITS_PATH = DATA_DIR / "digits.csv.gz"
DIGITS_SHAPE = (8, 8)
DIGITS_MAX_PIXEL = 16  # each pixel counts the "on" bits in a 4x4 block of a 32x32 bitmap

# IDX (http://yann.lecun.com/exdb/mnist/): the type code (third byte of the magic
# number) and the big-endian numpy dtype of the data.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short (2 bytes)
    0x0C: np.dtype(">i4"),  # int (4 bytes)
    0x0D: np.dtype(">f4"),  # float (4 bytes)
    0x0E: np.dtype(">f8"),  # double (8 bytes)
}
# Why: no real IDX file has more dimensions than this, so a larger count means a
# file that is not IDX at all (read as IDX, random bytes often have a valid prefix).
IDX_MAX_DIMS = 8


class DataFormatError(ValueError):
    """A data file is not in the format its loader reads; the message says what is wrong and where."""


# -- synthetic datasets ---------------------------------------------------------------
def make_blobs(rng, n_per_class, centers, std=1.0):
    """Gaussian blobs: class k is ``n_per_class`` points around ``centers[k]``.

    Parameters
    ----------
    rng : np.random.Generator
    n_per_class : int
    centers : array-like (C, D), the mean of each class
    std : float, the standard deviation of every coordinate

    Returns
    -------
    X : (C * n_per_class, D) float64, the classes one after the other (class 0 first)
    y : (C * n_per_class,) int64
    """
    centers = np.asarray(centers, dtype=np.float64)
    n_classes, dim = centers.shape
    X = np.concatenate([c + std * rng.standard_normal((n_per_class, dim)) for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def make_xor(rng, n_per_class, noise=0.1):
    """XOR: points near the four corners (+-1, +-1); the class is 1 where the signs differ.

    Not linearly separable (DSE: a perceptron cannot learn XOR), so a network needs a
    hidden layer for it.

    Returns
    -------
    X : (2 * n_per_class, 2) float64;  y : (2 * n_per_class,) int64, class 0 first
    """
    corners = {0: np.array([[1.0, 1.0], [-1.0, -1.0]]), 1: np.array([[1.0, -1.0], [-1.0, 1.0]])}
    X, y = [], []
    for label, pair in corners.items():
        picks = pair[rng.integers(0, 2, size=n_per_class)]
        X.append(picks + noise * rng.standard_normal((n_per_class, 2)))
        y.append(np.full(n_per_class, label))
    return np.concatenate(X), np.concatenate(y).astype(np.int64)


def make_spirals(rng, n_per_class, n_classes=3, noise=0.2):
    """Interleaved spiral arms in 2-D, one arm per class (the CS231n toy problem).

    Arm k: radius r from 0 to 1, angle t = 4 r + 2 pi k / n_classes + noise * N(0, 1),
    point (r sin t, r cos t).

    Returns
    -------
    X : (n_classes * n_per_class, 2) float64;  y : (n_classes * n_per_class,) int64, class 0 first
    """
    X, y = [], []
    for label in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = 4.0 * r + 2.0 * math.pi * label / n_classes + noise * rng.standard_normal(n_per_class)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(n_per_class, label))
    return np.concatenate(X), np.concatenate(y).astype(np.int64)


def shuffle_split(rng, X, y, fractions):
    """Shuffle (X, y) together, then cut it into consecutive parts of the given fractions.

    ``fractions`` (each in (0, 1), summing to at most 1) gives all parts but the last;
    the last part gets the rest. ``shuffle_split(rng, X, y, [0.8])`` returns
    ``[(X_train, y_train), (X_val, y_val)]`` with 80 % of the rows in the first part.
    """
    if any(f <= 0 for f in fractions) or sum(fractions) >= 1:
        raise ValueError(f"fractions must be positive and sum to less than 1, got {list(fractions)}")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    order = rng.permutation(n)
    cuts = np.round(np.cumsum(fractions) * n).astype(int)
    return [(X[part], y[part]) for part in np.split(order, cuts)]


# -- the digits ---------------------------------------------------------------------
def load_digits(path=DIGITS_PATH, *, scale=True):
    """The 8x8 handwritten digits: a CSV (optionally gzip-compressed), one image per line.

    Each line holds 64 integer pixels 0..16 (row by row) and the digit 0..9 last.

    Parameters
    ----------
    path : str or Path, default data/digits.csv.gz
    scale : if True (default), pixels are divided by 16 so X is in [0, 1]

    Returns
    -------
    X : (N, 64) float64;  y : (N,) int64

    Raises
    ------
    DataFormatError : a line with a number of fields other than 65, a value that is not
        an integer, a pixel outside 0..16 or a label outside 0..9 (the message names the line)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    width = DIGITS_SHAPE[0] * DIGITS_SHAPE[1]
    rows = []
    with opener(path, "rt", encoding="ascii") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            fields = line.strip().split(",")
            if len(fields) != width + 1:
                raise DataFormatError(f"{path}, line {number}: expected {width + 1} comma-separated "
                                      f"values (64 pixels and the label), found {len(fields)}")
            try:
                values = [int(field) for field in fields]
            except ValueError:
                raise DataFormatError(f"{path}, line {number}: a value is not an integer") from None
            if not all(0 <= v <= DIGITS_MAX_PIXEL for v in values[:-1]) or not 0 <= values[-1] <= 9:
                raise DataFormatError(f"{path}, line {number}: pixels must be 0..{DIGITS_MAX_PIXEL} "
                                      "and the label 0..9")
            rows.append(values)
    if not rows:
        raise DataFormatError(f"{path}: no data")
    data = np.array(rows, dtype=np.int64)
    X = data[:, :-1].astype(np.float64)
    return (X / DIGITS_MAX_PIXEL if scale else X), data[:, -1]


# -- IDX (MNIST) ----------------------------------------------------------------------
def _read_bytes(path):
    """The file's bytes, gunzipped if it is gzip-compressed (MNIST is distributed as .gz)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{path}: a damaged gzip file ({exc})") from None
    return raw


def load_idx(path):
    """One IDX file as a numpy array of its shape and type.

    The format (big-endian throughout):

        bytes 0-1   0x00 0x00
        byte  2     the type of the data: 0x08 unsigned byte, 0x09 signed byte,
                    0x0B short (2 bytes), 0x0C int (4), 0x0D float (4), 0x0E double (8)
        byte  3     the number of dimensions, n
        then        n sizes, each a 4-byte unsigned integer
        then        the data, size_1 * ... * size_n values, C order (last index fastest)

    A gzip-compressed file (``train-images-idx3-ubyte.gz``) is decompressed first.

    Returns
    -------
    array : ndarray of that shape, in native byte order (uint8, int8, int16, int32,
        float32 or float64)

    Raises
    ------
    DataFormatError : the first two bytes are not zero, an unknown type code, no or
        too many dimensions, a header cut short, or data longer or shorter than the sizes say
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataFormatError(f"{path}: {len(data)} bytes; an IDX file starts with a 4-byte magic number")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise DataFormatError(f"{path}: bad magic number 0x{data[:4].hex()}: an IDX file starts with "
                              "two zero bytes (is it an IDX file?)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataFormatError(f"{path}: unknown data type code 0x{code:02X} in the magic number "
                              f"(known: {known})")
    if not 1 <= ndim <= IDX_MAX_DIMS:
        raise DataFormatError(f"{path}: {ndim} dimensions in the magic number; expected 1 to {IDX_MAX_DIMS}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{path}: truncated header: {ndim} dimension sizes need {header} bytes, "
                              f"the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        what = "truncated" if found < expected else "too long"
        raise DataFormatError(f"{path}: {what}: sizes {' x '.join(map(str, shape))} of {dtype.itemsize}-byte "
                              f"values need {expected} bytes of data after the header, the file has {found}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_mnist(folder, kind="train", *, scale=True):
    """MNIST images and labels from the IDX files in ``folder`` (each may be gzipped, ``.gz``).

    Returns
    -------
    X : (N, 28 * 28) float64, pixels 0..255 divided by 255 if ``scale``;  y : (N,) int64

    Raises
    ------
    FileNotFoundError : a file is missing (MNIST is not shipped: download it yourself)
    DataFormatError : a file is not IDX, images are not 3-D unsigned bytes, labels are
        not 1-D, or their counts differ
    """
    if kind not in MNIST_FILES:
        raise ValueError(f"kind must be one of {sorted(MNIST_FILES)}, got {kind!r}")
    paths = []
    for name in MNIST_FILES[kind]:
        candidates = [Path(folder) / name, Path(folder) / f"{name}.gz"]
        found = [p for p in candidates if p.is_file()]
        if not found:
            raise FileNotFoundError(f"neither {candidates[0]} nor {candidates[1]} exists")
        paths.append(found[0])
    images, labels = load_idx(paths[0]), load_idx(paths[1])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(f"{paths[0]}: expected 3-D unsigned bytes (N, rows, cols), "
                              f"got {images.ndim}-D {images.dtype}")
    if labels.ndim != 1:
        raise DataFormatError(f"{paths[1]}: expected 1-D labels, got {labels.ndim}-D")
    if len(images) != len(labels):
        raise DataFormatError(f"{len(images)} images in {paths[0].name} but {len(labels)} labels "
                              f"in {paths[1].name}")
    X = images.reshape(len(images), -1).astype(np.float64)
    return (X / 255.0 if scale else X), labels.astype(np.int64)
