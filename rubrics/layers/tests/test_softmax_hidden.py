"""Hidden tests of the `layers` assignment: softmax (one item, no backward pass).

softmax(x) normalizes each row of x (N, C), more generally each vector along the
last axis, and returns only the probabilities. The expected values come from
the reference; known mistakes (normalizing over the wrong axis, over the whole
array) are named in the feedback. Every random input comes from ``rng``.
"""

import numpy as np
import pytest

from grader.comparison import check_array

SHAPE_KINDS = ["2-D", "N=1", "3-D"]
# Logits whose exponentials overflow (e^710 is inf) unless each row's max is subtracted
# first; the softmax of [1000, 1001, 1002] equals that of [0, 1, 2].
LARGE_LOGITS = np.array([[1000.0, 1001.0, 1002.0],
                         [-1000.0, -1000.0, -1000.0],
                         [1000.0, -1000.0, 0.0],
                         [-800.0, 0.0, 800.0],
                         [710.0, 710.0, -710.0]])


def normalized(x, axis):
    """exp(x) normalized along ``axis`` (None: the whole array), computed without overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_mistakes(x: np.ndarray) -> dict:
    mistakes = {f"normalized over axis {axis} instead of the last axis: softmax normalizes each row "
                "(axis=-1, keepdims=True)": normalized(x, axis) for axis in range(x.ndim - 1)}
    mistakes["normalized over the whole array instead of each row separately (axis=-1, keepdims=True)"] = \
        normalized(x, None)
    return mistakes


def random_logits(rng, kind: str, scale: float = 3.0) -> np.ndarray:
    if kind == "N=1":
        shape = (1, int(rng.integers(2, 9)))
    elif kind == "2-D":
        shape = tuple(int(n) for n in rng.integers(2, 7, size=2))
    else:
        shape = tuple(int(n) for n in rng.integers(2, 5, size=3))
    return scale * rng.standard_normal(shape)


@pytest.mark.item("softmax")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_softmax_matches_reference(student, ref, rng, kind):
    x = random_logits(rng, kind)
    check_array(student.softmax(x), ref.softmax(x), name="softmax(x)", likely=softmax_mistakes(x))


@pytest.mark.item("softmax")
def test_softmax_rows_sum_to_one(student, ref, rng):
    x = random_logits(rng, "2-D", scale=10.0)
    probs = student.softmax(x)
    if not isinstance(probs, np.ndarray) or probs.shape != x.shape:
        check_array(probs, ref.softmax(x), name="softmax(x)")  # says what was returned instead
    check_array(np.sum(probs, axis=-1), np.ones(x.shape[0]), name="the row sums of softmax(x)")


@pytest.mark.item("softmax")
def test_softmax_is_finite_and_right_for_large_logits(student, ref):
    check_array(student.softmax(LARGE_LOGITS), ref.softmax(LARGE_LOGITS),
                name=f"softmax(x) for x = {LARGE_LOGITS.tolist()} (subtract each row's max first)",
                likely=softmax_mistakes(LARGE_LOGITS))
