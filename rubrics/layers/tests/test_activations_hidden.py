"""Hidden tests of the `layers` assignment: the elementwise activations sigmoid, tanh,
leaky ReLU, ELU, softplus and SiLU (ReLU is in test_layers_hidden.py).

The tests are the same for every activation, so each is parametrized over CASES;
each case carries the rubric items of its function. Three items per activation:

* ``<name>_forward``: the output on ordinary inputs (|x| up to ~12), against the reference;
* ``<name>_backward``: dx on ordinary inputs, called with the cache of the student's own
  forward, against central-difference gradients of the *reference* forward;
* ``<name>_edge_cases`` (at most ~20% of the function's points): forward and backward at
  inputs where exp overflows or saturates (|x| up to 1000) and at the kink x == 0, where
  *any* value between the two one-sided slopes is accepted (a subgradient; PyTorch,
  CS231n and the DSE cheat sheet differ there). A submission right on ordinary inputs
  but not stable at the extremes keeps the ordinary points.

Known mistakes (the derivative applied to the input instead of the output, alpha on
the wrong side, ...) are named in the feedback through ``likely=``; a robustness
failure also gets the stable form as a hint. Every random input comes from ``rng``.
Tolerances: see TOLERANCES below and rubrics/layers/measure_tolerances.py.
"""

import dataclasses

import numpy as np
import pytest
from layerchecks import RTOL_FORWARD, RTOL_GRADCHECK, SHAPE_KINDS, any_subgradient, check_finite, random_shape

from grader.comparison import check_array
from grader.testing import backward, check_backward, forward, hinted, per_item

# -- TOLERANCES (relative, in check_array's metric: |got - exp| / max(|exp|, 1e-3 max|exp|, 1e-8)) --
# Measured by `python rubrics/layers/measure_tolerances.py 50` (50 seeds of these tests' inputs);
# "spread" is between algebraically equivalent formulations, "bug" the smallest error of a
# catalogued mistake on an input where it shows. RTOL_FORWARD and RTOL_GRADCHECK: layerchecks.py.
# Why RTOL_EDGE = 1e-5: at |x| in {30, 500, 710, 1000} and at the kink, the stable forms of
# the forwards and backwards above differ from the reference by <= 2.2e-8 (sigmoid's
# out - out^2 at |x| = 30: an absolute 2e-16 against the 1e-8 floor, every derivative there
# being ~1e-13). The mistakes these inputs catch give nan, inf or O(1) errors. 1e-5 is
# ~450x above the spread.
RTOL_EDGE = 1e-5

# The edge inputs judge robustness only, never the ordinary formula: values where naive
# formulas overflow (exp(v) is inf for v > 709.78) or saturate, and the kink x == 0 (both
# signed zeros). An ordinary-range bug (alpha forgotten, the wrong side) is invisible here.
# At the kink the forward must be finite (a division by x there gives nan or inf: grade audit
# found `alpha / x` and `alpha / expm1(x)` passing when only the backward was checked); its
# value there is the ordinary item's business. The backward may take any value between the
# one-sided slopes.
BIG_X = np.array([[-1000.0, -710.0, -500.0, -30.0], [30.0, 500.0, 710.0, 1000.0]])
ELU_BIG_X = np.array([[30.0, 500.0], [710.0, 1000.0]])  # exp(x) of x > 709 overflows; x < 0 cannot
ELU_KINK_X = np.array([[-0.0, 0.0, 30.0, 500.0], [710.0, 1000.0, 0.0, -0.0]])
KINK_X = np.array([[0.0, -0.0, 0.0], [-0.0, 0.0, 0.0]])  # leaky ReLU: nothing overflows, only the kink


def edge_text(x: np.ndarray) -> str:
    return "x = [" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in x) + "]"


# The robust form of each activation, said when its edge item fails.
EDGE_HINTS = {
    "sigmoid": "never take exp of a large positive number: sigma(x) = 1 / (1 + exp(-x)) for x >= 0 and "
               "exp(x) / (1 + exp(x)) for x < 0 (both with z = exp(-|x|) <= 1)",
    "tanh": "use np.tanh: the quotient (e^x - e^-x) / (e^x + e^-x) is inf / inf = nan for |x| > 710",
    "leaky_relu": "at x == 0 any value between alpha * dout and dout is accepted; elsewhere x > 0 gives dout "
                  "and x < 0 gives alpha * dout",
    "elu": "take exp only of min(x, 0): exp(1000) is inf, and inf * 0 is nan even in a branch that is masked out; "
           "at x == 0 any value between alpha * dout and dout is accepted",
    "softplus": "use log(1 + e^x) = max(x, 0) + log(1 + e^-|x|) (np.log1p), and a stable sigma in the backward pass",
    "silu": "compute sigma(x) as stably as in sigmoid_forward (never exp of a large positive number) and use "
            "x * sigma(x) and sigma(x) (1 + x (1 - sigma(x)))",
}
FORGOT_DOUT = "dx is the local gradient alone: multiply it by dout (downstream = upstream x local gradient)"
NAN_CAUSE = "a division by x (or by exp(x) - 1) at x == 0, or exp of a large number"


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
    def forward_edge_x(self) -> np.ndarray | None:
        return {"leaky_relu": None, "elu": ELU_BIG_X}.get(self.name, BIG_X)

    @property
    def backward_edge_x(self) -> np.ndarray:
        return {"leaky_relu": KINK_X, "elu": ELU_KINK_X}.get(self.name, BIG_X)

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
    """Parametrize over ``cases``; each case's test serves the item <name>_<item_kind>
    (<name>_edge_cases for the edge item)."""
    return pytest.mark.parametrize("case", per_item(cases, item=lambda case: f"{case.name}_{item_kind}",
                                                    id=lambda case: case.id))


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
def random_input(rng, case: Activation, kind: str) -> np.ndarray:
    x = 3 * rng.standard_normal(random_shape(rng, kind))
    if case.kink:
        x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    return x


def reference_backward(ref, case: Activation, x, dout):
    _, cache = getattr(ref, f"{case.name}_forward")(x, **case.kwargs)
    return getattr(ref, f"{case.name}_backward")(dout, cache)


# -- forward -----------------------------------------------------------------------------
@per_case("forward")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_forward_matches_reference(student, ref, rng, case, kind):
    x = random_input(rng, case, kind)
    out, _ = forward(student, case.name, inputs={"x": x}, kwargs=case.kwargs)
    expected, _ = getattr(ref, f"{case.name}_forward")(x, **case.kwargs)
    check_array(out, expected, name="out", rtol=RTOL_FORWARD, likely=forward_mistakes(case, x))


# -- backward ----------------------------------------------------------------------------
@per_case("backward")
@pytest.mark.parametrize("kind", SHAPE_KINDS)
def test_backward_matches_numerical_gradient(student, ref, rng, case, kind):
    # Clipped: where tanh or sigmoid saturate (|x| > 4) their derivative is ~1e-7 and a
    # central difference keeps only ~4 digits of it; the edge item covers large |x|
    # against the reference's analytic gradient instead.
    x = np.clip(random_input(rng, case, kind), -4.0, 4.0)
    dout = rng.standard_normal(x.shape)
    check_backward(student, ref, case.name, inputs={"x": x}, dout=dout, kwargs=case.kwargs, rtol=RTOL_GRADCHECK,
                   likely=backward_mistakes(case, x, dout))


# -- edge cases: overflow, saturation and the kink ----------------------------------------
@per_case("edge_cases", cases=[case for case in CASES if case.forward_edge_x is not None])
def test_forward_is_finite_and_right_at_large_inputs(student, ref, case):
    x = case.forward_edge_x
    with hinted(EDGE_HINTS[case.name]):
        out, _ = forward(student, case.name, inputs={"x": x}, kwargs=case.kwargs)
        expected, _ = getattr(ref, f"{case.name}_forward")(x, **case.kwargs)
        check_array(out, expected, name=f"out for {edge_text(x)}", rtol=RTOL_EDGE, likely=forward_mistakes(case, x))


@per_case("edge_cases")
def test_backward_is_finite_and_right_at_large_inputs_and_at_the_kink(student, ref, rng, case):
    x = case.backward_edge_x
    dout = rng.uniform(1.0, 2.0, size=x.shape)
    with hinted(EDGE_HINTS[case.name]):
        out, cache = forward(student, case.name, inputs={"x": x}, kwargs=case.kwargs)
        # finite; its values are the forward item's business
        check_finite(out, name=f"{case.forward_call}: out for {edge_text(x)}", look_for=NAN_CAUSE)
        dx = backward(student, case.name, dout=dout, cache=cache)
        expected = reference_backward(ref, case, x, dout)
        if case.kink:  # any value between the one-sided slopes at x == 0
            expected = any_subgradient(dx, expected, x=x, dout=dout, slope=case.slope)
        where = f"dx for {edge_text(x)}" + (f" (at x == 0 any value from {case.slope:g} * dout to dout is "
                                            f"accepted; the course takes {case.slope:g} * dout)" if case.kink else "")
        check_array(dx, expected, name=where, rtol=RTOL_EDGE, likely=backward_mistakes(case, x, dout))
