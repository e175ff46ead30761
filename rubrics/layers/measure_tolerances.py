"""Measure the spread between algebraically equivalent formulations on the hidden tests'
inputs, and the error of the smallest real (catalogued) mistake, for every comparison of the
`layers` hidden tests. The tolerances named in rubrics/layers/tests/*.py are set from these
numbers: well above the spread, well below the smallest bug.

    .venv/bin/python rubrics/layers/measure_tolerances.py [seeds=50]

Every error is in check_array's metric: |got - expected| / max(|expected|, floor) with
floor = max(1e-3 * max|expected|, 1e-8). Grader-only (never released).
"""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def load(path, name):
    from grader.plugin import importable_helpers  # the hidden tests import layerchecks.py beside them

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    with importable_helpers(HERE / "tests"):
        spec.loader.exec_module(module)
    return module


ref = load(HERE.parent.parent / "solutions" / "layers" / "layers.py", "reference_layers")
act = load(HERE / "tests" / "test_activations_hidden.py", "hidden_activations")
from grader.gradcheck import numerical_gradient_array  # noqa: E402


def err(got, expected):
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return math.inf
    floor = max(1e-3 * float(np.max(np.abs(expected))), 1e-8)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), floor)))


def sig(x):
    return np.exp(-np.logaddexp(0.0, -x))


# Equivalent forward forms (as students write them), stable or not; unstable ones only on ordinary inputs.
FORWARD = {
    "sigmoid": {"1/(1+e^-x)": lambda x, a: 1 / (1 + np.exp(-x)), "e^x/(1+e^x)": lambda x, a: np.exp(x) / (1 + np.exp(x)),
                "(1+tanh(x/2))/2": lambda x, a: (1 + np.tanh(x / 2)) / 2, "exp(-logaddexp)": lambda x, a: sig(x)},
    "tanh": {"2 sigma(2x) - 1": lambda x, a: 2 * sig(2 * x) - 1,
             "quotient": lambda x, a: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
             "(1-e^-2x)/(1+e^-2x)": lambda x, a: np.sign(x) * (1 - np.exp(-2 * np.abs(x))) / (1 + np.exp(-2 * np.abs(x)))},
    "leaky_relu": {"max(ax, x)": lambda x, a: np.maximum(a * x, x), "mask": lambda x, a: x * ((x > 0) + a * (x <= 0))},
    "elu": {"exp - 1": lambda x, a: np.where(x > 0, x, a * (np.exp(np.minimum(x, 0)) - 1))},
    "softplus": {"log(1+e^x)": lambda x, a: np.log(1 + np.exp(x)), "logaddexp": lambda x, a: np.logaddexp(0, x)},
    "silu": {"x/(1+e^-x)": lambda x, a: x / (1 + np.exp(-x)), "x sigma": lambda x, a: x * sig(x)},
}
STABLE = {"exp(-logaddexp)", "(1+tanh(x/2))/2", "2 sigma(2x) - 1", "(1-e^-2x)/(1+e^-2x)", "max(ax, x)", "mask",
          "exp - 1", "logaddexp", "x sigma"}
# Equivalent backward forms: local gradient from (x, alpha).
BACKWARD = {
    "sigmoid": {"out - out^2": lambda x, a: sig(x) - sig(x) ** 2, "sigma(x) sigma(-x)": lambda x, a: sig(x) * sig(-x),
                "e^-|x|/(1+e^-|x|)^2": lambda x, a: np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2},
    "tanh": {"(1-t)(1+t)": lambda x, a: (1 - np.tanh(x)) * (1 + np.tanh(x)),
             "sech^2": lambda x, a: 1 / np.cosh(np.clip(x, -350, 350)) ** 2},
    "leaky_relu": {"where": lambda x, a: np.where(x > 0, 1.0, a)},
    "elu": {"out + alpha": lambda x, a: np.where(x > 0, 1.0, a * np.expm1(np.minimum(x, 0)) + a)},
    "softplus": {"1/(1+e^-x) (ordinary)": lambda x, a: sig(x)},
    "silu": {"sigma + x sigma (1 - sigma)": lambda x, a: sig(x) + x * sig(x) * (1 - sig(x)),
             "cheat sheet quotient": lambda x, a: (1 + np.exp(-x) + x * np.exp(-x)) / (1 + np.exp(-x)) ** 2},
}


def report(title, spread, bug):
    print(f"{title:66s} spread {spread:9.2e}   smallest bug {bug:9.2e}")


# A mistake that coincides with the right answer on one input (alpha forgotten when alpha is
# the default, "over the whole array" when N = 1) does not show there: not a measurement of it.
SAME = 1e-6  # the central difference alone is off by up to ~2e-7 (above)


def smallest(current, error):
    return min(current, error) if error > SAME else current


def main():
    results = {}
    with np.errstate(all="ignore"):
        for case in act.CASES:
            fwd = lambda v: getattr(ref, f"{case.name}_forward")(v, **case.kwargs)[0]  # noqa: E731
            spreads = {"forward": 0.0, "grad": 0.0, "edge forward": 0.0, "edge backward": 0.0}
            bugs = {"forward": math.inf, "grad": math.inf}
            for seed in range(SEEDS):
                rng = np.random.default_rng(seed)
                for kind in act.SHAPE_KINDS:
                    x = act.random_input(rng, case, kind)
                    expected = fwd(x)
                    for form in FORWARD[case.name].values():
                        spreads["forward"] = max(spreads["forward"], err(form(x, case.slope), expected))
                    for wrong in act.forward_mistakes(case, x).values():
                        bugs["forward"] = smallest(bugs["forward"], err(wrong, expected))
                    xc = np.clip(x, -4.0, 4.0)
                    dout = rng.standard_normal(xc.shape)
                    target = numerical_gradient_array(fwd, xc, dout)
                    _, cache = getattr(ref, f"{case.name}_forward")(xc, **case.kwargs)
                    spreads["grad"] = max(spreads["grad"], err(getattr(ref, f"{case.name}_backward")(dout, cache), target))
                    for form in BACKWARD[case.name].values():
                        spreads["grad"] = max(spreads["grad"], err(dout * form(xc, case.slope), target))
                    for wrong in act.backward_mistakes(case, xc, dout).values():
                        bugs["grad"] = smallest(bugs["grad"], err(wrong, target))
                dout = rng.uniform(1.0, 2.0, size=case.backward_edge_x.shape)
                xe = case.backward_edge_x
                expected = act.reference_backward(ref, case, xe, dout)
                for name, form in BACKWARD[case.name].items():
                    if "ordinary" not in name and "quotient" not in name:
                        spreads["edge backward"] = max(spreads["edge backward"], err(dout * form(xe, case.slope), expected))
                if case.forward_edge_x is not None:
                    xe = case.forward_edge_x
                    for name, form in FORWARD[case.name].items():
                        if name in STABLE:
                            spreads["edge forward"] = max(spreads["edge forward"], err(form(xe, case.slope), fwd(xe)))
            for key, value in spreads.items():
                results.setdefault(key, []).append(value)
            report(f"{case.id}: forward (RTOL_FORWARD)", spreads["forward"], bugs["forward"])
            report(f"{case.id}: backward vs central difference (RTOL_GRADCHECK)", spreads["grad"], bugs["grad"])
            report(f"{case.id}: edge forward / backward (RTOL_EDGE)", max(spreads["edge forward"],
                                                                          spreads["edge backward"]), math.nan)
        affine(), softmax()


def affine():
    from itertools import product
    spread_f = spread_g = 0.0
    bug_f = bug_g = math.inf
    for seed, (shape, m) in product(range(SEEDS), [((5, 4), 3), ((1, 6), 2), ((3, 2, 4), 5), ((2, 3, 2, 2), 4)]):
        rng = np.random.default_rng(seed)
        d = math.prod(shape[1:])
        x, w, b = rng.standard_normal(shape), rng.standard_normal((d, m)), rng.standard_normal(m)
        flat = x.reshape(shape[0], -1)
        out, cache = ref.affine_forward(x, w, b)
        loops = np.array([[math.fsum([flat[i, k] * w[k, j] for k in range(d)] + [b[j]]) for j in range(m)]
                          for i in range(shape[0])])
        for form in (np.einsum("nd,dm->nm", flat, w) + b, np.dot(flat, w) + b, loops):
            spread_f = max(spread_f, err(form, out))
        bug_f = smallest(bug_f, err(out - b, out))
        dout = rng.standard_normal((shape[0], m))
        dx, dw, db = ref.affine_backward(dout, cache)
        for got, var in ((dx, 0), (dw, 1), (db, 2)):
            args = [x, w, b]
            target = numerical_gradient_array(lambda v: ref.affine_forward(*(args[:var] + [v] + args[var + 1:]))[0],
                                              args[var], dout)
            spread_g = max(spread_g, err(got, target))
            if shape[0] > 1 and var > 0:
                bug_g = smallest(bug_g, err(got / shape[0], target))
        spread_g = max(spread_g, err(np.einsum("nd,nm->dm", flat, dout), dw), err(np.tensordot(dout, w, (1, 1)).reshape(shape), dx))
    report("affine: forward (RTOL_FORWARD)", spread_f, bug_f)
    report("affine: dx, dw, db vs central difference (RTOL_GRADCHECK)", spread_g, bug_g)


def softmax():
    soft = load(HERE / "tests" / "test_softmax_hidden.py", "hidden_softmax")
    spread, bug = 0.0, math.inf
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        for kind, scale in [(k, 3.0) for k in soft.SHAPE_KINDS] + [("2-D", 10.0)]:
            x = soft.random_logits(rng, kind, scale)
            expected = ref.softmax(x)
            lse = np.logaddexp.reduce(x, axis=-1, keepdims=True)
            forms = [np.exp(x) / np.exp(x).sum(-1, keepdims=True), np.exp(x - lse)]
            spread = max(spread, *(err(f, expected) for f in forms))
            spread = max(spread, err(expected.sum(-1), np.ones(expected.shape[:-1])))
            for wrong in soft.softmax_mistakes(x).values():
                if wrong.shape == expected.shape:
                    bug = smallest(bug, err(wrong, expected))
    x = soft.LARGE_LOGITS
    lse = np.logaddexp.reduce(x, axis=-1, keepdims=True)
    edge = err(np.exp(x - lse), ref.softmax(x))
    report("softmax: ordinary (RTOL)", spread, bug)
    report("softmax: large logits, exp(x - logsumexp) (RTOL)", edge, math.nan)


if __name__ == "__main__":
    main()
