"""Public tests of the `losses` assignment: small fixed cases you can work out by hand.

Run them with `grade local` in the assignment folder. Passing them does not
mean full marks: hidden tests with random shapes and values, and the corner
cases the handout defines, run when you submit.
"""

import math

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError

LN2 = math.log(2.0)


def value_and_grad(student, name, *args, **kwargs):
    """The student's (value, gradient) pair, checked to be a pair."""
    return check_tuple(getattr(student, name)(*args, **kwargs), length=2, name=f"{name}(...)")


CAUSE = "\n    likely cause: "


ORDERS = [pytest.param((0, 1), id="first"), pytest.param((1, 0), id="second")]


def on_two_examples(check, example, other):
    """check(*example), and a likely cause in its message only if check(*other), on a second
    example of the same shapes, fails with that same cause: one example can fake a pattern."""
    try:
        check(*example)
    except MismatchError as error:
        text, _, cause = str(error).partition(CAUSE)
        try:
            check(*other)
            seen_again = False
        except MismatchError as second:
            seen_again = bool(cause) and str(second).partition(CAUSE)[2] == cause
        raise MismatchError(str(error) if seen_again else text) from None


def grad_check(student, name, grad_name, *, batch_size=None):
    """A check of the gradient: (args, kwargs, expected, {cause: the gradient that mistake gives})."""
    def check(args, kwargs, expected, mistakes):
        _, grad = value_and_grad(student, name, *args, **kwargs)
        check_array(grad, np.array(expected), name=grad_name, batch_size=batch_size,
                    likely={cause: np.array(wrong) for cause, wrong in mistakes.items()})
    return check


def n_times(grad_name, n, big_n):
    """The hints for an elementwise loss's gradient divided by nothing, or by N = shape[0]."""
    return (f"{grad_name} is n = {n} times too large: the loss is the mean over all n = size elements, "
            "so the gradient is divided by n",
            f"{grad_name} is {n // big_n}x too large: divide by n = size (every element), not by N = shape[0] = {big_n}")


# -- softmax_loss: all scores equal, so every probability is 1 / C -------------------------
SOFTMAX_X = np.zeros((2, 4))
SOFTMAX_Y = np.array([0, 3])
SOFTMAX_EXAMPLES = [  # (x, y), dx = (p - one_hot(y)) / N, worked out by hand
    ((SOFTMAX_X, SOFTMAX_Y), {}, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]], {}),
    ((np.zeros((2, 2)), np.array([1, 0])), {}, [[0.25, -0.25], [-0.25, 0.25]], {}),
]


@pytest.mark.item("softmax_loss_value")
def test_softmax_loss_of_equal_scores_is_log_of_the_class_count(student):
    loss, _ = value_and_grad(student, "softmax_loss", SOFTMAX_X, SOFTMAX_Y)
    check_scalar(loss, math.log(4.0), name="loss")


@pytest.mark.item("softmax_loss_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_softmax_loss_grad_of_equal_scores(student, order):
    on_two_examples(grad_check(student, "softmax_loss", "dx", batch_size=2), *(SOFTMAX_EXAMPLES[i] for i in order))


# Stability is judged against your own function at an ordinary twin of the extreme input
# (the same scores shifted so the row max is 0, with -2000 raised to -40): the loss must move
# by exactly the difference, and dx must not change (exp(-40) ~ 4e-18 is below any tolerance).
@pytest.mark.item("softmax_loss_stable")
def test_softmax_loss_is_finite_for_logits_of_plus_minus_1000(student):
    loss, _ = value_and_grad(student, "softmax_loss", np.array([[1000.0, -1000.0]]), np.array([1]))
    twin, _ = value_and_grad(student, "softmax_loss", np.array([[0.0, -40.0]]), np.array([1]))
    check_scalar(twin, 40.0, name="loss at scores [0, -40]", rtol=np.inf)  # a finite number
    # -log p_1 = 2000 + log(1 + exp(-2000)) there, 40 + log(1 + exp(-40)) at the twin
    check_scalar(loss, float(twin) + 1960.0, name="loss at scores [1000, -1000] (against yours at [0, -40], plus 1960)")


@pytest.mark.item("softmax_loss_stable")
def test_softmax_loss_grad_is_finite_for_logits_of_plus_minus_1000(student):
    _, dx = value_and_grad(student, "softmax_loss", np.array([[1000.0, -1000.0]]), np.array([1]))
    _, twin = value_and_grad(student, "softmax_loss", np.array([[0.0, -40.0]]), np.array([1]))
    check_array(twin, np.zeros((1, 2)), name="dx at scores [0, -40]", rtol=np.inf)  # a finite array
    check_array(dx, twin, name="dx at scores [1000, -1000] (against yours at [0, -40])")


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
    # Row 0: class 2's margin is positive; class 1's is exactly 0, where the hinge has no
    # derivative: counting it (gradient 1/N) or not (0) are both right.
    not_counted = np.array([[-0.5, 0.0, 0.5], [0.5, -1.0, 0.5]])
    counted = np.array([[-1.0, 0.5, 0.5], [0.5, -1.0, 0.5]])
    counts = isinstance(dx, np.ndarray) and dx.shape == (2, 3) and abs(float(dx[0, 1]) - 0.5) < 0.25
    check_array(dx, counted if counts else not_counted, name="dx", batch_size=2)


# -- mse, mae, huber: residuals r = pred - target ------------------------------------------
PRED = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
TARGET = np.array([[1.0, 0.0, 3.0], [6.0, 5.0, 4.0]])  # r = [[0, 2, 0], [-2, 0, 2]]: N = 2, n = 6 elements
HUBER_R = np.array([0.5, 1.0, -3.0, 0.0])     # inside, exactly at delta = 1, outside, zero
TOO_LARGE, NOT_BY_N = n_times("dpred", 6, 2)
NO_HALF = "dpred is 2x too small: the handout's MSE has no 1/2, so dpred = 2 (pred - target) / n"
MSE_EXAMPLES = [  # ((pred, target), {}, 2 r / 6, {cause: wrong dpred}), by hand
    ((PRED, TARGET), {}, [[0.0, 2 / 3, 0.0], [-2 / 3, 0.0, 2 / 3]],
     {TOO_LARGE: [[0, 4, 0], [-4, 0, 4]], NOT_BY_N: [[0, 2, 0], [-2, 0, 2]],
      NO_HALF: [[0, 1 / 3, 0], [-1 / 3, 0, 1 / 3]]}),
    ((np.array([[0.5, -1.0, 1.0], [2.0, 0.0, -0.5]]), np.zeros((2, 3))), {},
     [[1 / 6, -1 / 3, 1 / 3], [2 / 3, 0.0, -1 / 6]],
     {TOO_LARGE: [[1, -2, 2], [4, 0, -1]], NOT_BY_N: [[0.5, -1, 1], [2, 0, -0.5]],
      NO_HALF: [[1 / 12, -1 / 6, 1 / 6], [1 / 3, 0, -1 / 12]]}),
]
MAE_EXAMPLES = [  # residuals without zeros: sign(r) / 6
    ((np.array([[1.0, -2.0, 0.5], [-0.5, 3.0, -1.0]]), np.zeros((2, 3))), {},
     [[1 / 6, -1 / 6, 1 / 6], [-1 / 6, 1 / 6, -1 / 6]],
     {TOO_LARGE: [[1, -1, 1], [-1, 1, -1]], NOT_BY_N: [[0.5, -0.5, 0.5], [-0.5, 0.5, -0.5]]}),
    ((np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 0.25]]), np.zeros((2, 3))), {},
     [[-1 / 6, 1 / 6, -1 / 6], [1 / 6, -1 / 6, 1 / 6]],
     {TOO_LARGE: [[-1, 1, -1], [1, -1, 1]], NOT_BY_N: [[-0.5, 0.5, -0.5], [0.5, -0.5, 0.5]]}),
]


@pytest.mark.item("mse_loss_value")
def test_mse_loss_is_the_mean_over_all_elements_without_a_half(student):
    loss, _ = value_and_grad(student, "mse_loss", PRED, TARGET)
    check_scalar(loss, (4 + 4 + 4) / 6, name="loss")


@pytest.mark.item("mse_loss_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_mse_loss_grad_small_examples(student, order):
    on_two_examples(grad_check(student, "mse_loss", "dpred"), *(MSE_EXAMPLES[i] for i in order))


@pytest.mark.item("mae_loss_value")
def test_mae_loss_small_example(student):
    loss, _ = value_and_grad(student, "mae_loss", PRED, TARGET)
    check_scalar(loss, (2 + 2 + 2) / 6, name="loss")


@pytest.mark.item("mae_loss_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_mae_loss_grad_small_examples(student, order):
    on_two_examples(grad_check(student, "mae_loss", "dpred"), *(MAE_EXAMPLES[i] for i in order))


def check_subgradient_at_zero(grad, zero, slope, name):
    """Where |.| has no derivative, any value in [-slope, slope] is right (sign(0) = 0 is the
    handout's choice); NaN is not."""
    if isinstance(grad, np.ndarray) and grad.shape == zero.shape and grad.dtype.kind == "f":
        expected = np.clip(np.nan_to_num(grad[zero], nan=0.0), -slope, slope)
        check_array(grad[zero], expected, name=f"{name} (any value in [-{slope:g}, {slope:g}] is right there)")
    else:
        check_array(grad, np.zeros(zero.shape), name=name)


@pytest.mark.item("mae_loss_kink")
def test_mae_loss_grad_where_pred_equals_target_is_a_subgradient(student):
    _, dpred = value_and_grad(student, "mae_loss", PRED, TARGET)
    check_subgradient_at_zero(dpred, PRED == TARGET, 1 / 6, "dpred where pred == target")


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
    check_array(dpred, np.array([0.125, 0.25, -0.25, 0.0]), name="dpred")  # worked out from the handout


@pytest.mark.item("huber_loss_grad")
def test_huber_loss_grad_small_example_with_delta_2(student):
    _, dpred = value_and_grad(student, "huber_loss", HUBER_R, np.zeros(4), delta=2.0)
    check_array(dpred, np.array([0.125, 0.25, -0.5, 0.0]), name="dpred")


# -- bce_loss ------------------------------------------------------------------------------
BCE_P = np.array([0.5, 0.8, 0.2, 0.4])
BCE_T = np.array([1.0, 1.0, 0.0, 0.0])
WRT_LOGITS = ("dprobs = (p - t) / n is the gradient with respect to the logits; with respect to the "
              "probabilities it is (p - t) / (p (1 - p)) / n")
BCE_EXAMPLES = [
    ((BCE_P, BCE_T), {}, [-0.5, -0.3125, 0.3125, 5 / 12], {WRT_LOGITS: [-0.125, -0.05, 0.05, 0.1]}),
    ((np.array([0.25, 0.75, 0.5, 0.5]), np.array([0.0, 0.0, 1.0, 0.5])), {}, [1 / 3, 1.0, -0.5, 0.0],
     {WRT_LOGITS: [0.0625, 0.1875, -0.125, 0.0]}),
]


@pytest.mark.item("bce_loss_value")
def test_bce_loss_small_example(student):
    loss, _ = value_and_grad(student, "bce_loss", BCE_P, BCE_T)
    check_scalar(loss, (LN2 + 2 * -math.log(0.8) - math.log(0.6)) / 4, name="loss")


@pytest.mark.item("bce_loss_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_bce_loss_grad_small_examples(student, order):
    on_two_examples(grad_check(student, "bce_loss", "dprobs"), *(BCE_EXAMPLES[i] for i in order))


@pytest.mark.item("bce_loss_clipped")
def test_bce_loss_of_a_confident_wrong_probability_is_clipped(student):
    loss, _ = value_and_grad(student, "bce_loss", np.array([0.0]), np.array([1.0]))
    at_clip, _ = value_and_grad(student, "bce_loss", np.array([1e-12]), np.array([1.0]))
    check_scalar(at_clip, -math.log(1e-12), name="loss at p = 1e-12", rtol=np.inf)  # a finite number
    check_scalar(loss, float(at_clip), name="loss at p = 0 (against yours at p = 1e-12: p = 0 is clipped to 1e-12)")


@pytest.mark.item("bce_loss_clipped")
def test_bce_loss_grad_of_a_confident_wrong_probability_is_the_one_at_the_clipped_probability(student):
    _, dprobs = value_and_grad(student, "bce_loss", np.array([0.0]), np.array([1.0]))
    _, at_clip = value_and_grad(student, "bce_loss", np.array([1e-12]), np.array([1.0]))
    # p = 0 is clipped to 1e-12, so dprobs there is your dprobs at 1e-12 (about -1e12 by the
    # handout's formula); 0, the exact derivative of the clipped loss (flat below 1e-12), is
    # accepted too. Whether dprobs at 1e-12 itself is right, bce_loss_grad judges.
    check_array(at_clip, np.array([-1e12]), name="dprobs at 1e-12", rtol=np.inf)  # a finite array
    zero = isinstance(dprobs, np.ndarray) and dprobs.shape == (1,) and dprobs[0] == 0.0
    check_array(dprobs, np.zeros(1) if zero else at_clip, name="dprobs at p = 0 (against yours at p = 1e-12)")


# -- bce_with_logits_loss -------------------------------------------------------------------
LOGITS = np.array([0.0, 0.0, math.log(3.0), -math.log(3.0)])  # sigmoid: 1/2, 1/2, 3/4, 1/4
LOGIT_T = np.array([1.0, 0.0, 1.0, 1.0])


@pytest.mark.item("bce_with_logits_loss_value")
def test_bce_with_logits_loss_small_example(student):
    loss, _ = value_and_grad(student, "bce_with_logits_loss", LOGITS, LOGIT_T)
    check_scalar(loss, (LN2 + LN2 + math.log(4 / 3) + math.log(4.0)) / 4, name="loss")


@pytest.mark.item("bce_with_logits_loss_grad")
def test_bce_with_logits_loss_grad_small_example(student):
    _, dlogits = value_and_grad(student, "bce_with_logits_loss", LOGITS, LOGIT_T)
    check_array(dlogits, np.array([-0.125, 0.125, -0.0625, -0.1875]), name="dlogits")


@pytest.mark.item("bce_with_logits_loss_stable")
@pytest.mark.parametrize("logit,target", [(1000.0, 0.0), (-1000.0, 1.0)])
def test_bce_with_logits_loss_with_a_logit_of_plus_minus_1000(student, logit, target):
    loss, _ = value_and_grad(student, "bce_with_logits_loss", np.array([logit]), np.array([target]))
    twin, _ = value_and_grad(student, "bce_with_logits_loss", np.array([logit / 25]), np.array([target]))
    check_scalar(twin, 40.0, name=f"loss at logit {logit / 25:g}", rtol=np.inf)  # a finite number
    # the loss of a confidently wrong logit grows by |z|: 1000 there, 40 + log(1 + exp(-40)) at +-40
    check_scalar(loss, float(twin) + 960.0, name=f"loss at logit {logit:g} (against yours at {logit / 25:g}, plus 960)")


@pytest.mark.item("bce_with_logits_loss_stable")
def test_bce_with_logits_loss_grad_with_logits_of_plus_minus_1000(student):
    _, dlogits = value_and_grad(student, "bce_with_logits_loss", np.array([1000.0, -1000.0]), np.array([1.0, 1.0]))
    _, twin = value_and_grad(student, "bce_with_logits_loss", np.array([40.0, -40.0]), np.array([1.0, 1.0]))
    check_array(twin, np.zeros(2), name="dlogits at logits +-40", rtol=np.inf)  # a finite array
    check_array(dlogits, twin, name="dlogits at logits +-1000 (against yours at +-40)")


# -- penalties -----------------------------------------------------------------------------
W = np.array([[1.0, -2.0], [0.0, 0.5]])  # sum |w| = 3.5, sum w^2 = 5.25
W_NONZERO = np.array([[1.0, -2.0], [0.25, 0.5]])
MISSING_REG = "dw is missing the factor reg: dw = reg * sign(w)"


@pytest.mark.item("l1_penalty_value")
def test_l1_penalty_small_example(student):
    penalty, _ = value_and_grad(student, "l1_penalty", W, 0.1)
    check_scalar(penalty, 0.35, name="penalty")


@pytest.mark.item("l1_penalty_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_l1_penalty_grad_small_examples(student, order):
    examples = [((W_NONZERO, 0.1), {}, [[0.1, -0.1], [0.1, 0.1]], {MISSING_REG: [[1, -1], [1, 1]]}),
                ((-W_NONZERO, 0.2), {}, [[-0.2, 0.2], [-0.2, -0.2]], {MISSING_REG: [[-1, 1], [-1, -1]]})]
    on_two_examples(grad_check(student, "l1_penalty", "dw"), *(examples[i] for i in order))


@pytest.mark.item("l1_penalty_kink")
def test_l1_penalty_grad_where_w_is_zero_is_a_subgradient(student):
    _, dw = value_and_grad(student, "l1_penalty", W, 0.1)
    check_subgradient_at_zero(dw, W == 0, 0.1, "dw where w == 0")


@pytest.mark.item("l2_penalty_value")
def test_l2_penalty_small_example_has_no_half(student):
    penalty, _ = value_and_grad(student, "l2_penalty", W, 0.1)
    check_scalar(penalty, 0.525, name="penalty")


@pytest.mark.item("l2_penalty_grad")
@pytest.mark.parametrize("order", ORDERS)
def test_l2_penalty_grad_small_examples(student, order):
    examples = [((W, 0.1), {}, [[0.2, -0.4], [0.0, 0.1]], {}), ((W_NONZERO, 0.1), {}, [[0.2, -0.4], [0.05, 0.1]], {})]
    on_two_examples(grad_check(student, "l2_penalty", "dw"), *(examples[i] for i in order))


@pytest.mark.item("elastic_net_penalty_value")
def test_elastic_net_penalty_small_example(student):
    penalty, _ = value_and_grad(student, "elastic_net_penalty", W, 0.1, 0.5)
    check_scalar(penalty, 0.1 * (0.5 * 3.5 + 0.5 * 5.25), name="penalty")


@pytest.mark.item("elastic_net_penalty_grad")
def test_elastic_net_penalty_grad_small_example(student):
    _, dw = value_and_grad(student, "elastic_net_penalty", W_NONZERO, 0.1, 0.5)
    check_array(dw, np.array([[0.15, -0.25], [0.075, 0.1]]), name="dw")


@pytest.mark.item("elastic_net_penalty_kink")
def test_elastic_net_penalty_grad_where_w_is_zero_is_a_subgradient(student):
    _, dw = value_and_grad(student, "elastic_net_penalty", W, 0.1, 0.5)
    check_subgradient_at_zero(dw, W == 0, 0.05, "dw where w == 0")


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
    """Only functions that return are judged here (one that raises loses its own items)."""
    returned, changed = 0, []
    for name, args in CALLS:
        try:
            _, after = getattr(student, name).with_args(*args)
        except StudentCodeError:
            continue
        returned += 1
        for position, (before, now) in enumerate(zip(args, after)):
            if isinstance(before, np.ndarray):
                try:
                    check_unchanged(before, now, name=f"{name}: argument {position + 1}")
                except MismatchError as error:
                    changed.append(str(error))
    if not returned:
        raise MismatchError("no function returned: nothing could be checked for modifying its inputs")
    if changed:
        raise MismatchError("\n".join(changed))
