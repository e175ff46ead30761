"""Strict, NaN-safe comparison of a student's result with the expected one.

A result passes iff it is a numpy array of exactly the expected shape (no
broadcasting), of a floating dtype at least as precise as the expected one,
all finite where the expected values are finite, and *every* element is within
tolerance:

    |got - expected| <= rtol * max(|expected|, floor),
    floor = max(FLOOR_FRACTION * max|expected|, ABS_FLOOR)

NaN fails every comparison, so it can never pass. Nothing is rounded first.
A failure raises :class:`grader.failure.MismatchError` with a message that says
which output, how many entries are wrong, the worst one (index, expected, got,
relative error) and, when the error matches a known pattern, a likely cause.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np

from grader.failure import MismatchError
from grader.protocol import Handle

# Why: reference and student compute the same float64 formula, at most in a
# different order; that changes results by ~1e-13 relative, while every bug we
# grade (a missing term, a wrong factor, a wrong axis) changes them by > 1e-3.
RTOL = 1e-6
# Why: against a central-difference gradient (h ~ 1e-5) the truncation and
# round-off error is ~1e-8 relative for smooth functions; 1e-5 leaves margin.
RTOL_NUMERIC = 1e-5
# Why: entries far smaller than the array's largest are dominated by
# cancellation noise; they are compared relative to 1e-3 of the array's scale.
FLOOR_FRACTION = 1e-3
# Why: an all-zero expected array still needs a scale; below 1e-8 float64
# round-off, not a bug, explains a difference.
ABS_FLOOR = 1e-8


# Set only by ``grade audit`` (see :func:`observing`): told the error and tolerance of each check.
_observer = None


@contextlib.contextmanager
def observing(observer):
    """While active, every :func:`check_array` (and :func:`check_scalar`) reports
    ``observer(name, rtol, error)``: ``error`` is the check's largest relative error
    (infinite when shape, dtype or finiteness already fail). Checking is unchanged."""
    global _observer
    saved, _observer = _observer, observer
    try:
        yield
    finally:
        _observer = saved


def _observe(name: str, rtol: float, error: float) -> None:
    if _observer is not None:
        _observer(name, rtol, error)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _index(idx: tuple) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def check_array(got, expected, *, name: str, rtol: float = RTOL,
                batch_size: int | None = None, likely: dict | None = None) -> None:
    """Raise :class:`MismatchError` unless ``got`` matches ``expected`` (see module doc).

    Parameters
    ----------
    got : object returned by the student (checked to be an ndarray)
    expected : np.ndarray, the reference result (trusted)
    name : what the output is called in the feedback, e.g. ``"dw"``
    rtol : relative tolerance; the default suits analytic float64 results
    batch_size : N of the batch, so the hint can recognise an N-fold error
    likely : {cause: wrong array} of known mistakes for this output (e.g. the
        gradient taken with respect to the output instead of the input); when
        ``got`` matches one of them, its cause is the hint. Shapes may differ
        from ``expected`` (e.g. a sum over the wrong axis).
    """
    expected = np.asarray(expected)
    try:
        error = _check_array(got, expected, name=name, rtol=rtol, batch_size=batch_size, likely=likely)
    except MismatchError as exc:
        _observe(name, rtol, getattr(exc, "relative_error", float("inf")))
        raise
    _observe(name, rtol, error)


def _check_array(got, expected: np.ndarray, *, name: str, rtol: float, batch_size: int | None,
                 likely: dict | None) -> float:
    """:func:`check_array`'s work; returns the largest relative error of a passing check."""
    if not isinstance(got, np.ndarray):
        raise MismatchError(f"{name}: expected a numpy array of shape {expected.shape}, "
                            f"got {_type_name(got)}")
    if got.shape != expected.shape:
        known = _known_mistake(got, likely)
        raise MismatchError(f"{name}: expected shape {expected.shape}, got shape {got.shape}"
                            + (f"\n    likely cause: {known}" if known else _shape_hint(got, expected, name, batch_size)))
    if got.dtype.kind != "f":
        raise MismatchError(f"{name}: expected a floating-point array, got dtype {got.dtype}"
                            + (" (a comparison or mask returns booleans; multiply by the upstream gradient)"
                               if got.dtype.kind == "b" else
                               " (integer arrays lose the fractional part; keep the float dtype)"))
    if expected.dtype.kind == "f" and got.dtype.itemsize < expected.dtype.itemsize:
        raise MismatchError(f"{name}: expected {expected.dtype} precision, got {got.dtype} "
                            "(do not cast to a lower precision)")
    got64 = got.astype(np.float64)
    exp64 = expected.astype(np.float64)
    finite_expected = np.isfinite(exp64)
    bad_nonfinite = ~np.isfinite(got64) & finite_expected
    if bad_nonfinite.any():
        count = int(bad_nonfinite.sum())
        first = np.unravel_index(int(np.argmax(bad_nonfinite)), got.shape) if got.ndim else ()
        raise MismatchError(f"{name}: {count} of {got.size} entries are NaN or infinite "
                            f"(first at {_index(first)}: {_fmt(float(got64[first]))}, expected {_fmt(exp64[first])}); "
                            "look for overflow in exp or a division by zero")
    if got.size == 0:
        return 0.0
    # Non-finite expected entries (rare; e.g. an infinite input) must be matched exactly.
    mismatch_nonfinite = ~finite_expected & ~(got64 == exp64)
    scale = float(np.max(np.abs(np.where(finite_expected, exp64, 0.0))))
    floor = max(FLOOR_FRACTION * scale, ABS_FLOOR)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got64 - exp64)
        denom = np.maximum(np.abs(exp64), floor)
        rel = np.where(finite_expected, diff / denom, 0.0)
    # "within tolerance" is written so that NaN compares False, i.e. fails.
    within = (rel <= rtol) & ~mismatch_nonfinite
    largest = float(np.max(rel)) if not mismatch_nonfinite.any() else float("inf")
    if within.all():
        return largest
    wrong = ~within
    count = int(wrong.sum())
    worst = np.unravel_index(int(np.argmax(np.where(wrong, rel, -1.0))), got.shape) if got.ndim else ()
    if abs(exp64[worst]) >= floor:
        error = f"relative error {_fmt(float(rel[worst]))}, tolerance {rtol:g}"
    else:  # a relative error against ~0 means nothing to a reader; say how far off it is
        error = f"off by {_fmt(float(diff[worst]))} where ~0 is expected, tolerance {rtol * floor:.2g}"
    message = (f"{name}: {count} of {got.size} entries differ; worst at {_index(worst)}: "
               f"expected {_fmt(exp64[worst])}, got {_fmt(got64[worst])} ({error})")
    hint = _known_mistake(got64, likely) or diagnose(got64, exp64, name=name, batch_size=batch_size)
    if hint:
        message += HINT_PREFIX + hint
    mismatch = MismatchError(message)
    mismatch.relative_error = largest  # read by grade audit's tolerance calibration
    raise mismatch


def check_scalar(got, expected: float, *, name: str, rtol: float = RTOL, batch_size: int | None = None,
                 likely: dict | None = None) -> None:
    """Like :func:`check_array` for a single number (a Python or numpy float)."""
    zero_d = isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iuf"
    if isinstance(got, (bool, np.bool_)) or not (isinstance(got, (int, float, np.integer, np.floating)) or zero_d):
        raise MismatchError(f"{name}: expected a number, got {_type_name(got)}")
    value = float(np.asarray(got))
    check_array(np.asarray(value), np.asarray(float(expected)), name=name, rtol=rtol, batch_size=batch_size,
                likely=likely)


def check_tuple(got, *, length: int, name: str) -> tuple:
    """The student's return value, checked to be a tuple (or list) of ``length`` items."""
    if not isinstance(got, (tuple, list)) or len(got) != length:
        raise MismatchError(f"{name}: expected a tuple of {length} values, got {_type_name(got)}"
                            + (" (return every value the handout lists, as one tuple)"
                               if isinstance(got, np.ndarray) else ""))
    return tuple(got)


def check_unchanged(before, after, *, name: str) -> None:
    """Raise unless an input array is exactly as it was before the call (bitwise, NaN-aware).

    For an object kept in the worker (a :class:`grader.protocol.Handle`, e.g. a namedtuple
    cache), the worker's account of the arrays inside it that the call changed is used."""
    if isinstance(before, Handle):
        changes = getattr(after, "changes", ())
        if changes:
            raise MismatchError(f"{name} was modified in place by the function ({'; '.join(changes)} changed); "
                                "inputs must not be mutated (use out = x.copy() or non-in-place operations)")
        return
    if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype \
            or not np.array_equal(after, before, equal_nan=True):
        changed = ""
        if isinstance(after, np.ndarray) and after.shape == before.shape:
            differs = ~((after == before) | (np.isnan(after) & np.isnan(before)))
            changed = f" ({int(differs.sum())} of {before.size} entries changed)"
        raise MismatchError(f"{name} was modified in place by the function{changed}; "
                            "inputs must not be mutated (use out = x.copy() or non-in-place operations)")


def _known_mistake(got: np.ndarray, likely: dict | None) -> str:
    """The cause of the first known mistake ``got`` reproduces, else ""."""
    for cause, wrong in (likely or {}).items():
        wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and np.all(np.isfinite(wrong)) and np.all(np.isfinite(got)) \
                and np.allclose(got, wrong, rtol=RTOL_NUMERIC, atol=ABS_FLOOR):
            return cause
    return ""


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    if value is None:
        return "None (did you forget a return statement?)"
    return f"a value of type {type(value).__name__}"


def _shape_hint(got: np.ndarray, expected: np.ndarray, name: str, batch_size: int | None) -> str:
    g, e = got.shape, expected.shape
    if g == e[::-1] and len(e) == 2:
        return " (transposed?)"
    if got.size == expected.size:
        return f" (same number of entries: reshape to {e}, e.g. x.shape for dx)"
    if len(g) == len(e) + 1 and g[1:] == e:
        return " (did you forget to sum over the batch axis, axis=0?)"
    if len(g) == len(e) and len(e) == 1 and batch_size is not None and g == (batch_size,):
        return " (summed over the wrong axis? the batch axis is 0)"
    if len(g) == len(e) + 1 and (g[0] == 1 or g[-1] == 1):
        return " (an extra axis of length 1: keepdims=True where it should not be?)"
    return ""


HINT_PREFIX = "\n    likely cause: "
# Hints read off one ratio between the result and the expected values. One input can make a
# right-but-different formula look like a constant factor (relu_backward as dout * out is
# "2x too large" when every x is 2), so such a hint is only said when a second check agrees.
FACTOR_HINT_MARKERS = ("is 2x too large: a missing factor 1/2", "is 2x too small: a missing factor 2",
                       "x (N) too large", "x (N) too small", "off by a constant factor",
                       "has the wrong sign (a minus sign flipped?)")


def is_factor_hint(hint: str) -> bool:
    return any(marker in hint for marker in FACTOR_HINT_MARKERS)


def confirm_factor_hints(messages_by_item: dict[str, list[str]]) -> dict[str, list[str]]:
    """The failure messages of each item, with every factor hint that only one failed check
    of that item gave removed (a factor must hold on at least two inputs before it is named).

    ``messages_by_item``: {item id: the messages of its failed checks, one per check}."""
    out = {}
    for item, messages in messages_by_item.items():
        hints = [m.split(HINT_PREFIX, 1)[1] if HINT_PREFIX in m else "" for m in messages]
        # "5x (N) too large" on a batch of 5 and "8x (N) too large" on one of 8 are the same cause.
        kinds = [re.sub(r"\d+(\.\d+)?(e-?\d+)?", "#", h) for h in hints]
        confirmed = {k for k, h in zip(kinds, hints) if h and is_factor_hint(h) and kinds.count(k) >= 2}
        out[item] = [m if not h or not is_factor_hint(h) or k in confirmed else m.split(HINT_PREFIX, 1)[0]
                     for m, h, k in zip(messages, hints, kinds)]
    return out


def diagnose(got: np.ndarray, expected: np.ndarray, *, name: str = "", batch_size: int | None = None) -> str:
    """A likely cause for a wrong array of the right shape, or "" if none is recognised."""
    e = expected.ravel()
    g = got.ravel()
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(e))):
        return ""
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and expected.shape[0] > 1 \
            and np.allclose(got, expected.T, rtol=1e-6, atol=1e-12) and not np.allclose(got, expected):
        return "the result is the transpose of the expected one"
    ee = float(e @ e)
    if ee == 0.0:
        return "expected all zeros; your result is not" if np.any(g) else ""
    if not np.any(g):
        return f"{name or 'the result'} is all zeros (was it ever computed or accumulated?)"
    if e.size == 1 and float(e[0]).is_integer() and float(g[0]).is_integer():
        return ""  # counts (a step number, a class label): a ratio of two integers explains nothing
    factor = float(g @ e) / ee
    residual = float(np.linalg.norm(g - factor * e)) / max(float(np.linalg.norm(g)), 1e-300)
    if residual > 1e-6:
        return ""
    what = name or "the result"
    if abs(factor - 1) < 1e-3:
        return ""  # proportional to the expected values with factor ~1: noise, not a pattern
    if abs(factor + 1) < 1e-6:
        return f"{what} has the wrong sign (a minus sign flipped?)"
    if batch_size and batch_size > 1:
        if abs(factor - batch_size) < 1e-6 * batch_size:
            return (f"{what} is {batch_size}x (N) too large: did you forget to average over the batch, "
                    "or sum where the handout says mean?")
        if abs(factor - 1 / batch_size) < 1e-6 / batch_size:
            return (f"{what} is {batch_size}x (N) too small: did you divide by N where "
                    "this layer should not average (or average twice)?")
    if abs(factor - 2) < 1e-6:
        return f"{what} is 2x too large: a missing factor 1/2?"
    if abs(factor - 0.5) < 1e-6:
        return f"{what} is 2x too small: a missing factor 2 (the derivative of a square)?"
    if e.size == 1:  # any two numbers differ by "a constant factor": only name the ones above
        return ""
    return f"{what} is off by a constant factor of {factor:.6g}"
