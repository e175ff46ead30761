"""What the hidden tests of `layers` share: a helper module next to them, imported as
``import layerchecks`` (``from layerchecks import ...``) while they run in the trusted
process (see :func:`grader.plugin.helper_modules`). Not a test file: pytest collects none of it.

Shapes: an input x of any shape (N, ...) for the activations; ``random_shape`` draws one.
"""

import numpy as np

from grader.failure import MismatchError

# -- TOLERANCES (relative, check_array's metric); measured by
# `python rubrics/layers/measure_tolerances.py 50` (50 seeds of the hidden tests' inputs).
# Why RTOL_FORWARD = 1e-6: affine_forward as x_flat @ w + b, np.dot, einsum or Python loops (math.fsum)
# differ from the reference by <= 4.5e-14; ReLU as maximum/where/x * mask by 0; the other activations
# (sigmoid as 1/(1+e^-x), e^x/(1+e^x), (1+tanh(x/2))/2, exp(-logaddexp(0,-x)); tanh as 2 sigma(2x)-1 or the
# exp quotient; leaky ReLU as max(ax, x) or a mask; ELU with exp(x)-1; softplus as log(1+e^x) or logaddexp;
# SiLU as x/(1+e^-x)) by <= 1.1e-13 (tanh). Smallest bug 1.5e-2 (ELU's parentheses, alpha 1.7; the bias
# left out of affine: 7.7e-2). 1e-6 is 7 decades above the spread and 4 below the bug.
RTOL_FORWARD = 1e-6
# Why RTOL_GRADCHECK = 5e-5: the reference's backward and the accepted forms (einsum/tensordot for affine;
# out - out^2, sigma(x) sigma(-x), (1-t)(1+t), sech^2, ELU's out + alpha, the cheat sheet's SiLU quotient)
# against the central difference (h = 1e-5, |x| <= 4) of the reference forward: <= 3.9e-8 (affine),
# <= 1.9e-7 (ELU; ReLU-like piecewise-linear gradients away from the kink <= 1.2e-7: the central
# difference's own error). Smallest bug 1.1e-2 (softplus' sigma of the output; for affine 0.5, an N-fold
# error at N = 2: transposes and wrong axes change the shape). 5e-5 is ~260x above the spread and ~230x
# below the bug (1e-5 before: only 50x above).
RTOL_GRADCHECK = 5e-5

# Shapes of the random inputs: a batch of several rows, a batch of one, and a 3-D input.
SHAPE_KINDS = ["2-D", "N=1", "3-D"]


def random_shape(rng, kind: str) -> tuple:
    """A shape of ``kind`` (SHAPE_KINDS) with random sizes: (N, D), (1, D) or (N, d_1, d_2)."""
    if kind == "N=1":
        return (1, int(rng.integers(2, 9)))
    return tuple(int(n) for n in rng.integers(2, 7 if kind == "2-D" else 5, size=2 if kind == "2-D" else 3))


def check_finite(out, *, name: str, look_for: str) -> None:
    """A numeric array is finite everywhere; anything else (a wrong type, shape or dtype) is left
    to the forward's own item. ``look_for`` names the likely culprit (``"a division by x ... at x == 0"``)."""
    if isinstance(out, np.ndarray) and out.dtype.kind in "biuf" and not np.isfinite(out).all():
        bad = int((~np.isfinite(out)).sum())
        raise MismatchError(f"{name}: {bad} of {out.size} entries are NaN or infinite; look for {look_for}")


def any_subgradient(dx, expected, *, x, dout, slope: float):
    """``expected`` (x's shape), except at x == 0, where any value between the one-sided slopes
    (``slope * dout`` and ``dout``) is right: there, the accepted value nearest to the student's
    ``dx`` (a NaN counts as the lower end). A dx of the wrong type or shape gets ``expected``."""
    if not (isinstance(dx, np.ndarray) and dx.shape == x.shape and dx.dtype.kind == "f"):
        return expected
    left = slope * dout
    lo, hi = np.minimum(left, dout), np.maximum(left, dout)
    nearest = np.clip(np.where(np.isfinite(dx), dx, lo), lo, hi)
    return np.where(x == 0, nearest, expected)
