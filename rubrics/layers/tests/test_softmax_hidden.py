"""Hidden tests of the `layers` assignment: softmax (no backward pass). Two items:
``softmax`` on ordinary logits (|x| up to ~40) and ``softmax_edge_cases`` (1 of the 7
points) on logits of +-1000, where exp overflows unless each row's max is subtracted.

softmax(x) normalizes each row of x (N, C), more generally each vector along the
last axis, and returns only the probabilities. The expected values come from
the reference; known mistakes (normalizing over the wrong axis, over the whole
array) are named in the feedback. Every random input comes from ``rng``.
"""

import numpy as np
import pytest
from layerchecks import SHAPE_KINDS, random_shape

from grader.comparison import check_array
from grader.testing import hinted

# Why RTOL = 1e-6 (`python rubrics/layers/measure_tolerances.py 50`): the accepted forms
# (shift by the row max, exp(x - logsumexp), exp(x) / sum exp(x) on ordinary logits) differ
# from the reference by <= 2.7e-15, and by <= 5.9e-14 on the large logits (logsumexp form);
# row sums differ from 1 by as little. Smallest catalogued mistake (the wrong axis, the whole
# array) 0.58. 1e-6 is 8 decades above the spread and 5 below the bug.
RTOL = 1e-6
EDGE_HINT = ("subtract each row's maximum before exp (x - x.max(axis=-1, keepdims=True)): it changes nothing "
             "mathematically and keeps every exponent <= 0")

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
    return scale * rng.standard_normal(random_shape(rng, kind))


@pytest.mark.item("softmax")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_softmax_matches_reference(student, ref, rng, kind):
    x = random_logits(rng, kind)
    check_array(student.softmax(x), ref.softmax(x), name="softmax(x)", rtol=RTOL, likely=softmax_mistakes(x))


@pytest.mark.item("softmax")
def test_softmax_rows_sum_to_one(student, ref, rng):
    x = random_logits(rng, "2-D", scale=10.0)
    probs = student.softmax(x)
    if not isinstance(probs, np.ndarray) or probs.shape != x.shape:
        check_array(probs, ref.softmax(x), name="softmax(x)")  # says what was returned instead
    check_array(np.sum(probs, axis=-1), np.ones(x.shape[0]), name="the row sums of softmax(x)", rtol=RTOL)


@pytest.mark.item("softmax_edge_cases")
def test_softmax_is_finite_and_right_for_large_logits(student, ref):
    with hinted(EDGE_HINT):
        check_array(student.softmax(LARGE_LOGITS), ref.softmax(LARGE_LOGITS),
                    name=f"softmax(x) for x = {LARGE_LOGITS.tolist()}", rtol=RTOL,
                    likely=softmax_mistakes(LARGE_LOGITS))
