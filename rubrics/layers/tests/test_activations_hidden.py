"""Hidden tests of the `layers` assignment: the elementwise activations sigmoid, tanh,
leaky ReLU, ELU, softplus and SiLU (ReLU is in test_layers_hidden.py).

The tests are the same for every activation, so each is parametrized over CASES;
each case carries the rubric item of its function. Forward outputs are compared
with the reference. Backward passes are called with the cache from the student's
own forward and compared with central-difference gradients of the *reference*
forward (random inputs) or with the reference backward (at +-1000 and at the
kinks, where a central difference means nothing). Known mistakes (the derivative
applied to the input instead of the output, alpha on the wrong side, ...) are
named in the feedback through ``likely=``. Every random input comes from ``rng``.
"""

import dataclasses

import numpy as np
import pytest

from grader.comparison import RTOL_NUMERIC, check_array, check_tuple
from grader.gradcheck import numerical_gradient_array

# Values where naive formulas overflow (exp(v) is inf for v > 709.78), saturate, or
# sit at or next to the kink x == 0 (both signed zeros), plus ordinary ones.
EDGE_X = np.array([[-1000.0, -710.0, -500.0, -30.0, -1.0, -1e-6, -0.0, 0.0],
                   [1e-6, 0.5, 1.0, 30.0, 500.0, 710.0, 1000.0, -2.5]])
EDGE_TEXT = "x = [" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in EDGE_X) + "]"
SHAPE_KINDS = ["2-D", "N=1", "3-D"]
FORGOT_DOUT = "dx is the local gradient alone: multiply it by dout (downstream = upstream x local gradient)"


@dataclasses.dataclass(frozen=True)
class Activation:
    """One activation as the tests call it: its name and, if passed, its alpha."""

    name: str
    alpha: float | None = None  # None: alpha is not passed, the default must be used
    default_alpha: float | None = None
    kink: bool = False  # not differentiable at 0: gradient checks keep away from it

    @property
    def kwargs(self) -> dict:
        return {} if self.alpha is None else {"alpha": self.alpha}

    @property
    def slope(self) -> float | None:
        """The alpha in effect."""
        return self.default_alpha if self.alpha is None else self.alpha

    @property
    def id(self) -> str:
        return self.name if self.alpha is None else f"{self.name}-alpha{self.alpha:g}"

    @property
    def forward_call(self) -> str:
        """How the forward pass is called, for the feedback."""
        return f"{self.name}_forward(x" + ("" if self.alpha is None else f", alpha={self.alpha:g}") + ")"


CASES = [
    Activation("sigmoid"),
    Activation("tanh"),
    Activation("leaky_relu", default_alpha=0.01, kink=True),
    Activation("leaky_relu", alpha=0.2, default_alpha=0.01, kink=True),
    Activation("elu", default_alpha=1.0, kink=True),
    Activation("elu", alpha=1.7, default_alpha=1.0, kink=True),  # alpha > 1: max(alpha(e^x - 1), x) is wrong
    Activation("softplus"),
    Activation("silu"),
]


def per_case(item_kind: str, cases=CASES):
    """Parametrize over ``cases``; each case's test serves the item <name>_<item_kind>."""
    return pytest.mark.parametrize("case", [
        pytest.param(case, id=case.id, marks=pytest.mark.item(f"{case.name}_{item_kind}")) for case in cases])


# -- trusted formulas for known mistakes (overflow-free where it matters) --------------
def sigma(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def forward_mistakes(case: Activation, x: np.ndarray) -> dict:
    a, neg = case.slope, np.minimum(x, 0)
    if case.name == "sigmoid":
        return {"1 / (1 + exp(x)) is sigma(-x): the sign of the exponent is flipped; "
                "sigma(x) = 1 / (1 + exp(-x))": sigma(-x)}
    if case.name == "tanh":
        return {"2 sigma(x) - 1 is tanh(x / 2); tanh(x) = 2 sigma(2x) - 1 (or use np.tanh)": 2 * sigma(x) - 1}
    if case.name == "leaky_relu":
        return {"alpha applied on the wrong side: x > 0 passes unchanged, x <= 0 is multiplied by alpha":
                np.where(x > 0, a * x, x),
                "that is ReLU: where x <= 0 the output is alpha * x, not 0": np.maximum(x, 0),
                "the alpha argument was ignored (0.01 used instead)": np.where(x > 0, x, 0.01 * x)}
    if case.name == "elu":
        return {"alpha * exp(x) - 1 where x <= 0: the parentheses are missing, ELU is alpha * (exp(x) - 1)":
                np.where(x > 0, x, a * np.exp(neg) - 1),
                "max(alpha (e^x - 1), x) is ELU only for alpha <= 1; use the piecewise definition":
                np.maximum(a * np.expm1(neg), x),
                "the alpha argument was ignored (1.0 used instead)": np.where(x > 0, x, np.expm1(neg))}
    if case.name == "softplus":
        return {"log(1 + exp(-x)) is softplus(-x): the sign of the exponent is flipped": softplus(-x)}
    return {"that is sigma(x); SiLU is x * sigma(x)": sigma(x)}  # silu


def backward_mistakes(case: Activation, x: np.ndarray, dout: np.ndarray) -> dict:
    a, neg, s = case.slope, np.minimum(x, 0), sigma(x)
    if case.name == "sigmoid":
        return {"the derivative sigma(1 - sigma) was applied to the input x instead of to the output "
                "sigma(x): did you cache x and compute x * (1 - x)?": dout * x * (1 - x),
                "sigma was applied twice: the cache holds the output out = sigma(x), so the local "
                "gradient is out * (1 - out), not sigma(out) * (1 - sigma(out))":
                dout * sigma(s) * (1 - sigma(s)),
                FORGOT_DOUT: s * (1 - s)}
    if case.name == "tanh":
        t = np.tanh(x)
        return {"1 - tanh^2 was applied to the input x instead of to the output tanh(x): "
                "did you cache x and compute 1 - x**2?": dout * (1 - x**2),
                "tanh was applied twice: the cache holds out = tanh(x), so the local gradient is "
                "1 - out**2, not 1 - tanh(out)**2": dout * (1 - np.tanh(t) ** 2),
                "the local gradient is 1 - tanh(x)**2, not 1 - tanh(x)": dout * (1 - t),
                FORGOT_DOUT: 1 - t**2}
    if case.name == "leaky_relu":
        return {"alpha applied on the wrong side: dx = dout where x > 0 and alpha * dout where x <= 0":
                np.where(x > 0, a * dout, dout),
                "that is ReLU's gradient: where x <= 0, dx = alpha * dout, not 0": np.where(x > 0, dout, 0.0),
                "where x <= 0, alpha was not multiplied by dout": np.where(x > 0, dout, a),
                "the alpha of the forward pass was ignored (0.01 used instead): keep alpha in the cache":
                np.where(x > 0, dout, 0.01 * dout),
                FORGOT_DOUT: np.where(x > 0, 1.0, a)}
    if case.name == "elu":
        return {"the factor alpha is missing where x <= 0: d/dx alpha (e^x - 1) = alpha e^x":
                np.where(x > 0, dout, np.exp(neg) * dout),
                "the output alpha (e^x - 1) was used where its derivative alpha e^x (= out + alpha) "
                "is needed": np.where(x > 0, dout, a * np.expm1(neg) * dout),
                FORGOT_DOUT: np.where(x > 0, 1.0, a * np.exp(neg))}
    if case.name == "softplus":
        return {"sigma(-x) = 1 / (1 + exp(x)) instead of sigma(x) = 1 / (1 + exp(-x)): the derivative "
                "of log(1 + e^x) is e^x / (1 + e^x)": dout * sigma(-x),
                "sigma of the output: the derivative of softplus is sigma of the input x": dout * sigma(softplus(x)),
                FORGOT_DOUT: s}
    return {  # silu
        "only sigma(x): d/dx [x sigma(x)] needs the product rule, sigma(x) + x sigma(x)(1 - sigma(x))": dout * s,
        "only x sigma(x)(1 - sigma(x)): the product rule's first term sigma(x) is missing": dout * x * s * (1 - s),
        "that is the sigmoid's derivative; SiLU's is sigma(x) + x sigma(x)(1 - sigma(x))": dout * s * (1 - s),
        FORGOT_DOUT: s * (1 + x * (1 - s))}


# -- helpers ---------------------------------------------------------------------------
def random_shape(rng, kind: str) -> tuple:
    if kind == "N=1":
        return (1, int(rng.integers(2, 9)))
    return tuple(int(n) for n in rng.integers(2, 7 if kind == "2-D" else 5, size=2 if kind == "2-D" else 3))


def random_input(rng, case: Activation, kind: str) -> np.ndarray:
    x = 3 * rng.standard_normal(random_shape(rng, kind))
    if case.kink:
        x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    return x


def student_forward(student, case: Activation, x):
    result = getattr(student, f"{case.name}_forward")(x, **case.kwargs)
    return check_tuple(result, length=2, name=case.forward_call)


def student_backward(student, case: Activation, x, dout):
    """dx from the student's backward, called with the cache of the student's own forward."""
    _, cache = student_forward(student, case, x)
    return getattr(student, f"{case.name}_backward")(dout, cache)


def reference_backward(ref, case: Activation, x, dout):
    _, cache = getattr(ref, f"{case.name}_forward")(x, **case.kwargs)
    return getattr(ref, f"{case.name}_backward")(dout, cache)


# -- forward -----------------------------------------------------------------------------
@per_case("forward")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_forward_matches_reference(student, ref, rng, case, kind):
    x = random_input(rng, case, kind)
    out, _ = student_forward(student, case, x)
    expected, _ = getattr(ref, f"{case.name}_forward")(x, **case.kwargs)
    check_array(out, expected, name="out", likely=forward_mistakes(case, x))


@per_case("forward")
def test_forward_is_finite_and_right_at_large_inputs_and_at_zero(student, ref, case):
    out, _ = student_forward(student, case, EDGE_X)
    expected, _ = getattr(ref, f"{case.name}_forward")(EDGE_X, **case.kwargs)
    check_array(out, expected, name=f"out for {EDGE_TEXT}", likely=forward_mistakes(case, EDGE_X))


# -- backward ----------------------------------------------------------------------------
@per_case("backward")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_backward_matches_numerical_gradient(student, ref, rng, case, kind):
    # Clipped: where tanh or sigmoid saturate (|x| > 4) their derivative is ~1e-7 and a
    # central difference keeps only ~4 digits of it; the edge test covers large |x|
    # against the reference's analytic gradient instead.
    x = np.clip(random_input(rng, case, kind), -4.0, 4.0)
    dout = rng.standard_normal(x.shape)
    dx = student_backward(student, case, x, dout)
    target = numerical_gradient_array(lambda v: getattr(ref, f"{case.name}_forward")(v, **case.kwargs)[0], x, dout)
    check_array(dx, target, name="dx", rtol=RTOL_NUMERIC, likely=backward_mistakes(case, x, dout))


@per_case("backward")
def test_backward_is_finite_and_right_at_large_inputs_and_at_zero(student, ref, rng, case):
    dout = rng.uniform(1.0, 2.0, size=EDGE_X.shape)
    dx = student_backward(student, case, EDGE_X, dout)
    check_array(dx, reference_backward(ref, case, EDGE_X, dout), name=f"dx for {EDGE_TEXT}",
                likely=backward_mistakes(case, EDGE_X, dout))


@per_case("backward", cases=[case for case in CASES if case.kink])
def test_backward_takes_the_negative_side_slope_at_the_kink(student, rng, case):
    x = np.array([[0.0, -0.0, 2.0, -2.0], [0.0, 3.0, -0.0, 0.0]])
    dout = rng.uniform(1.0, 2.0, size=x.shape)
    dx = student_backward(student, case, x, dout)
    # The x <= 0 side's derivative: alpha for leaky ReLU, alpha e^x for ELU; both are alpha at 0.
    negative_side = case.slope * (np.exp(np.minimum(x, 0)) if case.name == "elu" else 1.0)
    check_array(dx, np.where(x > 0, dout, negative_side * dout),
                name=f"dx (at x == 0 the handout takes the slope of the x <= 0 side, alpha = {case.slope:g})")
