"""Strict comparison of a student's result with the expected one (grader/comparison.py),
and the escaping of untrusted text (grader/failure.escape)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple, check_unchanged, diagnose
from grader.failure import MismatchError, StudentFailure, escape


def expected_matrix() -> np.ndarray:
    return np.arange(1.0, 21.0).reshape(4, 5)


def random_matrix(shape=(6, 5), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def mismatch(got, expected, **kwargs) -> str:
    """The message check_array raises (fails the test if it does not raise)."""
    kwargs.setdefault("name", "dx")
    with pytest.raises(MismatchError) as info:
        check_array(got, expected, **kwargs)
    return str(info.value)


def test_mismatch_error_is_a_student_failure_and_an_assertion_error():
    assert issubclass(MismatchError, StudentFailure)
    assert issubclass(MismatchError, AssertionError)


# -- what passes --------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (1,), (7,), (4, 5), (2, 3, 4), (0,), (3, 0)])
def test_identical_arrays_pass(shape):
    expected = np.random.default_rng(1).standard_normal(shape)
    check_array(expected.copy(), expected, name="out")


def test_summation_order_noise_passes():
    x = random_matrix((50, 40)) * 1e3
    expected = x.sum(axis=1)
    got = np.array([sum(row[::-1].tolist()) for row in x])  # another order, another rounding
    check_array(got, expected, name="out")


def test_relative_noise_of_1e_14_passes():
    expected = random_matrix()
    signs = np.where(np.random.default_rng(2).random(expected.shape) < 0.5, -1.0, 1.0)
    check_array(expected * (1 + 1e-14 * signs), expected, name="out")


def test_all_zero_expected_with_1e_17_noise_passes():
    noise = np.random.default_rng(3).standard_normal((3, 4)) * 1e-17
    check_array(noise, np.zeros((3, 4)), name="db")


def test_higher_precision_than_expected_passes():
    expected = random_matrix()
    check_array(expected.astype(np.longdouble), expected, name="out")


def test_matching_infinite_expected_entries_pass():
    expected = np.array([1.0, np.inf, -np.inf])
    check_array(expected.copy(), expected, name="out")


# -- what fails ---------------------------------------------------------------

def test_relative_error_of_1e_4_fails():
    expected = random_matrix()
    got = expected.copy()
    got[3, 2] *= 1 + 1e-4
    message = mismatch(got, expected)
    assert "1 of 30 entries differ; worst at [3, 2]" in message


def test_uniform_relative_error_of_1e_4_fails():
    expected = random_matrix()
    mismatch(expected * (1 + 1e-4), expected)


def test_failure_message_names_output_count_worst_index_expected_and_got():
    expected = expected_matrix()
    got = expected.copy()
    got[0, 1] *= 1 + 1e-5   # wrong, but less wrong
    got[2, 3] *= 1 + 1e-3   # the worst: expected 14, got 14.014
    message = mismatch(got, expected, name="dw")
    assert message.startswith("dw: 2 of 20 entries differ; worst at [2, 3]: expected 14, got 14.014 ")
    assert "relative error 0.001" in message
    assert "tolerance 1e-06" in message


def test_single_nan_fails_even_when_every_other_entry_is_right():
    expected = expected_matrix()
    got = expected.copy()
    got[1, 2] = np.nan
    message = mismatch(got, expected, name="out")
    assert message.startswith("out: 1 of 20 entries are NaN or infinite (first at [1, 2]")
    assert "expected 8" in message
    assert "division by zero" in message


def test_nan_in_a_zero_dimensional_result_fails():
    mismatch(np.array(np.nan), np.array(1.0))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_entry_fails(bad):
    expected = expected_matrix()
    got = expected.copy()
    got[3, 4] = bad
    message = mismatch(got, expected)
    assert "1 of 20 entries are NaN or infinite (first at [3, 4]" in message


def test_nan_where_infinity_is_expected_fails():
    mismatch(np.array([1.0, np.nan]), np.array([1.0, np.inf]))


def test_wrong_sign_of_infinity_fails():
    mismatch(np.array([1.0, -np.inf]), np.array([1.0, np.inf]))


def test_nan_failure_message_shows_the_value_as_plain_nan():
    got = expected_matrix()
    got[1, 2] = np.nan
    message = mismatch(got, expected_matrix())
    assert "[1, 2]: nan," in message


@pytest.mark.parametrize("got_shape, expected_shape", [((1, 5), (5,)), ((5,), (1, 5)), ((4, 5), (5,)),
                                                       ((5,), (4, 5)), ((4, 1), (4,)), ((5, 4), (4, 5))])
def test_broadcastable_or_other_shape_fails_naming_both_shapes(got_shape, expected_shape):
    message = mismatch(np.ones(got_shape), np.ones(expected_shape), name="db")
    assert message.startswith(f"db: expected shape {expected_shape}, got shape {got_shape}")


def test_batch_shaped_result_where_a_sum_is_expected_hints_at_axis_0():
    message = mismatch(np.ones((4, 5)), np.ones(5), name="db")
    assert "sum over the batch axis, axis=0" in message


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_dtype_fails(dtype):
    expected = expected_matrix()
    message = mismatch(expected.astype(dtype), expected)
    assert f"expected a floating-point array, got dtype {np.dtype(dtype)}" in message


def test_bool_dtype_fails_with_a_mask_hint():
    expected = np.array([0.0, 1.0, 1.0])
    message = mismatch(expected > 0, expected, name="dx")
    assert "got dtype bool" in message
    assert "multiply by the upstream gradient" in message


def test_float32_where_float64_is_expected_fails():
    expected = random_matrix()
    message = mismatch(expected.astype(np.float32), expected, name="out")
    assert "expected float64 precision, got float32" in message


def test_complex_result_fails():
    expected = random_matrix()
    mismatch(expected.astype(np.complex128), expected)


@pytest.mark.parametrize("got, described", [
    ([[1.0] * 5] * 4, "got a list of 4 values"),
    (None, "got None (did you forget a return statement?)"),
    ((np.ones((4, 5)), np.ones(5)), "got a tuple of 2 values"),
    (3.0, "got a value of type float"),
    ("[[1, 2]]", "got a value of type str"),
], ids=["list", "None", "tuple", "float", "str"])
def test_non_array_fails_with_readable_message(got, described):
    message = mismatch(got, expected_matrix(), name="out")
    assert message == f"out: expected a numpy array of shape (4, 5), {described}"


# -- diagnose -------------------------------------------------------------------

def test_result_n_times_too_large_is_diagnosed_with_batch_size():
    expected = random_matrix()
    hint = diagnose(expected * 6, expected, name="dw", batch_size=6)
    assert hint.startswith("dw is 6x (N) too large")
    assert "average over the batch" in hint


def test_result_n_times_too_small_is_diagnosed_with_batch_size():
    expected = random_matrix()
    assert diagnose(expected / 6, expected, name="dw", batch_size=6).startswith("dw is 6x (N) too small")


def test_n_fold_error_without_batch_size_is_reported_as_a_constant_factor():
    expected = random_matrix()
    assert diagnose(expected * 6, expected, name="dw") == "dw is off by a constant factor of 6"


def test_sign_flip_is_diagnosed():
    expected = random_matrix()
    assert diagnose(-expected, expected, name="dx") == "dx has the wrong sign (a minus sign flipped?)"


def test_factor_two_is_diagnosed():
    expected = random_matrix()
    assert diagnose(2 * expected, expected, name="dx") == "dx is 2x too large: a missing factor 1/2?"


def test_factor_one_half_is_diagnosed():
    expected = random_matrix()
    assert diagnose(expected / 2, expected, name="dx").startswith("dx is 2x too small: a missing factor 2")


def test_transpose_of_square_matrix_is_diagnosed():
    expected = random_matrix((4, 4))
    assert diagnose(expected.T.copy(), expected) == "the result is the transpose of the expected one"


def test_all_zeros_result_is_diagnosed():
    expected = random_matrix()
    assert diagnose(np.zeros_like(expected), expected, name="dw").startswith("dw is all zeros")


def test_nonzero_result_where_zeros_are_expected_is_diagnosed():
    assert diagnose(np.ones(3), np.zeros(3)) == "expected all zeros; your result is not"


def test_unrelated_noise_gets_no_diagnosis():
    expected = random_matrix(seed=4)
    got = random_matrix(seed=5)
    assert diagnose(got, expected, name="dx", batch_size=6) == ""
    assert diagnose(expected + 1e-3 * got, expected, name="dx", batch_size=6) == ""


def test_non_finite_result_gets_no_diagnosis():
    expected = random_matrix()
    got = 2 * expected
    got[0, 0] = np.nan
    assert diagnose(got, expected) == ""


@pytest.mark.parametrize("factor, hint", [(-1, "has the wrong sign"), (2, "is 2x too large"), (0.5, "is 2x too small"),
                                          (5, "is 5x (N) too large"), (0.2, "is 5x (N) too small")])
def test_check_array_failure_message_carries_the_likely_cause(factor, hint):
    expected = random_matrix((5, 3))
    message = mismatch(expected * factor, expected, name="dw", batch_size=5)
    assert "\n    likely cause: dw " + hint in message


def test_check_array_transpose_failure_message_carries_the_likely_cause():
    expected = random_matrix((4, 4))
    assert "likely cause: the result is the transpose" in mismatch(expected.T.copy(), expected)


def test_check_array_noise_failure_message_has_no_likely_cause():
    expected = random_matrix()
    assert "likely cause" not in mismatch(expected + 1e-3 * random_matrix(seed=9), expected)


# -- check_scalar, check_tuple ----------------------------------------------------

@pytest.mark.parametrize("got", [2.5, np.float64(2.5), np.array(2.5), 2.5 * (1 + 1e-14)],
                         ids=["float", "np.float64", "0-d array", "noisy float"])
def test_check_scalar_accepts_a_matching_number(got):
    check_scalar(got, 2.5, name="loss")


@pytest.mark.parametrize("got, described", [
    (None, "got None"), ("2.5", "got a value of type str"), ([2.5], "got a list of 1 values"),
    (np.array([2.5]), "got an array of shape (1,)"), (True, "got a value of type bool"),
    (np.bool_(True), "got a value of type bool"),
], ids=["None", "str", "list", "1-element array", "bool", "np.bool_"])
def test_check_scalar_rejects_what_is_not_a_number(got, described):
    with pytest.raises(MismatchError) as info:
        check_scalar(got, 1.0, name="loss")
    assert str(info.value).startswith(f"loss: expected a number, {described}")


def test_check_scalar_rejects_a_zero_dimensional_bool_array():
    with pytest.raises(MismatchError):
        check_scalar(np.array(True), 1.0, name="loss")


@pytest.mark.parametrize("got", [np.nan, np.float64(np.inf), 2.5 * (1 + 1e-4), -2.5])
def test_check_scalar_rejects_a_wrong_or_non_finite_number(got):
    with pytest.raises(MismatchError, match="^loss: "):
        check_scalar(got, 2.5, name="loss")


def test_check_tuple_returns_the_items_of_a_tuple_or_list_of_the_right_length():
    a, b = np.ones(2), np.zeros(3)
    assert check_tuple((a, b), length=2, name="affine_backward") == (a, b)
    assert check_tuple([a, b], length=2, name="affine_backward") == (a, b)


@pytest.mark.parametrize("got, described", [((1, 2, 3), "got a tuple of 3 values"), (None, "got None"),
                                            (np.ones(2), "got an array of shape (2,)")])
def test_check_tuple_rejects_wrong_length_or_type(got, described):
    with pytest.raises(MismatchError) as info:
        check_tuple(got, length=2, name="affine_backward")
    assert str(info.value).startswith(f"affine_backward: expected a tuple of 2 values, {described}")


# -- check_unchanged ----------------------------------------------------------------

def test_check_unchanged_accepts_an_untouched_array_with_nan():
    before = np.array([[1.0, np.nan], [np.inf, -0.5]])
    check_unchanged(before, before.copy(), name="x")


def test_check_unchanged_detects_a_one_element_change():
    before = random_matrix()
    after = before.copy()
    after[4, 1] += 1e-12
    with pytest.raises(MismatchError) as info:
        check_unchanged(before, after, name="x")
    assert str(info.value).startswith("x was modified in place by the function (1 of 30 entries changed)")


def test_check_unchanged_detects_nan_written_over_a_number():
    before = np.array([1.0, 2.0])
    with pytest.raises(MismatchError, match=r"\(1 of 2 entries changed\)"):
        check_unchanged(before, np.array([1.0, np.nan]), name="x")


@pytest.mark.parametrize("after", [np.ones((2, 3), dtype=np.float32), np.ones((3, 2)), [[1.0] * 3] * 2, None],
                         ids=["dtype", "shape", "list", "None"])
def test_check_unchanged_detects_a_changed_dtype_shape_or_type(after):
    with pytest.raises(MismatchError, match="^w was modified in place"):
        check_unchanged(np.ones((2, 3)), after, name="w")


# -- escape ---------------------------------------------------------------------------

def test_escape_turns_ansi_sequences_into_visible_text():
    text = escape("\x1b[31mred\x1b[0m\x1b]0;title\x07")
    assert text == "\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07"
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0b", "\x0c", "\r", "\x1f", "\x7f", "\x85", "\x9b"])
def test_escape_makes_control_characters_visible(char):
    assert escape(f"a{char}b") == f"a\\x{ord(char):02x}b"


def test_escape_keeps_newlines_tabs_and_ordinary_unicode():
    assert escape("line 1\n\tline 2 é ∑") == "line 1\n\tline 2 é ∑"


def test_escape_caps_the_length_and_says_how_much_was_cut():
    text = escape("a" * 5000, limit=100)
    assert text == "a" * 100 + "... [4900 more characters cut]"


def test_escape_caps_after_escaping_so_nothing_raw_slips_past_the_limit():
    text = escape("\x1b" * 1000, limit=50)
    assert "\x1b" not in text
    assert re.fullmatch(r"(\\x1b)+\\?x?1?\.\.\. \[\d+ more characters cut\]", text)


def test_escape_accepts_non_strings():
    assert escape(12) == "12"
    assert escape(None) == "None"


def test_a_factor_hint_from_one_input_is_not_named():
    """relu_backward written as dout * out is exactly "2x too large" when every x is 2: one
    input cannot tell a factor from a coincidence, so the hint waits for a second check."""
    from grader.comparison import check_array, confirm_factor_hints
    from grader.failure import MismatchError
    x = np.full((3, 4), 2.0)
    dout = np.arange(12.0).reshape(3, 4) - 5
    with pytest.raises(MismatchError) as one:
        check_array(dout * np.maximum(x, 0), dout * (x > 0), name="dx")
    assert "2x too large" in str(one.value)
    kept = confirm_factor_hints({"relu_backward": [str(one.value)]})["relu_backward"]
    assert "likely cause" not in kept[0] and kept[0].startswith("dx: ")


def test_a_factor_hint_two_checks_agree_on_is_named():
    from grader.comparison import confirm_factor_hints
    hint = "\n    likely cause: dw is 4x (N) too large: did you forget to average over the batch?"
    messages = ["dw: 12 of 15 entries differ" + hint, "dw: 9 of 15 entries differ" + hint]
    assert confirm_factor_hints({"dw": messages})["dw"] == messages


def test_a_hint_that_is_not_a_factor_is_named_after_one_check():
    from grader.comparison import confirm_factor_hints
    message = "dx: 3 of 6 entries differ\n    likely cause: the gradient was taken with respect to the output"
    assert confirm_factor_hints({"dx": [message]})["dx"] == [message]


def test_n_fold_hints_on_batches_of_different_sizes_confirm_each_other():
    from grader.comparison import confirm_factor_hints
    messages = ["dw: 1 of 4 differ\n    likely cause: dw is 5x (N) too large: did you forget to average?",
                "dw: 2 of 4 differ\n    likely cause: dw is 8x (N) too large: did you forget to average?"]
    assert confirm_factor_hints({"dw": messages})["dw"] == messages
