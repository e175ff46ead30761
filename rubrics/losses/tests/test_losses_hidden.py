"""Hidden tests of the `losses` assignment.

Loss values are compared with the reference. Gradients are compared with
central-difference gradients of the *reference* loss, so a gradient consistent
with a wrong loss cannot pass. Inputs come from ``rng`` (seeded from the run's
seed and the test id) and are kept away from the kinks (an SVM margin of 0, a
residual of 0 or of +-delta, a weight of 0), where central differences mean
nothing. The kinks themselves, and the numerically hard inputs (logits of
+-1000, probabilities of exactly 0 and 1 or close to them), have tests of their
own that check the conventions the handout states, against the reference's
analytic gradient.

Each generic test is parametrized over the functions; every parameter carries
the one rubric item it serves.
"""

import numpy as np
import pytest

from grader.comparison import RTOL_NUMERIC, check_array, check_scalar, check_tuple, check_unchanged
from grader.gradcheck import numerical_gradient

# Why: central differences (h = 1e-5) across a kink are meaningless; inputs are
# moved at least this far from every kink before a numerical check.
KINK_GAP = 1e-3
# Why: a probability of exactly 1 is clipped to 1 - 1e-12, and 1 - p then keeps only
# ~1e-4 of relative precision in float64 however it is computed; 1e-3 still tells
# eps = 1e-12 from any other clip (eps = 1e-7 changes these results 1e5-fold).
RTOL_CLIPPED = 1e-3

CLASS_CASES = [(5, 4), (1, 3), (8, 10)]           # (N, C); N = 1 included
ELEMENT_SHAPES = [(7,), (4, 3), (1, 5), (2, 3, 4)]  # any shape; the mean is over all elements
WEIGHT_SHAPES = [(5, 3), (6,), (2, 3, 2)]

GRAD_NAMES = {"softmax_loss": "dx", "svm_loss": "dx", "mse_loss": "dpred", "mae_loss": "dpred",
              "huber_loss": "dpred", "bce_loss": "dprobs", "bce_with_logits_loss": "dlogits",
              "l1_penalty": "dw", "l2_penalty": "dw", "elastic_net_penalty": "dw"}
PENALTIES = ("l1_penalty", "l2_penalty", "elastic_net_penalty")


# -- inputs ------------------------------------------------------------------------------
def away_from(values, kink, rng):
    """``values`` with entries closer than KINK_GAP to ``kink`` pushed 0.01 away from it."""
    near = np.abs(values - kink) < KINK_GAP
    return np.where(near, kink + 0.01 * rng.choice([-1.0, 1.0], size=values.shape), values)


def labels(rng, n, c):
    return rng.integers(0, c, size=n)


def mixed_targets(rng, shape):
    """Mostly hard labels 0/1, some soft targets in (0, 1)."""
    hard = rng.integers(0, 2, size=shape).astype(np.float64)
    return np.where(rng.random(shape) < 0.7, hard, rng.uniform(0.0, 1.0, size=shape))


def svm_margins(x, y):
    rows = np.arange(x.shape[0])
    margins = x - x[rows, y][:, np.newaxis] + 1.0
    margins[rows, y] = -np.inf  # the correct class has no margin
    return margins


def softmax_inputs(rng, shape):
    return (2.0 * rng.standard_normal(shape), labels(rng, *shape)), {}


def svm_inputs(rng, shape):
    x, y = rng.standard_normal(shape), labels(rng, *shape)
    near = np.abs(svm_margins(x, y)) < KINK_GAP  # a correct class is never near (-inf)
    return (np.where(near, x + 0.01, x), y), {}


def residual_inputs(rng, shape, move=None):
    """(pred, target) with residuals r of both signs and of either size; ``move(r)`` keeps
    them away from a kink."""
    target = rng.standard_normal(shape)
    r = 1.5 * rng.standard_normal(shape)
    if move is not None:
        r = move(r)
    return (target + r, target), {}


def mae_inputs(rng, shape):
    return residual_inputs(rng, shape, move=lambda r: away_from(r, 0.0, rng))


def huber_inputs(rng, shape):
    delta = float(rng.uniform(0.5, 2.0))
    args, _ = residual_inputs(rng, shape, move=lambda r: np.sign(r) * away_from(np.abs(r), delta, rng))
    return args, {"delta": delta}


def bce_inputs(rng, shape):
    return (rng.uniform(0.02, 0.98, size=shape), mixed_targets(rng, shape)), {}


def bce_with_logits_inputs(rng, shape):
    return (3.0 * rng.standard_normal(shape), mixed_targets(rng, shape)), {}


def weights(rng, shape, *, avoid_zero):
    w = rng.standard_normal(shape)
    return away_from(w, 0.0, rng) if avoid_zero else w


def l1_inputs(rng, shape):
    # Why reg < 0.5: keeps "dw is 2x off" and "reg missing" apart in the hints.
    return (weights(rng, shape, avoid_zero=True), float(rng.uniform(0.1, 0.45))), {}


def l2_inputs(rng, shape):
    return (weights(rng, shape, avoid_zero=False), float(rng.uniform(0.1, 0.45))), {}


def elastic_net_inputs(rng, shape):
    return (weights(rng, shape, avoid_zero=True), float(rng.uniform(0.1, 0.45)),
            float(rng.uniform(0.2, 0.8))), {}


# -- known mistakes, as the gradient they would produce ------------------------------------
def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def one_hot(y, c):
    return np.eye(c)[y]


def softmax_mistakes(x, y):
    n, c = x.shape
    return {
        "dx is missing the -1 at the correct class: dx = (softmax(x) - one_hot(y)) / N": softmax(x, 1) / n,
        "the softmax was taken over axis 0 (the batch) instead of axis 1 (the classes)":
            (softmax(x, 0) - one_hot(y, c)) / n,
    }


def svm_mistakes(x, y):
    n = x.shape[0]
    rows = np.arange(n)
    positive = (svm_margins(x, y) > 0).astype(np.float64)
    once = positive.copy()
    once[rows, y] = -(positive.sum(axis=1) > 0).astype(np.float64)
    return {
        "dx is missing the correct-class term: dx[i, y[i]] = -(number of positive margins in row i) / N":
            positive / n,
        "the correct class got -1/N once per example, not once per positive margin": once / n,
    }


def elementwise_mistakes(grad_times_n, shape, name, *, extra=None):
    """Mistakes in averaging an elementwise loss whose correct gradient is grad_times_n / n."""
    n, first = int(np.prod(shape)), shape[0]
    mistakes = dict(extra or {})
    mistakes[f"{name} is n = {n} times too large: the loss is the mean over all n = size elements, "
             "so the gradient is divided by n"] = grad_times_n
    if n != first:
        mistakes[f"{name} is {n // first}x too large: divide by n = size (every element), "
                 f"not by N = shape[0] = {first}"] = grad_times_n / first
    return mistakes


def mse_mistakes(pred, target):
    r = pred - target
    return elementwise_mistakes(2 * r, r.shape, "dpred", extra={
        "dpred is 2x too small: the handout's MSE has no 1/2, so dpred = 2 (pred - target) / n": r / r.size})


def mae_mistakes(pred, target):
    return elementwise_mistakes(np.sign(pred - target), pred.shape, "dpred")


def huber_mistakes(pred, target, delta=1.0):
    r = pred - target
    inside = np.abs(r) <= delta
    extra = {"dpred is 2x too large where |r| <= delta: the quadratic part is 0.5 r**2, whose gradient is r":
             np.where(inside, 2 * r, delta * np.sign(r)) / r.size}
    if delta != 1.0:
        extra["where |r| > delta the gradient is delta * sign(r), not sign(r)"] = \
            np.where(inside, r, np.sign(r)) / r.size
    return elementwise_mistakes(np.clip(r, -delta, delta), r.shape, "dpred", extra=extra)


def bce_mistakes(probs, target):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    return elementwise_mistakes((p - target) / (p * (1 - p)), p.shape, "dprobs", extra={
        "dprobs = (p - t) / n is the gradient with respect to the logits; with respect to the "
        "probabilities it is (p - t) / (p (1 - p)) / n": (p - target) / p.size})


def bce_with_logits_mistakes(logits, target):
    return elementwise_mistakes(1 / (1 + np.exp(-logits)) - target, logits.shape, "dlogits")


def l1_mistakes(w, reg):
    return {"dw is missing the factor reg: dw = reg * sign(w)": np.sign(w)}


def l2_mistakes(w, reg):
    return {"dw is missing the factor reg: dw = 2 * reg * w": 2 * w}


def elastic_net_mistakes(w, reg, l1_ratio):
    return {
        "the L2 part has a factor 1/2 (scikit-learn's convention); the handout's is "
        "reg * (1 - l1_ratio) * sum w**2, whose gradient is 2 * reg * (1 - l1_ratio) * w":
            reg * (l1_ratio * np.sign(w) + (1 - l1_ratio) * w),
        "l1_ratio weights the L1 part and 1 - l1_ratio the L2 part, not the other way round":
            reg * ((1 - l1_ratio) * np.sign(w) + 2 * l1_ratio * w),
    }


# function: (input maker, shapes, known mistakes of the gradient, batch size of args or None)
SPECS = {
    "softmax_loss": (softmax_inputs, CLASS_CASES, softmax_mistakes, True),
    "svm_loss": (svm_inputs, CLASS_CASES, svm_mistakes, True),
    "mse_loss": (residual_inputs, ELEMENT_SHAPES, mse_mistakes, False),
    "mae_loss": (mae_inputs, ELEMENT_SHAPES, mae_mistakes, False),
    "huber_loss": (huber_inputs, ELEMENT_SHAPES, huber_mistakes, False),
    "bce_loss": (bce_inputs, ELEMENT_SHAPES, bce_mistakes, False),
    "bce_with_logits_loss": (bce_with_logits_inputs, ELEMENT_SHAPES, bce_with_logits_mistakes, False),
    "l1_penalty": (l1_inputs, WEIGHT_SHAPES, l1_mistakes, False),
    "l2_penalty": (l2_inputs, WEIGHT_SHAPES, l2_mistakes, False),
    "elastic_net_penalty": (elastic_net_inputs, WEIGHT_SHAPES, elastic_net_mistakes, False),
}


def cases(kind):
    """One pytest.param per (function, shape), marked with the function's ``kind`` item."""
    return [pytest.param(name, shape, marks=pytest.mark.item(f"{name}_{kind}"),
                         id=f"{name}-{'x'.join(map(str, shape))}")
            for name, (_, shapes, _, _) in SPECS.items() for shape in shapes]


def per_function(kind, names):
    return [pytest.param(name, marks=pytest.mark.item(f"{name}_{kind}"), id=name) for name in names]


# -- checks ------------------------------------------------------------------------------
def value_and_grad(student, name, args, kwargs=None):
    """The student's (value, gradient) pair, checked to be a pair."""
    return check_tuple(getattr(student, name)(*args, **(kwargs or {})), length=2, name=f"{name}(...)")


def value_name(name):
    return "penalty" if name in PENALTIES else "loss"


def check_value(student, ref, name, args, kwargs=None, *, rtol=None):
    value, _ = value_and_grad(student, name, args, kwargs)
    expected, _ = getattr(ref, name)(*args, **(kwargs or {}))
    check_scalar(value, expected, name=value_name(name), **({"rtol": rtol} if rtol else {}))


def check_grad_against_reference(student, ref, name, args, kwargs=None, *, what="", rtol=None, likely=None):
    """The gradient against the reference's analytic one (for inputs where central
    differences cannot be trusted: saturated or clipped values, kinks)."""
    _, grad = value_and_grad(student, name, args, kwargs)
    _, expected = getattr(ref, name)(*args, **(kwargs or {}))
    check_array(grad, expected, name=GRAD_NAMES[name] + what, **({"rtol": rtol} if rtol else {}),
                batch_size=args[0].shape[0] if SPECS[name][3] else None, likely=likely)


# -- generic tests -------------------------------------------------------------------------
@pytest.mark.parametrize("name,shape", cases("value"))
def test_value_matches_reference(student, ref, rng, name, shape):
    args, kwargs = SPECS[name][0](rng, shape)
    check_value(student, ref, name, args, kwargs)


@pytest.mark.parametrize("name,shape", cases("grad"))
def test_grad_matches_numerical_gradient_of_reference(student, ref, rng, name, shape):
    make_inputs, _, mistakes, batched = SPECS[name]
    args, kwargs = make_inputs(rng, shape)
    _, grad = value_and_grad(student, name, args, kwargs)
    reference = getattr(ref, name)
    target = numerical_gradient(lambda v: reference(v, *args[1:], **kwargs)[0], args[0])
    check_array(grad, target, name=GRAD_NAMES[name], rtol=RTOL_NUMERIC,
                batch_size=shape[0] if batched else None, likely=mistakes(*args, **kwargs))


# -- softmax_loss and bce_with_logits_loss: logits of +-1000 ------------------------------
def softmax_large_logits(rng):
    """Scores of +-1000 (plus noise): rows all near +1000, all near -1000, and mixed rows,
    one of them with its correct class 2000 below another class."""
    n, c = 6, 5
    signs = rng.choice([-1.0, 1.0], size=(n, c))
    signs[0], signs[1] = 1.0, -1.0
    y = labels(rng, n, c)
    signs[2] = 1.0
    signs[2, y[2]] = -1.0
    return (1000.0 * signs + rng.standard_normal((n, c)), y)


def bce_large_logits(rng):
    shape = (4, 5)
    logits = np.where(rng.random(shape) < 0.6, 1000.0 * rng.choice([-1.0, 1.0], size=shape),
                      rng.standard_normal(shape))
    return (logits, mixed_targets(rng, shape))


LARGE_LOGITS = {"softmax_loss": softmax_large_logits, "bce_with_logits_loss": bce_large_logits}


@pytest.mark.parametrize("name", per_function("value", LARGE_LOGITS))
def test_value_is_finite_and_right_for_logits_of_plus_minus_1000(student, ref, rng, name):
    check_value(student, ref, name, LARGE_LOGITS[name](rng))


@pytest.mark.parametrize("name", per_function("grad", LARGE_LOGITS))
def test_grad_is_finite_and_right_for_logits_of_plus_minus_1000(student, ref, rng, name):
    check_grad_against_reference(student, ref, name, LARGE_LOGITS[name](rng), what=" (logits of +-1000)")


# -- svm_loss: margins of exactly 0 ---------------------------------------------------------
def svm_hinge_inputs(rng):
    """Integer scores, so many margins are exactly 0; row 0 certainly has one."""
    n, c = 6, 5
    x = rng.integers(-2, 3, size=(n, c)).astype(np.float64)
    y = labels(rng, n, c)
    x[0, (y[0] + 1) % c] = x[0, y[0]] - 1.0
    return x, y


@pytest.mark.item("svm_loss_value")
def test_svm_loss_value_with_margins_of_exactly_zero(student, ref, rng):
    check_value(student, ref, "svm_loss", svm_hinge_inputs(rng))


@pytest.mark.item("svm_loss_grad")
def test_svm_loss_grad_is_zero_for_margins_of_exactly_zero(student, ref, rng):
    x, y = svm_hinge_inputs(rng)
    n = x.shape[0]
    rows = np.arange(n)
    counted = (svm_margins(x, y) >= 0).astype(np.float64)
    counted[rows, y] = -counted.sum(axis=1)
    check_grad_against_reference(student, ref, "svm_loss", (x, y), what=" (margins of exactly 0: gradient 0)",
                                 likely={"a margin of exactly 0 was counted as positive: the handout takes the "
                                         "hinge's gradient at 0 as 0 (use > 0, not >= 0)": counted / n})


# -- mae_loss, l1_penalty, elastic_net_penalty: exactly at the kink of |.| ------------------
def with_exact_zeros(rng, shape):
    """Normal values with about a third of them exactly 0 (one of them -0.0)."""
    values = np.where(rng.random(shape) < 0.35, 0.0, rng.standard_normal(shape))
    values.flat[0], values.flat[1] = 0.0, -0.0
    return values


@pytest.mark.item("mae_loss_grad")
def test_mae_loss_grad_is_zero_where_pred_equals_target(student, ref, rng):
    target = rng.standard_normal((4, 5))
    pred = target + with_exact_zeros(rng, (4, 5))  # adding 0.0 or -0.0 leaves pred == target
    check_grad_against_reference(student, ref, "mae_loss", (pred, target), what=" (where pred == target: 0)")


@pytest.mark.parametrize("name", per_function("grad", ("l1_penalty", "elastic_net_penalty")))
def test_penalty_grad_is_zero_where_w_is_zero(student, ref, rng, name):
    args = (with_exact_zeros(rng, (4, 5)), 0.3) + ((0.6,) if name == "elastic_net_penalty" else ())
    check_grad_against_reference(student, ref, name, args, what=" (where w == 0: 0)")


# -- huber_loss: residuals of exactly +-delta -------------------------------------------------
def huber_boundary_inputs(rng, delta):
    """Residuals (exact in binary) at +-delta, inside, outside and 0; delta None means the default."""
    d = 1.0 if delta is None else delta
    shape = (3, 6)
    target = rng.integers(-8, 9, size=shape) / 4.0
    r = rng.choice([d, -d, d, -d, d / 2, -3 * d, 0.0], size=shape)
    r.flat[:2] = d, -d
    kwargs = {} if delta is None else {"delta": delta}
    return (target + r, target), kwargs


HUBER_DELTAS = [None, 0.75]


@pytest.mark.item("huber_loss_value")
@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_huber_loss_value_at_residuals_of_exactly_delta(student, ref, rng, delta):
    check_value(student, ref, "huber_loss", *huber_boundary_inputs(rng, delta))


@pytest.mark.item("huber_loss_grad")
@pytest.mark.parametrize("delta", HUBER_DELTAS)
def test_huber_loss_grad_at_residuals_of_exactly_delta(student, ref, rng, delta):
    args, kwargs = huber_boundary_inputs(rng, delta)
    check_grad_against_reference(student, ref, "huber_loss", args, kwargs, what=" (residuals of exactly +-delta)",
                                 likely=huber_mistakes(*args, **kwargs))


# -- bce_loss: probabilities of exactly 0 and 1, and close to them -------------------------
def bce_exact_inputs(rng, outcome):
    """Probabilities of exactly 0 and 1 whose targets agree ("right") or disagree ("wrong")."""
    target = rng.integers(0, 2, size=(3, 4)).astype(np.float64)
    target.flat[:2] = 0.0, 1.0
    return (target.copy() if outcome == "right" else 1.0 - target, target)


def bce_near_inputs(rng):
    """Probabilities between 1e-8 and 1e-3 away from 0 or from 1, with labels 0 and 1."""
    shape = (3, 4)
    gap = 10.0 ** rng.uniform(-8, -3, size=shape)
    probs = np.where(rng.random(shape) < 0.5, gap, 1.0 - gap)
    return (probs, rng.integers(0, 2, size=shape).astype(np.float64))


BCE_OUTCOMES = ["right", "wrong"]


@pytest.mark.item("bce_loss_value")
@pytest.mark.parametrize("outcome", BCE_OUTCOMES)
def test_bce_loss_value_at_probabilities_of_exactly_0_and_1_is_clipped(student, ref, rng, outcome):
    check_value(student, ref, "bce_loss", bce_exact_inputs(rng, outcome), rtol=RTOL_CLIPPED)


@pytest.mark.item("bce_loss_grad")
@pytest.mark.parametrize("outcome", BCE_OUTCOMES)
def test_bce_loss_grad_at_probabilities_of_exactly_0_and_1_is_clipped(student, ref, rng, outcome):
    check_grad_against_reference(student, ref, "bce_loss", bce_exact_inputs(rng, outcome),
                                 what=" (probabilities of exactly 0 and 1, clipped to [1e-12, 1 - 1e-12])",
                                 rtol=RTOL_CLIPPED)


@pytest.mark.item("bce_loss_value")
def test_bce_loss_value_for_probabilities_near_0_and_1(student, ref, rng):
    check_value(student, ref, "bce_loss", bce_near_inputs(rng))


@pytest.mark.item("bce_loss_grad")
def test_bce_loss_grad_for_probabilities_near_0_and_1(student, ref, rng):
    args = bce_near_inputs(rng)
    check_grad_against_reference(student, ref, "bce_loss", args, what=" (probabilities near 0 and 1)",
                                 likely=bce_mistakes(*args))


# -- no function modifies its inputs ---------------------------------------------------------
def every_call(rng):
    """(function, args, kwargs) for every function, with inputs that tempt in-place edits:
    probabilities to clip, scores to shift, residuals at 0 and at the Huber kink."""
    probs, target = bce_exact_inputs(rng, "wrong")
    probs[0, :2] = 0.3, 0.9
    calls = [
        ("softmax_loss", softmax_large_logits(rng), {}),
        ("svm_loss", svm_hinge_inputs(rng), {}),
        ("bce_loss", (probs, target), {}),
        ("bce_with_logits_loss", bce_large_logits(rng), {}),
    ]
    for name in ("mse_loss", "mae_loss", "huber_loss", *PENALTIES):
        args, kwargs = SPECS[name][0](rng, (3, 4))
        calls.append((name, args, kwargs))
    return calls


@pytest.mark.item("inputs_unchanged")
def test_no_function_modifies_its_inputs(student, rng):
    for name, args, kwargs in every_call(rng):
        _, after = getattr(student, name).with_args(*args, **kwargs)
        for position, (before, now) in enumerate(zip(args, after)):
            if isinstance(before, np.ndarray):
                check_unchanged(before, now, name=f"{name}: argument {position + 1}")
