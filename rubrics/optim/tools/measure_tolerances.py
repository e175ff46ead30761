"""Measure the tolerances of the optim hidden tests (trusted course tool; never run by the grader).

    .venv/bin/python rubrics/optim/tools/measure_tolerances.py [SEEDS]

For every comparison of the hidden tests it reports, over SEEDS seeds (default 200) of the tests'
own inputs, in the relative error grader.comparison.check_array uses:

* spread: the largest difference between the reference and algebraically equivalent programs
  (other operation orders, each accepted convention's own orders), float64, closed loop as a
  student's program runs;
* bug:    the smallest, over seeds, of a known mistake's largest difference (over the item's tests
  and steps) from the closest accepted form: how far the least visible real bug stands.

A tolerance belongs well above the first and well below the second.
"""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
spec = importlib.util.spec_from_file_location("optim_hidden", HERE.parent / "tests" / "test_optim_hidden.py")
H = importlib.util.module_from_spec(spec)
spec.loader.exec_module(H)
spec = importlib.util.spec_from_file_location("optim_ref", REPO / "solutions" / "optim" / "optim.py")
REF = importlib.util.module_from_spec(spec)
spec.loader.exec_module(REF)


def pristine(rule):
    """The reference rule called with a copy of the config, as the tests' ``ref`` fixture calls it
    (the reference fills in and returns the dict it is given)."""
    fn = getattr(REF, rule)
    return lambda w, dw, config: fn(w, dw, None if config is None else {k: (v.copy() if isinstance(v, np.ndarray)
                                                                         else v) for k, v in config.items()})


def rel(got, expected):
    """The relative error of grader.comparison.check_array."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)):
        return np.inf
    floor = max(1e-3 * float(np.max(np.abs(expected))), 1e-8)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), floor)))


# -- equivalent programs: (w, dw, c) -> (next_w, c), c holds every default ----------------------
def z(c, key):
    return c.get(key, 0.0)


EQUIVALENT = {
    "sgd": [lambda w, dw, c: (w + (-c["learning_rate"]) * dw, c),
            lambda w, dw, c: (w - dw * c["learning_rate"], c)],
    "sgd_momentum": [
        lambda w, dw, c: (lambda v: (w - c["learning_rate"] * v, dict(c, velocity=v)))(c["momentum"] * z(c, "velocity") + dw),
        lambda w, dw, c: (lambda v: (w - v, dict(c, velocity=v)))(c["momentum"] * z(c, "velocity") + c["learning_rate"] * dw),
        lambda w, dw, c: (lambda v: (w + v, dict(c, velocity=v)))(c["momentum"] * z(c, "velocity") - c["learning_rate"] * dw)],
    "nesterov_momentum": [
        lambda w, dw, c: (lambda v: (w - c["learning_rate"] * (dw + c["momentum"] * v), dict(c, velocity=v)))(
            c["momentum"] * z(c, "velocity") + dw),
        lambda w, dw, c: (lambda v0, v: (w + v + c["momentum"] * (v - v0), dict(c, velocity=v)))(
            z(c, "velocity"), c["momentum"] * z(c, "velocity") - c["learning_rate"] * dw),
        lambda w, dw, c: (lambda v0, v: (w + c["momentum"] * v0 - (1 + c["momentum"]) * v, dict(c, velocity=v)))(
            z(c, "velocity"), c["momentum"] * z(c, "velocity") + c["learning_rate"] * dw)],
    "adagrad": [
        lambda w, dw, c: (lambda g: (w - c["learning_rate"] / (np.sqrt(g) + c["epsilon"]) * dw, dict(c, cache=g)))(
            z(c, "cache") + np.square(dw)),
        lambda w, dw, c: (lambda g: (w - dw * (c["learning_rate"] / (g ** 0.5 + c["epsilon"])), dict(c, cache=g)))(
            z(c, "cache") + dw ** 2)],
    "rmsprop": [
        lambda w, dw, c: (lambda g: (w - c["learning_rate"] * dw / (np.sqrt(g) + c["epsilon"]), dict(c, cache=g)))(
            z(c, "cache") + (1 - c["decay_rate"]) * (dw * dw - z(c, "cache"))),
        lambda w, dw, c: (lambda g: (w - dw / (g ** 0.5 + c["epsilon"]) * c["learning_rate"], dict(c, cache=g)))(
            c["decay_rate"] * z(c, "cache") + dw ** 2 * (1 - c["decay_rate"]))],
    "adadelta": [
        lambda w, dw, c: (lambda g: (lambda d: (w + c["learning_rate"] * d, dict(
            c, cache=g, delta_cache=z(c, "delta_cache") + (1 - c["decay_rate"]) * (d * d - z(c, "delta_cache")))))(
            -np.sqrt((z(c, "delta_cache") + c["epsilon"]) / (g + c["epsilon"])) * dw))(
            c["decay_rate"] * z(c, "cache") + (1 - c["decay_rate"]) * dw ** 2)],
    "adam": [
        # PyTorch's order: denom = sqrt(v) / sqrt(1 - beta2**t) + eps, step = lr / (1 - beta1**t)
        lambda w, dw, c: (lambda t, m, v: (w - c["learning_rate"] / (1 - c["beta1"] ** t) * m / (
            np.sqrt(v) / math.sqrt(1 - c["beta2"] ** t) + c["epsilon"]), dict(c, t=t, m=m, v=v)))(
            c.get("t", 0) + 1, z(c, "m") + (1 - c["beta1"]) * (dw - z(c, "m")),
            z(c, "v") + (1 - c["beta2"]) * (dw * dw - z(c, "v"))),
        lambda w, dw, c: (lambda t, m, v: (w - c["learning_rate"] * (m / (1 - c["beta1"] ** t)) / (
            (v / (1 - c["beta2"] ** t)) ** 0.5 + c["epsilon"]), dict(c, t=t, m=m, v=v)))(
            c.get("t", 0) + 1, c["beta1"] * z(c, "m") + dw * (1 - c["beta1"]), c["beta2"] * z(c, "v") + dw ** 2 * (1 - c["beta2"]))],
}
# each accepted convention in other orders too (the student writes it their own way)
EQUIVALENT["adagrad"].append(lambda w, dw, c: (lambda g: (w - dw * c["learning_rate"] / (g + c["epsilon"]) ** 0.5, dict(c, cache=g)))(
    z(c, "cache") + dw * dw))
EQUIVALENT["rmsprop"].append(lambda w, dw, c: (lambda g: (w - c["learning_rate"] / np.sqrt(g + c["epsilon"]) * dw, dict(c, cache=g)))(
    c["decay_rate"] * z(c, "cache") + (1 - c["decay_rate"]) * np.square(dw)))
EQUIVALENT["adam"].append(lambda w, dw, c: (lambda t, m, v: (w - m * (c["learning_rate"] * math.sqrt(1 - c["beta2"] ** t) / (
    1 - c["beta1"] ** t)) / (v ** 0.5 + c["epsilon"]), dict(c, t=t, m=m, v=v)))(
    c.get("t", 0) + 1, c["beta1"] * z(c, "m") + (1 - c["beta1"]) * dw, c["beta2"] * z(c, "v") + (1 - c["beta2"]) * dw * dw))


def scenarios(rule, rng):
    """(label, problem, config) of every closed-loop test of the rule, inputs as the tests draw them."""
    out = []
    for ndim in H.NDIMS:
        shape = tuple(int(n) for n in rng.integers(2, 7, size=ndim))
        out.append((f"default {ndim}d", H.Quadratic(rng, shape), None))
    out.append(("custom", H.Quadratic(rng, (5, 4)), H.CUSTOM[rule]))
    if rule in ("adagrad", "rmsprop", "adadelta", "adam"):
        out.append(("tiny", H.Quadratic(rng, (3, 4), scale=H.SMALL), None))
    return out


def run(fn, problem, config):
    return [w for w, _ in H.simulate(fn, problem.w0, config, H.STEPS, grad=problem.grad)]


def trajectories(rule, problem, config):
    forms = {"reference": run(pristine(rule), problem, None if config is None else dict(config))}
    forms.update({name: run(H.filled(rule, fn), problem, config) for name, fn in H.CONVENTIONS.get(rule, {}).items()})
    return forms


def measure_weights(seeds):
    print("weights (w after each step, closed loop), relative error as check_array measures it")
    for rule in H.RULES:
        spread, conv_gap, worst_bug = 0.0, np.inf, {}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            per_bug = {}
            for label, problem, config in scenarios(rule, rng):
                forms = trajectories(rule, problem, config)
                ref = forms["reference"]
                for fn in EQUIVALENT[rule]:
                    mine = run(H.filled(rule, fn), problem, config)
                    best = min(max(rel(a, b) for a, b in zip(mine, form)) for form in forms.values())
                    spread = max(spread, best)
                for name in forms:
                    if name != "reference":
                        gap = max(rel(a, b) for a, b in zip(forms[name], ref))
                        conv_gap = min(conv_gap, gap) if label == "custom" else conv_gap
                        conv_spread.setdefault(rule, {}).setdefault(label, 0.0)
                        conv_spread[rule][label] = max(conv_spread[rule][label], gap)
                for cause, fn in H.MISTAKES.get(rule, {}).items():
                    bad = run(H.filled(rule, fn), problem, config)
                    d = min(max(rel(a, b) for a, b in zip(bad, form)) for form in forms.values())
                    per_bug[cause] = max(per_bug.get(cause, 0.0), d)
            for cause, d in per_bug.items():
                worst_bug[cause] = min(worst_bug.get(cause, np.inf), d)
        smallest = min(worst_bug.items(), key=lambda kv: kv[1]) if worst_bug else ("-", np.inf)
        print(f"  {rule:18s} spread {spread:.2e}   smallest bug {smallest[1]:.2e} ({smallest[0][:60]})")
        for label, gap in conv_spread.get(rule, {}).items():
            print(f"  {'':18s}   accepted form vs reference ({label}): up to {gap:.2e}")


conv_spread = {}


def measure_state(seeds):
    print("state (config arrays after each step, fixed inputs)")
    for rule in sorted(H.STATE):
        spread, worst_bug = 0.0, {}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            per_bug = {}
            for config in (None, H.CUSTOM[rule]):
                ws = [rng.standard_normal((3, 4)) for _ in range(4)]
                dws = [rng.standard_normal((3, 4)) for _ in range(4)]
                ref = H.simulate(pristine(rule), None, None if config is None else dict(config), 4, ws=ws, dws=dws)
                keys = [k for k in H.STATE[rule] if k != "t"]
                for fn in EQUIVALENT[rule]:
                    mine = H.simulate(H.filled(rule, fn), None, config, 4, ws=ws, dws=dws)
                    spread = max(spread, max(rel(a[1][k], b[1][k]) for a, b in zip(mine, ref) for k in keys))
                for cause, fn in H.MISTAKES[rule].items():
                    bad = H.simulate(H.filled(rule, fn), None, config, 4, ws=ws, dws=dws)
                    d = max((rel(a[1][k], b[1][k]) for a, b in zip(bad, ref) for k in keys
                             if np.shape(a[1][k]) == np.shape(b[1][k])), default=0.0)
                    per_bug[cause] = max(per_bug.get(cause, 0.0), d)
            for cause, d in per_bug.items():
                worst_bug[cause] = min(worst_bug.get(cause, np.inf), d)
        # mistakes of the weights alone leave the state right (to rounding): not state bugs
        real = {c: d for c, d in worst_bug.items() if d > 1e-10}
        smallest = min(real.items(), key=lambda kv: kv[1])
        print(f"  {rule:18s} spread {spread:.2e}   smallest bug {smallest[1]:.2e} ({smallest[0][:60]})")


SCHEDULE_EQUIVALENT = {
    "step_decay": [lambda s, b, milestones, gamma=0.1: b * gamma ** int(np.searchsorted(milestones, s, side="right")),
                   lambda s, b, milestones, gamma=0.1: math.prod([b] + [gamma for m in milestones if s >= m])],
    "cosine_decay": [lambda s, b, total_steps: b * math.cos(math.pi * min(s, total_steps) / (2 * total_steps)) ** 2,
                     lambda s, b, total_steps: (b + b * math.cos(min(s, total_steps) * math.pi / total_steps)) / 2],
    "linear_decay": [lambda s, b, total_steps: b - b * min(s, total_steps) / total_steps,
                     lambda s, b, total_steps: b * (total_steps - min(s, total_steps)) / total_steps],
    "inverse_sqrt_decay": [lambda s, b: b * (s + 1) ** -0.5, lambda s, b: b * math.sqrt(1 / (s + 1))],
    "linear_warmup": [lambda s, b, warmup_steps: min(b, b * s / warmup_steps),
                      lambda s, b, warmup_steps: b / warmup_steps * min(s, warmup_steps)],
}


def schedule_cases(name, rng):
    base = H.random_base_lr(rng)
    if name == "step_decay":
        milestones = sorted(int(m) for m in rng.choice(np.arange(1, 40), size=3, replace=False))
        params = {"milestones": milestones, "gamma": float(np.round(rng.uniform(0.2, 0.7), 3))}
        return [(base, params, range(milestones[-1] + 4)),
                (base, {"milestones": [30, 60, 90]}, [0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 91, 150]),
                (base, {"milestones": [0, 3], "gamma": 0.5}, range(6))]
    if name in ("cosine_decay", "linear_decay"):
        total = int(rng.integers(5, 40))
        return [(base, {"total_steps": total}, range(total + 5)), (base, {"total_steps": 1}, range(4))]
    if name == "inverse_sqrt_decay":
        return [(base, {}, [*range(30), 99, 9999, 123456])]
    warm = int(rng.integers(3, 30))
    return [(base, {"warmup_steps": warm}, range(warm + 5)), (base, {"warmup_steps": 1}, range(4))]


def measure_schedules(seeds):
    print("schedules (lr at each step)")
    for name, equivalents in SCHEDULE_EQUIVALENT.items():
        spread, worst_bug = 0.0, {}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            per_bug = {}
            for base, params, steps in schedule_cases(name, rng):
                for step in steps:
                    want = getattr(REF, name)(step, base, **params)
                    for fn in equivalents:
                        spread = max(spread, rel(fn(step, base, **params), want))
                    for cause, f in H.schedule_mistakes(name, base, params).items():
                        per_bug[cause] = max(per_bug.get(cause, 0.0), rel(f(step), want))
            for cause, d in per_bug.items():
                worst_bug[cause] = min(worst_bug.get(cause, np.inf), d)
        smallest = min(worst_bug.items(), key=lambda kv: kv[1])
        print(f"  {name:18s} spread {spread:.2e}   smallest bug {smallest[1]:.2e} ({smallest[0][:60]})")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with np.errstate(all="ignore"):
        measure_weights(n)
        measure_state(n)
        measure_schedules(n)
