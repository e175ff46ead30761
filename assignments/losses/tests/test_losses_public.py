"""Public tests of the `losses` assignment: small fixed cases you can work out by hand.

Run them with `grade local` in the assignment folder. Passing them does not
mean full marks: hidden tests with random shapes and values, and the corner
cases the handout defines, run when you submit.
"""

import math

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple, check_unchanged

LN2 = math.log(2.0)


def value_and_grad(student, name, *args, **kwargs):
    """The student's (value, gradient) pair, checked to be a pair."""
    return check_tuple(getattr(student, name)(*args, **kwargs), length=2, name=f"{name}(...)")


# -- softmax_loss: 4 classes, all scores equal, so every probability is 1/4 ---------------
SOFTMAX_X = np.zeros((2, 4))
SOFTMAX_Y = np.array([0, 3])


@pytest.mark.item("softmax_loss_value")
def test_softmax_loss_of_equal_scores_is_log_of_the_class_count(student):
    loss, _ = value_and_grad(student, "softmax_loss", SOFTMAX_X, SOFTMAX_Y)
    check_scalar(loss, math.log(4.0), name="loss")


@pytest.mark.item("softmax_loss_grad")
def test_softmax_loss_grad_of_equal_scores(student):
    _, dx = value_and_grad(student, "softmax_loss", SOFTMAX_X, SOFTMAX_Y)
    # (p - one_hot(y)) / N with p = 1/4 and N = 2
    check_array(dx, np.array([[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]]),
                name="dx", batch_size=2)


@pytest.mark.item("softmax_loss_value")
def test_softmax_loss_is_finite_for_logits_of_plus_minus_1000(student):
    loss, _ = value_and_grad(student, "softmax_loss", np.array([[1000.0, -1000.0]]), np.array([1]))
    check_scalar(loss, 2000.0, name="loss")  # -log p_1 = 2000 + log(1 + exp(-2000))


@pytest.mark.item("softmax_loss_grad")
def test_softmax_loss_grad_is_finite_for_logits_of_plus_minus_1000(student):
    _, dx = value_and_grad(student, "softmax_loss", np.array([[1000.0, -1000.0]]), np.array([1]))
    check_array(dx, np.array([[1.0, -1.0]]), name="dx")  # p = [1, 0] to float64 precision


# -- svm_loss: row 0 has margins -1+1 = 0 (class 1, exactly at the hinge) and 0.5 (class 2);
#    row 1 has equal scores, so both wrong classes have margin 1 ----------------------------
SVM_X = np.array([[3.0, 2.0, 2.5], [0.0, 0.0, 0.0]])
SVM_Y = np.array([0, 1])


@pytest.mark.item("svm_loss_value")
def test_svm_loss_small_example(student):
    loss, _ = value_and_grad(student, "svm_loss", SVM_X, SVM_Y)
    check_scalar(loss, (0.5 + 2.0) / 2, name="loss")


@pytest.mark.item("svm_loss_grad")
def test_svm_loss_grad_small_example_with_a_margin_of_exactly_zero(student):
    _, dx = value_and_grad(student, "svm_loss", SVM_X, SVM_Y)
    # Row 0: only class 2 has a positive margin (class 1's margin is exactly 0: gradient 0).
    check_array(dx, np.array([[-0.5, 0.0, 0.5], [0.5, -1.0, 0.5]]), name="dx", batch_size=2)


# -- mse, mae, huber: residuals r = pred - target ------------------------------------------
PRED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
TARGET = np.array([[1.0, 0.0, 3.0], [6.0, 5.0, 4.0]])  # r = [[0, 2, 0], [-2, 0, 2]]: N = 2, n = 6 elements
HUBER_R = np.array([0.5, 1.0, -3.0, 0.0])     # inside, exactly at delta = 1, outside, zero


@pytest.mark.item("mse_loss_value")
def test_mse_loss_is_the_mean_over_all_elements_without_a_half(student):
    loss, _ = value_and_grad(student, "mse_loss", PRED, TARGET)
    check_scalar(loss, (4 + 4 + 4) / 6, name="loss")


@pytest.mark.item("mse_loss_grad")
def test_mse_loss_grad_small_example(student):
    _, dpred = value_and_grad(student, "mse_loss", PRED, TARGET)
    check_array(dpred, np.array([[0.0, 2.0, 0.0], [-2.0, 0.0, 2.0]]) / 3, name="dpred")  # 2 r / 6


@pytest.mark.item("mae_loss_value")
def test_mae_loss_small_example(student):
    loss, _ = value_and_grad(student, "mae_loss", PRED, TARGET)
    check_scalar(loss, (2 + 2 + 2) / 6, name="loss")


@pytest.mark.item("mae_loss_grad")
def test_mae_loss_grad_small_example_is_zero_where_pred_equals_target(student):
    _, dpred = value_and_grad(student, "mae_loss", PRED, TARGET)
    check_array(dpred, np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]) / 6, name="dpred")  # sign(r) / 6, sign(0) = 0


@pytest.mark.item("huber_loss_value")
def test_huber_loss_small_example_with_the_default_delta(student):
    loss, _ = value_and_grad(student, "huber_loss", HUBER_R, np.zeros(4))
    check_scalar(loss, (0.125 + 0.5 + 2.5 + 0.0) / 4, name="loss")  # 0.5 r^2 | 1 * (3 - 0.5)


@pytest.mark.item("huber_loss_value")
def test_huber_loss_small_example_with_delta_2(student):
    loss, _ = value_and_grad(student, "huber_loss", HUBER_R, np.zeros(4), delta=2.0)
    check_scalar(loss, (0.125 + 0.5 + 4.0 + 0.0) / 4, name="loss")  # 2 * (3 - 1) outside


@pytest.mark.item("huber_loss_grad")
def test_huber_loss_grad_small_example(student):
    _, dpred = value_and_grad(student, "huber_loss", HUBER_R, np.zeros(4))
    check_array(dpred, np.array([0.125, 0.25, -0.25, 0.0]), name="dpred")  # clip(r, -1, 1) / 4


@pytest.mark.item("huber_loss_grad")
def test_huber_loss_grad_small_example_with_delta_2(student):
    _, dpred = value_and_grad(student, "huber_loss", HUBER_R, np.zeros(4), delta=2.0)
    check_array(dpred, np.array([0.125, 0.25, -0.5, 0.0]), name="dpred")  # clip(r, -2, 2) / 4


# -- bce_loss ------------------------------------------------------------------------------
BCE_P = np.array([0.5, 0.8, 0.2, 0.0])
BCE_T = np.array([1.0, 1.0, 0.0, 0.0])


@pytest.mark.item("bce_loss_value")
def test_bce_loss_small_example(student):
    loss, _ = value_and_grad(student, "bce_loss", BCE_P, BCE_T)
    # -log 0.5, -log 0.8, -log(1 - 0.2), and -log(1 - 1e-12) ~ 1e-12 for the clipped 0
    check_scalar(loss, (LN2 + 2 * -math.log(0.8) + 1e-12) / 4, name="loss")


@pytest.mark.item("bce_loss_grad")
def test_bce_loss_grad_small_example(student):
    _, dprobs = value_and_grad(student, "bce_loss", BCE_P, BCE_T)
    # (p - t) / (p (1 - p)) / 4; the last p is clipped to 1e-12, giving 1 / (1 - 1e-12) / 4
    check_array(dprobs, np.array([-0.5, -0.3125, 0.3125, 0.25]), name="dprobs")


@pytest.mark.item("bce_loss_value")
def test_bce_loss_of_a_confident_wrong_probability_is_clipped(student):
    loss, _ = value_and_grad(student, "bce_loss", np.array([0.0]), np.array([1.0]))
    check_scalar(loss, -math.log(1e-12), name="loss")  # p = 0 is clipped to 1e-12


@pytest.mark.item("bce_loss_grad")
def test_bce_loss_grad_of_a_confident_wrong_probability_is_finite(student):
    _, dprobs = value_and_grad(student, "bce_loss", np.array([0.0]), np.array([1.0]))
    check_array(dprobs, np.array([-1e12]), name="dprobs")  # (1e-12 - 1) / (1e-12 (1 - 1e-12))


# -- bce_with_logits_loss -------------------------------------------------------------------
LOGITS = np.array([0.0, 0.0, 1000.0, -1000.0])
LOGIT_T = np.array([1.0, 0.0, 1.0, 1.0])


@pytest.mark.item("bce_with_logits_loss_value")
def test_bce_with_logits_loss_small_example_with_logits_of_plus_minus_1000(student):
    loss, _ = value_and_grad(student, "bce_with_logits_loss", LOGITS, LOGIT_T)
    check_scalar(loss, (LN2 + LN2 + 0.0 + 1000.0) / 4, name="loss")


@pytest.mark.item("bce_with_logits_loss_grad")
def test_bce_with_logits_loss_grad_small_example_with_logits_of_plus_minus_1000(student):
    _, dlogits = value_and_grad(student, "bce_with_logits_loss", LOGITS, LOGIT_T)
    check_array(dlogits, np.array([-0.125, 0.125, 0.0, -0.25]), name="dlogits")  # (sigmoid - t) / 4


# -- penalties -----------------------------------------------------------------------------
W = np.array([[1.0, -2.0], [0.0, 0.5]])  # sum |w| = 3.5, sum w^2 = 5.25


@pytest.mark.item("l1_penalty_value")
def test_l1_penalty_small_example(student):
    penalty, _ = value_and_grad(student, "l1_penalty", W, 0.1)
    check_scalar(penalty, 0.35, name="penalty")


@pytest.mark.item("l1_penalty_grad")
def test_l1_penalty_grad_small_example_is_zero_where_w_is_zero(student):
    _, dw = value_and_grad(student, "l1_penalty", W, 0.1)
    check_array(dw, np.array([[0.1, -0.1], [0.0, 0.1]]), name="dw")


@pytest.mark.item("l2_penalty_value")
def test_l2_penalty_small_example_has_no_half(student):
    penalty, _ = value_and_grad(student, "l2_penalty", W, 0.1)
    check_scalar(penalty, 0.525, name="penalty")


@pytest.mark.item("l2_penalty_grad")
def test_l2_penalty_grad_small_example(student):
    _, dw = value_and_grad(student, "l2_penalty", W, 0.1)
    check_array(dw, np.array([[0.2, -0.4], [0.0, 0.1]]), name="dw")


@pytest.mark.item("elastic_net_penalty_value")
def test_elastic_net_penalty_small_example(student):
    penalty, _ = value_and_grad(student, "elastic_net_penalty", W, 0.1, 0.5)
    check_scalar(penalty, 0.1 * (0.5 * 3.5 + 0.5 * 5.25), name="penalty")


@pytest.mark.item("elastic_net_penalty_grad")
def test_elastic_net_penalty_grad_small_example(student):
    _, dw = value_and_grad(student, "elastic_net_penalty", W, 0.1, 0.5)
    check_array(dw, np.array([[0.15, -0.25], [0.0, 0.1]]), name="dw")


# -- no function modifies its inputs --------------------------------------------------------
CALLS = [
    ("softmax_loss", (SVM_X, SVM_Y)),
    ("svm_loss", (SVM_X, SVM_Y)),
    ("mse_loss", (PRED, TARGET)),
    ("mae_loss", (PRED, TARGET)),
    ("huber_loss", (HUBER_R, np.zeros(4))),
    ("bce_loss", (np.array([0.0, 1.0, 0.3]), np.array([1.0, 0.0, 1.0]))),
    ("bce_with_logits_loss", (LOGITS, LOGIT_T)),
    ("l1_penalty", (W, 0.1)),
    ("l2_penalty", (W, 0.1)),
    ("elastic_net_penalty", (W, 0.1, 0.5)),
]


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs_small_example(student):
    for name, args in CALLS:
        _, after = getattr(student, name).with_args(*args)
        for position, (before, now) in enumerate(zip(args, after)):
            if isinstance(before, np.ndarray):
                check_unchanged(before, now, name=f"{name}: argument {position + 1}")
