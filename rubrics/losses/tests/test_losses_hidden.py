"""Hidden tests of the `losses` assignment.

Loss values are compared with the reference. Gradients are compared with
central-difference gradients of the *reference* loss, so a gradient consistent
with a wrong loss cannot pass. Inputs come from ``rng`` (seeded from the run's
seed and the test id) and are kept away from the kinks (an SVM margin of 0, a
residual of 0 or of +-delta, a weight of 0), where central differences mean
nothing.

Ordinary inputs and extreme ones serve different items, so one bug costs one item:

* ``*_value`` / ``*_grad``: ordinary inputs (and, for svm_loss and huber_loss, the
  points where every correct convention gives the same answer or any subgradient is
  accepted).
* ``*_stable`` (softmax_loss, bce_with_logits_loss), ``bce_loss_clipped``: logits of
  +-1000 and probabilities of exactly 0 and 1. These judge only stability: the
  student's result at an extreme input must agree with the student's own result at an
  equivalent ordinary input (the "twin"), so a function that is wrong everywhere loses
  its ordinary item, not this one too.
* ``*_kink`` (mae_loss, l1_penalty, elastic_net_penalty): the gradient exactly at the
  kink of |.|, where any subgradient is accepted (any value between the one-sided
  slopes), and only NaN, infinity or a value outside that interval fails.

Hints: a "likely cause" is named only when the same cause explains the student's
error on a second input too (``confirmed``), never from one input's coincidence.

Each generic test is parametrized over the functions; every parameter carries
the one rubric item it serves.
"""

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar
from grader.failure import MismatchError
from grader.testing import MutationLog, central_differences, per_item, value_and_grad

# Tolerances. "Spread" = the largest relative difference between algebraically equivalent
# formulations (the reference, the correct examples: loops with math, einsum, logaddexp,
# probs-then-log, other summation orders) on the inputs of these tests; "smallest bug" =
# the smallest relative error a catalogued mistake makes there. The spreads below are
# float64 round-off bounds for these formulas, not yet a recorded benchmark run: every
# correct example and alternative fixture passes (reference: 50 of 50 seeds).
#
# Why RTOL_VALUE = 1e-6: loss values of equivalent formulations differ by at most
# ~4e-15 (softmax via probs-then-log vs log-sum-exp: ~3e-15; math.fsum vs np.sum:
# ~2e-16); the smallest bug changes a value by > 0.1 (l2 with a 1/2: 0.5; svm with the
# correct class's margin: >= 0.3). 1e-6 is 1e8 above the spread, 1e5 below the bug.
RTOL_VALUE = 1e-6
# Why RTOL_NUMERIC = 1e-5: the reference's analytic gradient and its central difference
# (h = 1e-5) on these inputs differ by at most ~3e-8 relative (floor: 1e-3 of the
# array's largest entry; worst case bce_loss near 1e-3 of 0 or 1, ~2.5e-8; everything
# else < 1e-9); equivalent analytic formulations differ by ~1e-15 on top. The smallest
# bug is a 2x or N-fold error (>= 0.5 relative). 1e-5 is ~300x above the spread.
RTOL_NUMERIC = 1e-5
# Why RTOL_TWIN = 1e-7: a result at an extreme input against the same function at its
# ordinary twin (logits clipped to +-40 after the row max is subtracted, probabilities
# of exactly 0 and 1 replaced by 1e-12 and 1 - 1e-12): the twin changes the true result
# by exp(-40) ~ 4e-18 relative; float64 evaluations of the same formula at the two points
# differ by ~2e-16 (measured max 1.1e-13 for loss differences of ~2000). A loss that
# overflows, underflows to log(0) or clips at another epsilon is off by >= 1e-3 (eps =
# 1e-7 vs 1e-12: ~0.4 relative) or NaN/inf.
RTOL_TWIN = 1e-7
# Why RTOL_CLIPPED = 1e-3: at p = 1 - 1e-12, 1 - p keeps only ~1e-4 of relative
# precision in float64 however it is computed (measured spread between 1 - p, a
# separately clipped 1 - probs and log1p(-p): 8.9e-5); the smallest clipping bug (eps =
# 1e-7 instead of 1e-12) changes these results 1e5-fold.
RTOL_CLIPPED = 1e-3
# Why: central differences (h = 1e-5) across a kink are meaningless; inputs are
# moved at least this far from every kink before a numerical check.
KINK_GAP = 1e-3
# Why 40: softmax and sigmoid of logits more than 40 below the maximum are < exp(-40)
# ~ 4e-18, invisible next to RTOL_TWIN, so logits clipped at -40 (after the row max is
# subtracted) give the same answer as logits of -1000 or -2000, without the extremes.
TWIN_CLIP = 40.0

# (N, C); N = 1 included; N = 5 twice, so an N-fold error is named by two checks that agree
CLASS_CASES = [(5, 4), (1, 3), (5, 10)]
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
    return per_item([(name, shape) for name, (_, shapes, _, _) in SPECS.items() for shape in shapes],
                    item=lambda case: f"{case[0]}_{kind}", id=lambda case: f"{case[0]}-{'x'.join(map(str, case[1]))}")


def per_function(kind, names):
    return per_item(list(names), item=lambda name: f"{name}_{kind}")


# -- checks ------------------------------------------------------------------------------
def value_name(name):
    return "penalty" if name in PENALTIES else "loss"


def check_value(student, ref, name, args, kwargs=None, *, rtol=RTOL_VALUE):
    value, _ = value_and_grad(student, name, args=args, kwargs=kwargs)
    expected, _ = getattr(ref, name)(*args, **(kwargs or {}))
    check_scalar(value, expected, name=value_name(name), rtol=rtol,
                 batch_size=args[0].shape[0] if SPECS[name][3] else None)


HINT = "\n    likely cause: "


def confirmed(first, second):
    """Run check ``first()``; if it fails naming a likely cause, keep that cause only if
    ``second()`` (the same check on a second input of the same shape) fails with the
    very same cause. A factor seen on one input may be a coincidence of that input."""
    try:
        first()
    except MismatchError as exc:
        message, found, cause = str(exc).partition(HINT)
        if not found:
            raise
        try:
            second()
            again = None
        except MismatchError as other:
            again = str(other).partition(HINT)[2]
        if again != cause:
            raise MismatchError(message) from None
        raise


def check_grad_against_reference(student, ref, name, args, kwargs=None, *, what="", rtol=RTOL_VALUE, likely=None):
    """The gradient against the reference's analytic one (for inputs where central
    differences cannot be trusted: probabilities near 0 or 1, residuals at +-delta)."""
    _, grad = value_and_grad(student, name, args=args, kwargs=kwargs)
    _, expected = getattr(ref, name)(*args, **(kwargs or {}))
    check_array(grad, expected, name=GRAD_NAMES[name] + what, rtol=rtol,
                batch_size=args[0].shape[0] if SPECS[name][3] else None, likely=likely)


# -- generic tests -------------------------------------------------------------------------
@pytest.mark.parametrize("name,shape", cases("value"))
def test_value_matches_reference(student, ref, rng, name, shape):
    first, second = SPECS[name][0](rng, shape), SPECS[name][0](rng, shape)
    confirmed(lambda: check_value(student, ref, name, *first), lambda: check_value(student, ref, name, *second))


def check_grad_numerically(student, ref, name, args, kwargs):
    _, _, mistakes, batched = SPECS[name]
    _, grad = value_and_grad(student, name, args=args, kwargs=kwargs)
    target = central_differences(getattr(ref, name), args=args, kwargs=kwargs)
    check_array(grad, target, name=GRAD_NAMES[name], rtol=RTOL_NUMERIC,
                batch_size=args[0].shape[0] if batched else None, likely=mistakes(*args, **kwargs))


@pytest.mark.parametrize("name,shape", cases("grad"))
def test_grad_matches_numerical_gradient_of_reference(student, ref, rng, name, shape):
    first, second = SPECS[name][0](rng, shape), SPECS[name][0](rng, shape)
    confirmed(lambda: check_grad_numerically(student, ref, name, *first),
              lambda: check_grad_numerically(student, ref, name, *second))


# -- stability: logits of +-1000 (softmax_loss_stable, bce_with_logits_loss_stable) -----------
# Each extreme input is judged against the student's own function at its ordinary twin,
# so only stability is judged here: a gradient that is wrong everywhere (not averaged, a
# wrong sign) is consistently wrong at both and loses only its ordinary item.
STABLE_HINTS = {
    "softmax_loss": "the softmax loss is not computed stably at logits of +-1000: subtract each row's "
                    "max before exp (exp(1000) overflows to inf), and never take the log of a probability "
                    "(exp(-2000) underflows to 0, and -log(0) = inf); use log-sum-exp: "
                    "loss = logsumexp(x) - x[y]",
    "bce_with_logits_loss": "the loss is not computed stably at logits of +-1000: log(1 + exp(z)) "
                            "overflows and log(sigmoid(z)) underflows to log(0); use "
                            "max(z, 0) - z t + log1p(exp(-|z|)), and a sigmoid built from exp(-|z|)",
}


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


def softmax_twin(x):
    """Ordinary scores with the same softmax loss gradient as x (and the same loss up to
    the shift): each row's max subtracted, then everything below -TWIN_CLIP raised to it."""
    return np.maximum(x - x.max(axis=1, keepdims=True), -TWIN_CLIP)


def bce_large_logits(rng):
    shape = (4, 5)
    logits = np.where(rng.random(shape) < 0.6, 1000.0 * rng.choice([-1.0, 1.0], size=shape),
                      rng.standard_normal(shape))
    logits.flat[:2] = 1000.0, -1000.0
    return (logits, mixed_targets(rng, shape))


def bce_twin(z):
    return np.clip(z, -TWIN_CLIP, TWIN_CLIP)


LARGE_LOGITS = {"softmax_loss": (softmax_large_logits, softmax_twin),
                "bce_with_logits_loss": (bce_large_logits, bce_twin)}


def with_hint(check, hint):
    """Run ``check``; a failure gets ``hint`` as its likely cause (replacing a generic one)."""
    try:
        check()
    except MismatchError as exc:
        raise MismatchError(str(exc).partition(HINT)[0] + HINT + hint) from None


def check_finite_number(value, what):
    check_scalar(value, 0.0, name=what, rtol=np.inf)  # a number and finite; its value is judged elsewhere


def check_value_against_twin(student, ref, name, args, twin, what):
    """student(args) == student(twin) + (ref(args) - ref(twin)): the student's loss at an
    extreme input moves from its loss at the ordinary twin exactly as the definition says."""
    got, _ = value_and_grad(student, name, args=args)
    got_twin, _ = value_and_grad(student, name, args=twin)
    check_finite_number(got_twin, f"loss at the ordinary {what} twin")
    expected = getattr(ref, name)(*args)[0] - getattr(ref, name)(*twin)[0]
    with_hint(lambda: check_scalar(got, float(got_twin) + expected, rtol=RTOL_VALUE,
                                   name=f"loss at {what} (against your loss at the ordinary twin, moved by "
                                        f"the exact difference {expected:.6g})"),
              STABLE_HINTS[name])


@pytest.mark.item("softmax_loss_stable")
def test_softmax_loss_stable_value_one_example_at_a_time(student, ref, rng):
    """One example per call, so a wrong average (the ordinary items' business) cannot matter."""
    x, y = softmax_large_logits(rng)
    for i in range(x.shape[0]):
        row, label = x[i:i + 1], y[i:i + 1]
        check_value_against_twin(student, ref, "softmax_loss", (row, label), (softmax_twin(row), label),
                                 f"scores {np.array2string(row[0], precision=1)}, class {int(label[0])}")


@pytest.mark.item("bce_with_logits_loss_stable")
def test_bce_with_logits_loss_stable_value_one_element_at_a_time(student, ref, rng):
    z, t = bce_large_logits(rng)
    for k in np.flatnonzero(np.abs(z) > 100):
        one, target = z.flat[k:k + 1].copy(), t.flat[k:k + 1].copy()
        check_value_against_twin(student, ref, "bce_with_logits_loss", (one, target), (bce_twin(one), target),
                                 f"logit {one[0]:g}, target {target[0]:.3g}")


@pytest.mark.parametrize("name", per_function("stable", LARGE_LOGITS))
def test_grad_at_logits_of_plus_minus_1000_is_the_grad_at_the_ordinary_twin(student, rng, name):
    make, twin_of = LARGE_LOGITS[name]
    args = make(rng)
    twin = (twin_of(args[0]),) + args[1:]
    _, grad = value_and_grad(student, name, args=args)
    _, at_twin = value_and_grad(student, name, args=twin)
    # a finite float array of the right shape at the ordinary twin; its values are the ordinary items' business
    check_array(at_twin, np.zeros(args[0].shape), name=f"{GRAD_NAMES[name]} at the ordinary twin", rtol=np.inf)
    with_hint(lambda: check_array(grad, at_twin, name=f"{GRAD_NAMES[name]} (logits of +-1000, against your "
                                                     f"own {GRAD_NAMES[name]} at the same logits clipped to "
                                                     f"+-{TWIN_CLIP:g} after the row max is subtracted)",
                                  rtol=RTOL_TWIN),
              STABLE_HINTS[name])


# -- svm_loss: margins of exactly 0 (any subgradient of the hinge is accepted) ----------------
def svm_hinge_inputs(rng):
    """Integer scores, so many margins are exactly 0; row 0 certainly has one."""
    n, c = 6, 5
    x = rng.integers(-2, 3, size=(n, c)).astype(np.float64)
    y = labels(rng, n, c)
    x[0, (y[0] + 1) % c] = x[0, y[0]] - 1.0
    return x, y


def accepted_at_hinge(expected, got, x, y):
    """The reference gradient, except where a margin is exactly 0: there any value in
    [0, 1/N] is a valid subgradient (L10 takes none; CS231n's code uses > 0, many students
    >= 0), so the student's own value (clipped into the interval) is accepted, and the
    correct class's entry must then be minus the sum of its row's other entries."""
    n = x.shape[0]
    rows = np.arange(n)
    hinge = svm_margins(x, y) == 0
    accepted = expected.copy()
    if isinstance(got, np.ndarray) and got.shape == expected.shape:
        chosen = np.clip(np.nan_to_num(got.astype(np.float64), nan=0.0), 0.0, 1.0 / n)
        accepted[hinge] = chosen[hinge]
        others = np.where(np.arange(x.shape[1]) == y[:, np.newaxis], 0.0, accepted)
        accepted[rows, y] = -others.sum(axis=1)
    return accepted


@pytest.mark.item("svm_loss_value")
def test_svm_loss_value_with_margins_of_exactly_zero(student, ref, rng):
    check_value(student, ref, "svm_loss", svm_hinge_inputs(rng))


@pytest.mark.item("svm_loss_grad")
def test_svm_loss_grad_with_margins_of_exactly_zero_accepts_any_subgradient(student, ref, rng):
    x, y = svm_hinge_inputs(rng)
    _, grad = value_and_grad(student, "svm_loss", args=(x, y))
    _, expected = ref.svm_loss(x, y)
    check_array(grad, accepted_at_hinge(expected, grad, x, y),
                name="dx (margins of exactly 0: any value in [0, 1/N] there, with the correct class "
                     "minus the sum of the others)", rtol=RTOL_VALUE, batch_size=x.shape[0],
                likely=svm_mistakes(x, y))


# -- mae_loss, l1_penalty, elastic_net_penalty: exactly at the kink of |.| ------------------
def with_exact_zeros(rng, shape):
    """Normal values with about a third of them exactly 0 (one of them -0.0), and two
    tiny ones (+-1e-6) beside the kink, which show the student's own slopes there."""
    values = np.where(rng.random(shape) < 0.35, 0.0, rng.standard_normal(shape))
    values.flat[0], values.flat[1], values.flat[2], values.flat[3] = 0.0, -0.0, 1e-6, -1e-6
    return values


def mae_at_kink(rng, residuals):
    target = rng.standard_normal(residuals.shape)
    return (target + residuals, target)  # adding 0.0 or -0.0 leaves pred == target exactly


KINKS = {  # function: (inputs with exact zeros, what is 0 there, the reference's one-sided slope)
    "mae_loss": (mae_at_kink, "pred == target",
                 lambda z, args: 1.0 / z.size),
    "l1_penalty": (lambda rng, z: (z, 0.3), "w == 0", lambda z, args: args[1]),
    "elastic_net_penalty": (lambda rng, z: (z, 0.3, 0.6), "w == 0", lambda z, args: args[1] * args[2]),
}


@pytest.mark.parametrize("name", per_function("kink", KINKS))
def test_grad_at_the_kink_is_a_subgradient(student, rng, name):
    """Where |.| has no derivative, any value between the slopes on its two sides is right
    (sign(0) = 0 as np.sign gives, +1 from `>= 0`, -1 from `> 0` masks...). The interval
    spans the reference's slopes and the student's own ones at +-1e-6, so a gradient that
    is wrong everywhere (a missing factor) is judged by its ordinary item, not here."""
    make, where, slope = KINKS[name]
    zeros = with_exact_zeros(rng, (4, 5))
    args = make(rng, zeros)
    _, grad = value_and_grad(student, name, args=args)
    kink = zeros == 0
    if not (isinstance(grad, np.ndarray) and grad.shape == zeros.shape and grad.dtype.kind == "f"):
        check_array(grad, np.zeros(zeros.shape), name=GRAD_NAMES[name])  # says what is wrong with it
    g = grad.astype(np.float64)
    s = slope(zeros, args)
    sides = [v for v in (g.flat[2], g.flat[3]) if np.isfinite(v)]
    low, high = min([-s, *sides]), max([s, *sides])
    accepted = np.clip(np.nan_to_num(g[kink], nan=0.0, posinf=high, neginf=low), low, high)
    check_array(g[kink], accepted, name=f"{GRAD_NAMES[name]} where {where} (any value in "
                                        f"[{low:.3g}, {high:.3g}] is accepted there)", rtol=RTOL_VALUE)


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
    first, second = huber_boundary_inputs(rng, delta), huber_boundary_inputs(rng, delta)

    def check(args, kwargs):
        check_grad_against_reference(student, ref, "huber_loss", args, kwargs,
                                     what=" (residuals of exactly +-delta)", likely=huber_mistakes(*args, **kwargs))

    confirmed(lambda: check(*first), lambda: check(*second))


# -- bce_loss: probabilities near 0 and 1 (ordinary), exactly 0 and 1 (bce_loss_clipped) -----
def bce_near_inputs(rng):
    """Probabilities between 1e-6 and 1e-3 away from 0 or from 1, with labels 0 and 1.
    Why not closer: these serve the ordinary items, which judge the formula, not the clip
    (a clip at Keras's 1e-7 instead of 1e-12 is judged by bce_loss_clipped alone)."""
    shape = (3, 4)
    gap = 10.0 ** rng.uniform(-6, -3, size=shape)
    probs = np.where(rng.random(shape) < 0.5, gap, 1.0 - gap)
    return (probs, rng.integers(0, 2, size=shape).astype(np.float64))


@pytest.mark.item("bce_loss_value")
def test_bce_loss_value_for_probabilities_near_0_and_1(student, ref, rng):
    check_value(student, ref, "bce_loss", bce_near_inputs(rng))


@pytest.mark.item("bce_loss_grad")
def test_bce_loss_grad_for_probabilities_near_0_and_1(student, ref, rng):
    first, second = bce_near_inputs(rng), bce_near_inputs(rng)

    def check(args):
        check_grad_against_reference(student, ref, "bce_loss", args, what=" (probabilities near 0 and 1)",
                                     likely=bce_mistakes(*args))

    confirmed(lambda: check(first), lambda: check(second))


def bce_exact_inputs(rng, outcome):
    """Probabilities of exactly 0 and 1 whose targets agree ("right") or disagree ("wrong")."""
    target = rng.integers(0, 2, size=(3, 4)).astype(np.float64)
    target.flat[:2] = 0.0, 1.0
    return (target.copy() if outcome == "right" else 1.0 - target, target)


def bce_clip_twin(probs):
    """What the clip makes of probabilities of exactly 0 and 1."""
    return np.clip(probs, 1e-12, 1.0 - 1e-12)


BCE_OUTCOMES = ["right", "wrong"]
CLIP_HINT = ("probabilities of exactly 0 and 1 must give what 1e-12 and 1 - 1e-12 give: clip probs to "
             "[BCE_EPS, 1 - BCE_EPS] with BCE_EPS = 1e-12 (np.clip returns a new array) before the logs "
             "and the division")


@pytest.mark.item("bce_loss_clipped")
@pytest.mark.parametrize("outcome", BCE_OUTCOMES)
def test_bce_loss_at_probabilities_of_exactly_0_and_1_is_the_loss_at_the_clipped_ones(student, rng, outcome):
    """Against the student's own function at 1e-12 and 1 - 1e-12, so only the clip is judged.
    The gradient there may be the formula at the clipped p (the handout's convention) or 0
    (the exact derivative of the clipped loss, what autograd frameworks give)."""
    probs, target = bce_exact_inputs(rng, outcome)
    twin = bce_clip_twin(probs)
    loss, grad = value_and_grad(student, "bce_loss", args=(probs, target))
    loss_twin, grad_twin = value_and_grad(student, "bce_loss", args=(twin, target))
    check_finite_number(loss_twin, "loss at probabilities 1e-12 and 1 - 1e-12")
    with_hint(lambda: check_scalar(loss, loss_twin, rtol=RTOL_CLIPPED,
                                   name="loss at probabilities of exactly 0 and 1 (against your loss at "
                                        "1e-12 and 1 - 1e-12)"), CLIP_HINT)
    check_array(grad_twin, np.zeros(probs.shape), name="dprobs at probabilities 1e-12 and 1 - 1e-12", rtol=np.inf)
    accepted = grad_twin.astype(np.float64)
    if isinstance(grad, np.ndarray) and grad.shape == probs.shape:
        accepted = np.where(np.asarray(grad, dtype=np.float64) == 0.0, 0.0, accepted)
    with_hint(lambda: check_array(grad, accepted, rtol=RTOL_CLIPPED,
                                  name="dprobs at probabilities of exactly 0 and 1 (against your dprobs at "
                                       "1e-12 and 1 - 1e-12, or 0)"), CLIP_HINT)


# -- no function modifies its inputs ---------------------------------------------------------
ARGUMENT_NAMES = {"softmax_loss": ("x", "y"), "svm_loss": ("x", "y"), "mse_loss": ("pred", "target"),
                  "mae_loss": ("pred", "target"), "huber_loss": ("pred", "target"),
                  "bce_loss": ("probs", "target"), "bce_with_logits_loss": ("logits", "target"),
                  "l1_penalty": ("w", "reg"), "l2_penalty": ("w", "reg"),
                  "elastic_net_penalty": ("w", "reg", "l1_ratio")}


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
    """Judges only the functions that returned: one that raises, hangs or is missing loses
    its own items, not this one too. Every mutation found is named, not just the first."""
    log = MutationLog(unreadable_fails=False)
    for name, args, kwargs in every_call(rng):
        log.call(student, name, args=args, kwargs=kwargs,
                 labels=[f"argument {position + 1} ({label})" for position, label in enumerate(ARGUMENT_NAMES[name])])
    if not log.judged:
        raise MismatchError("no function returned, so none could be checked for modifying its inputs")
    if log.mutations:
        skipped = [name for name, _ in log.skipped]
        note = f"\n    not judged here (they did not return; their own items say why): {', '.join(skipped)}" \
            if skipped else ""
        raise MismatchError("\n".join(log.mutations) + note)
