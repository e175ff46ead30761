"""Hidden tests of the `optim` assignment.

Update rules are graded on the weights they produce over several consecutive
steps, with the state carried through the config dict the student returns
(``w, config = student.adam(w, dw, config)``). The gradients change every step:
they are the gradients of a fixed quadratic, f(w) = 0.5 * sum(a * (w - c)**2),
at the current weights. The reference runs the same loop on its own weights, and
the first step whose weights differ fails ("w after step 3: ..."). Shapes are
1-D, 2-D and 3-D; their sizes and every value come from ``rng``.

The momentum rules are graded on the weights only: the handout accepts either
sign convention of the velocity, so only its presence (an array shaped like w)
is checked. The state of AdaGrad, RMSProp, Adadelta and Adam is unambiguous and
is compared with the reference's after each step, on a fixed sequence of
gradients, under the rule's ``_config`` item together with the defaults.

Where the notes or the literature give more than one correct form (CONVENTIONS:
epsilon inside AdaGrad's and RMSProp's root as CS188 writes them, Kingma & Ba's
alpha_t order of Adam), the weights may follow any one of them over all the steps;
each form is simulated with trusted code, never absorbed into a tolerance.

Where a known mistake (Adam without bias correction, Adam's epsilon inside the
square root, a velocity that is never stored...) reproduces the student's numbers,
the feedback names it: the tests simulate each of those mistakes with trusted code
below. A cause is named only if it explains more than one number: the weights of
the failing step and of the next one, every stored t, every learning rate of a
schedule. A rule that raises or hangs loses its own items only: the shared
inputs_unchanged item judges the rules that returned.
"""

import functools
import itertools

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple
from grader.failure import MismatchError
from grader.testing import MutationLog, during, per_item, step, trajectory

STEPS = 5
NDIMS = (1, 2, 3)  # w is 1-D, 2-D or 3-D; its sizes come from rng
RULES = ("sgd", "sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adadelta", "adam")

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adadelta": {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
# Why these values: every one differs from its default, and each epsilon is large
# next to sqrt(cache) (gradients are O(1)), so where epsilon is added changes the
# weights by far more than the tolerance.
CUSTOM = {
    "sgd": {"learning_rate": 0.05},
    "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.6},
    "nesterov_momentum": {"learning_rate": 0.04, "momentum": 0.7},
    "adagrad": {"learning_rate": 0.1, "epsilon": 0.3},
    "rmsprop": {"learning_rate": 0.02, "decay_rate": 0.9, "epsilon": 0.05},
    "adadelta": {"learning_rate": 0.5, "decay_rate": 0.8, "epsilon": 1e-3},
    "adam": {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.95, "epsilon": 0.05},
}
STATE = {"adagrad": ("cache",), "rmsprop": ("cache",), "adadelta": ("cache", "delta_cache"),
         "adam": ("m", "v", "t")}
VELOCITY_RULES = ("sgd_momentum", "nesterov_momentum")
# Why 1e-5: with the default epsilons (1e-8, 1e-6 for Adadelta) sqrt(cache) is then
# comparable to sqrt(epsilon), so epsilon inside instead of outside the square
# root changes the first step several-fold.
SMALL = 1e-5
# Tolerances, relative as grader.comparison.check_array measures them, each set from measurement
# (rubrics/optim/tools/measure_tolerances.py, 200 seeds of these tests' own inputs): well above the
# spread between correct programs (the reference against other operation orders of it and of every
# accepted form, float64, closed loop) and well below the smallest real bug (the least visible
# MISTAKES entry, taken at its most visible test of the item, smallest over the seeds).
# Why 1e-5 for the weights: spread <= 3.1e-11 (AdaGrad, epsilon inside, tiny gradients; 1.4e-13 for
# momentum, 1.1e-14 for Adam), smallest bug 0.13 (Adadelta's delta_cache accumulating lr * delta, at
# learning_rate 0.5). The accepted forms are never judged by this tolerance, which could not hold
# them: Kingma & Ba's Adam differs from the handout's by up to 1.2e-5 on ordinary inputs and by ~10 at
# epsilon 0.05 or with tiny gradients, CS188's RMSProp by up to 3.3 already at the default epsilon
# (gradients of ~1e-3 near the minimum); each accepted form is simulated and compared on its own.
RTOL_WEIGHTS = 1e-5
# Why 1e-5 for the state (cache, delta_cache, m, v): spread <= 1.1e-13, smallest bug 0.84.
RTOL_STATE = 1e-5
# Why 1e-5 for a schedule's lr: spread <= 1.1e-8 (an lr of exactly 0 computed as base_lr - base_lr:
# one rounding of base_lr, measured against the 1e-8 floor), smallest bug 1.0 (an off-by-one step).
RTOL_LR = 1e-5


# -- the problem -------------------------------------------------------------------------
class Quadratic:
    """f(w) = 0.5 * sum(a * (w - c)**2), curvatures a in [0.5, 4]: ill-conditioned, so the
    gradient a * (w - c) changes every step. ``scale`` shrinks w0 and c (and so the gradients)."""

    def __init__(self, rng, shape, scale=1.0):
        self.a = rng.uniform(0.5, 4.0, size=shape)
        self.c = scale * rng.standard_normal(shape)
        self.w0 = scale * rng.standard_normal(shape)

    def grad(self, w):
        return self.a * (w - self.c)


# -- known mistakes, simulated with trusted code (config already holds every default) ------
def sgd_variant(w, dw, c, *, uphill=False):
    return (w + c["learning_rate"] * dw if uphill else w - c["learning_rate"] * dw), c


def momentum_variant(w, dw, c, *, nesterov=False, store=True):
    old = c.get("velocity", 0.0)
    v = c["momentum"] * old + dw
    step = dw + c["momentum"] * v if nesterov else v
    return w - c["learning_rate"] * step, (dict(c, velocity=v) if store else c)


def adagrad_variant(w, dw, c, *, eps_inside=False, accumulate=True):
    cache = (c.get("cache", 0.0) if accumulate else 0.0) + dw * dw
    root = np.sqrt(cache + c["epsilon"]) if eps_inside else np.sqrt(cache) + c["epsilon"]
    return w - c["learning_rate"] * dw / root, dict(c, cache=cache)


def rmsprop_variant(w, dw, c, *, eps_inside=False, swapped=False):
    keep = 1.0 - c["decay_rate"] if swapped else c["decay_rate"]
    cache = keep * c.get("cache", 0.0) + (1.0 - keep) * dw * dw
    root = np.sqrt(cache + c["epsilon"]) if eps_inside else np.sqrt(cache) + c["epsilon"]
    return w - c["learning_rate"] * dw / root, dict(c, cache=cache)


def adadelta_variant(w, dw, c, *, eps_outside=False, update_delta_cache=True, scaled_delta_cache=False):
    rho, eps, lr = c["decay_rate"], c["epsilon"], c["learning_rate"]
    cache = rho * c.get("cache", 0.0) + (1.0 - rho) * dw * dw
    previous = c.get("delta_cache", 0.0)
    if eps_outside:
        delta = -(np.sqrt(previous) + eps) / (np.sqrt(cache) + eps) * dw
    else:
        delta = -np.sqrt(previous + eps) / np.sqrt(cache + eps) * dw
    accumulated = lr * delta if scaled_delta_cache else delta
    delta_cache = rho * previous + (1.0 - rho) * accumulated**2 if update_delta_cache else previous + 0.0 * dw
    return w + lr * delta, dict(c, cache=cache, delta_cache=delta_cache)


def adam_variant(w, dw, c, *, correction="powered", eps_inside=False, store_corrected=False):
    b1, b2 = c["beta1"], c["beta2"]
    t = c.get("t", 0) + 1
    m = b1 * c.get("m", 0.0) + (1.0 - b1) * dw
    v = b2 * c.get("v", 0.0) + (1.0 - b2) * dw * dw
    if correction == "powered":
        m_hat, v_hat = m / (1.0 - b1**t), v / (1.0 - b2**t)
    elif correction == "unpowered":
        m_hat, v_hat = m / (1.0 - b1), v / (1.0 - b2)
    else:
        m_hat, v_hat = m, v
    root = np.sqrt(v_hat + c["epsilon"]) if eps_inside else np.sqrt(v_hat) + c["epsilon"]
    stored_m, stored_v = (m_hat, v_hat) if store_corrected else (m, v)
    return w - c["learning_rate"] * m_hat / root, dict(c, t=t, m=stored_m, v=stored_v)


def adam_alpha_t(w, dw, c):
    """Kingma & Ba (2015), section 2, last paragraph: the bias corrections folded into the step size,
    alpha_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), then w - alpha_t * m / (sqrt(v) + epsilon_hat).
    With epsilon_hat = epsilon this is the handout's rule with epsilon * sqrt(1 - beta2**t) in place of
    epsilon: the same rule whenever sqrt(v_hat) >> epsilon, a different one where epsilon matters."""
    b1, b2 = c["beta1"], c["beta2"]
    t = c.get("t", 0) + 1
    m = b1 * c.get("m", 0.0) + (1.0 - b1) * dw
    v = b2 * c.get("v", 0.0) + (1.0 - b2) * dw * dw
    alpha_t = c["learning_rate"] * np.sqrt(1.0 - b2**t) / (1.0 - b1**t)
    return w - alpha_t * m / (np.sqrt(v) + c["epsilon"]), dict(c, t=t, m=m, v=v)


P = functools.partial
# rule: {accepted form: the trusted rule}, correct answers other than the handout's that the lecture
# notes or the literature give; the student's weights may follow any one of them (the reference's
# form first). Their state (cache, m, v, t) is the reference's, so the _config items need none.
# Not here, because they are real mistakes: Adam's epsilon inside the root (both lectures and the
# paper add it outside) and Adadelta's epsilon outside the roots (CS188 and Zeiler, 2012, define
# RMS[x] = sqrt(E[x^2] + epsilon)).
CONVENTIONS = {
    # L10 adds epsilon outside the root (as Duchi et al., 2011, do); CS188 inside, as does Ruder
    # (2016), the overview it follows, and TensorFlow's RMSProp. The notes disagree: both are correct.
    "adagrad": {"epsilon inside the square root (CS188)": P(adagrad_variant, eps_inside=True)},
    "rmsprop": {"epsilon inside the square root (CS188)": P(rmsprop_variant, eps_inside=True)},
    "adam": {"Kingma & Ba's alpha_t form (epsilon_hat after sqrt(v))": adam_alpha_t},
}
ACCEPTED_NOTE = {
    "adagrad": "accepted: epsilon outside the square root (L10, the handout) or inside it (CS188)",
    "rmsprop": "accepted: epsilon outside the square root (L10, the handout) or inside it (CS188)",
    "adam": "accepted: the handout's bias-corrected m_hat and v_hat, or Kingma & Ba's alpha_t form",
}
# rule: {likely cause: the mistaken rule}
MISTAKES = {
    "sgd": {"the step goes up the gradient: next_w = w - learning_rate * dw": P(sgd_variant, uphill=True)},
    "sgd_momentum": {
        "the velocity is not carried over from one step to the next: store the new velocity in "
        "config['velocity'] and read it back on the next call": P(momentum_variant, store=False),
        "this is Nesterov's update; sgd_momentum steps by the velocity alone": P(momentum_variant, nesterov=True),
    },
    "nesterov_momentum": {
        "this is plain momentum: Nesterov's step also looks ahead, next_w = w - momentum * v_old + "
        "(1 + momentum) * v": momentum_variant,
        "the velocity is not carried over from one step to the next: store the new velocity in "
        "config['velocity'] and read it back on the next call": P(momentum_variant, nesterov=True, store=False),
    },
    "adagrad": {
        "the cache holds only the last squared gradient: AdaGrad sums them over all steps, cache += dw**2":
            P(adagrad_variant, accumulate=False),
    },
    "rmsprop": {
        "decay_rate and 1 - decay_rate are swapped: cache = decay_rate * cache + (1 - decay_rate) * dw**2":
            P(rmsprop_variant, swapped=True),
    },
    "adadelta": {
        "epsilon was added outside the square roots; Adadelta adds it inside both, "
        "RMS[x] = sqrt(E[x^2] + epsilon)": P(adadelta_variant, eps_outside=True),
        "config['delta_cache'] (E[delta^2]) is never updated: after the step, delta_cache = decay_rate * "
        "delta_cache + (1 - decay_rate) * delta**2": P(adadelta_variant, update_delta_cache=False),
        "delta_cache accumulated the step after the learning rate; it accumulates delta itself, and the "
        "weights move by learning_rate * delta": P(adadelta_variant, scaled_delta_cache=True),
    },
    "adam": {
        "no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t)": P(adam_variant, correction="none"),
        # also the weights of a t that is never carried over (every step then corrects as the first):
        # the two give the same weights at every step, so one hint names both
        "the bias correction divides by 1 - beta instead of 1 - beta**t (t = the number of steps so far; "
        "or t is not carried over from one step to the next: store it in config['t'])":
            P(adam_variant, correction="unpowered"),
        ("epsilon was added inside the square root, sqrt(v_hat + epsilon); this assignment adds it outside: "
         "m_hat / (sqrt(v_hat) + epsilon)"): P(adam_variant, eps_inside=True),
        "config['m'] and config['v'] hold the bias-corrected moments: store the raw m and v, "
        "and correct copies of them": P(adam_variant, store_corrected=True),
    },
}


def filled(rule, fn):
    """A trusted mistaken rule with the contract's None config and defaults."""
    return lambda w, dw, config: fn(w, dw, dict(DEFAULTS[rule], **(config or {})))


def simulate(rule_fn, w0, config, steps, *, grad=None, ws=None, dws=None):
    """[(w, config) after step k] for k = 1..steps of a trusted rule: closed loop (dw = grad(w)) or on
    fixed (ws, dws)."""
    return [(w, c) for _, w, c in trajectory(rule_fn, rule=getattr(rule_fn, "__name__", "the rule"), steps=steps,
                                             w0=w0, config=config, grad=grad, ws=ws, dws=dws)]


# -- calling the student -------------------------------------------------------------------
def update(student, rule, w, dw, config, *, label):
    """The student's (next_w, config), checked to be a pair whose config is a dict."""
    return step(getattr(student, rule), rule=rule, w=w, dw=dw, config=config, label=label)


def entry(config, key, *, rule, label):
    if key not in config:
        raise MismatchError(f"config['{key}'] {label}: missing; {rule} must store {key!r} in the config "
                            "it returns" + (" (config.setdefault)" if key in DEFAULTS[rule] else ""))
    return config[key]


def describe(config):
    return ", ".join(f"{k}={v:g}" for k, v in config.items())


def matches(got, want, *, name, rtol):
    """Whether ``got`` passes the strict comparison with ``want`` (shape, dtype, finite, tolerance)."""
    try:
        check_array(got, want, name=name, rtol=rtol)
    except MismatchError:
        return False
    return True


def check_trajectory(student, ref, rule, problem, config, *, what="", steps=STEPS):
    """Run student and reference side by side; fail at the first step whose weights differ from
    the reference's and from every other accepted form's (CONVENTIONS) that the earlier steps matched."""
    start = None if config is None else dict(config)
    runs = {"": simulate(getattr(ref, rule), problem.w0, start, steps, grad=problem.grad)}
    runs.update({form: simulate(filled(rule, fn), problem.w0, config, steps, grad=problem.grad)
                 for form, fn in CONVENTIONS.get(rule, {}).items()})
    # two steps more than are graded: a mistake is named only if it explains the failing step and the
    # next one too (two mistakes can give the same weights at one step, e.g. at step 2 a t that is never
    # stored and 1 - beta instead of 1 - beta**t)
    mistakes = {cause: simulate(filled(rule, fn), problem.w0, config, steps + HINT_STEPS, grad=problem.grad)
                for cause, fn in MISTAKES.get(rule, {}).items()}
    alive = list(runs)
    # Lazy: the student's steps after `steps` run only if a step fails, to name its likely cause.
    taken = trajectory(getattr(student, rule), rule=rule, steps=steps + HINT_STEPS, w0=problem.w0.copy(),
                       config=None if config is None else dict(config), grad=problem.grad,
                       label="after step {k}" + what)
    for k, w, _ in taken:
        name = f"w after step {k}{what}"
        still = [form for form in alive if matches(w, runs[form][k - 1][0], name=name, rtol=RTOL_WEIGHTS)]
        if still:
            alive = still
            if k == steps:
                return
            continue
        closest = alive[0]  # the reference's form, unless the earlier steps followed only another one
        note = [f"compared with {closest}, the form your earlier steps followed"] if closest else []
        note += [ACCEPTED_NOTE[rule]] if rule in ACCEPTED_NOTE else []
        likely = None if closest else explained(taken, w, k, mistakes)
        try:
            check_array(w, runs[closest][k - 1][0], name=name, rtol=RTOL_WEIGHTS, likely=likely)
        except MismatchError as exc:
            raise MismatchError(str(exc) + "".join(f"\n    ({line})" for line in note)) from None
        raise MismatchError(f"{name}: differs from every accepted form")  # unreachable: matches() said so


HINT_STEPS = 2


def explained(taken, w, k, mistakes):
    """{cause: its weights at step k} of the mistakes that also explain the student's next steps (up to
    HINT_STEPS more, at least one): the student's trajectory ``taken`` is run on from its wrong step k
    (weights ``w``) to see."""
    seen = [w]
    try:
        for _, w, _ in itertools.islice(taken, HINT_STEPS):
            seen.append(w)
    except AssertionError:
        pass
    if len(seen) < 2:
        return {}
    return {cause: run[k - 1][0] for cause, run in mistakes.items()
            if all(matches(got, run[k - 1 + j][0], name="w", rtol=RTOL_WEIGHTS) for j, got in enumerate(seen))}


def per_rule(rules, suffix="", ndims=None):
    if ndims is None:
        return per_item(list(rules), item=lambda rule: rule + suffix)
    return per_item([(rule, ndim) for rule in rules for ndim in ndims], item=lambda case: case[0] + suffix,
                    id=lambda case: f"{case[0]}-{case[1]}d")


# -- update rules: the weights over several steps --------------------------------------------
@pytest.mark.parametrize("rule,ndim", per_rule(RULES, ndims=NDIMS))
def test_weights_over_several_steps_with_default_hyperparameters(student, ref, rng, rule, ndim):
    shape = tuple(int(n) for n in rng.integers(2, 7, size=ndim))
    check_trajectory(student, ref, rule, Quadratic(rng, shape), None)


@pytest.mark.parametrize("rule", per_rule(RULES))
def test_weights_over_several_steps_with_the_callers_hyperparameters(student, ref, rng, rule):
    config = CUSTOM[rule]
    check_trajectory(student, ref, rule, Quadratic(rng, (5, 4)), config, what=f" ({describe(config)})")


@pytest.mark.parametrize("rule", per_rule(("adagrad", "rmsprop", "adadelta", "adam")))
def test_weights_over_several_steps_with_tiny_gradients_where_epsilon_matters(student, ref, rng, rule):
    check_trajectory(student, ref, rule, Quadratic(rng, (3, 4), scale=SMALL), None,
                     what=" (gradients of about 1e-5, default epsilon)")


@pytest.mark.parametrize("rule", per_rule(VELOCITY_RULES))
def test_momentum_keeps_moving_when_the_gradient_vanishes(student, ref, rng, rule):
    """A few steps with gradients, then zero gradients: only the velocity moves w."""
    w0 = rng.standard_normal((6,))
    dws = [rng.standard_normal((6,)) for _ in range(2)] + [np.zeros(6)] * 3
    expected = simulate(getattr(ref, rule), w0, None, len(dws), dws=dws)
    w, config = w0, None
    for k, dw in enumerate(dws, start=1):
        what = " (zero gradient)" if not dw.any() else ""
        w, config = update(student, rule, w, dw, config, label=f"after step {k}{what}")
        check_array(w, expected[k - 1][0], name=f"w after step {k}{what}", rtol=RTOL_WEIGHTS)


# -- update rules: config (defaults and state) ---------------------------------------------------
@pytest.mark.parametrize("rule", per_rule(RULES, "_config"))
def test_defaults_are_filled_into_config_when_config_is_omitted(student, rng, rule):
    w = rng.standard_normal((3, 2))
    label = f"after step 1 (called as {rule}(w, dw), without a config)"
    with during(label):
        result = getattr(student, rule)(w, rng.standard_normal((3, 2)))
    _, config = check_tuple(result, length=2, name=f"{rule}(w, dw) ({label})")
    if not isinstance(config, dict):
        raise MismatchError(f"config {label}: {rule} returned {type(config).__name__}; return the config dict")
    for key, value in DEFAULTS[rule].items():
        check_scalar(entry(config, key, rule=rule, label=label), value, name=f"config['{key}'] {label}")


@pytest.mark.parametrize("rule", per_rule(RULES, "_config"))
def test_the_callers_hyperparameters_are_kept_and_the_others_filled_in(student, rng, rule):
    given = {k: v for i, (k, v) in enumerate(CUSTOM[rule].items()) if i % 2 == 0}
    label = f"after step 1 with config {{{describe(given)}}}"
    w = rng.standard_normal((4,))
    _, config = update(student, rule, w, rng.standard_normal((4,)), dict(given), label=label)
    for key, value in {**DEFAULTS[rule], **given}.items():
        check_scalar(entry(config, key, rule=rule, label=label), value, name=f"config['{key}'] {label}")


@pytest.mark.parametrize("rule", per_rule(VELOCITY_RULES, "_config"))
def test_velocity_is_stored_in_config_as_an_array_shaped_like_w(student, rng, rule):
    shape = (2, 5)
    config = None
    for k in range(1, 4):
        label = f"after step {k}"
        _, config = update(student, rule, rng.standard_normal(shape), rng.standard_normal(shape), config,
                           label=label)
        velocity = entry(config, "velocity", rule=rule, label=label)
        if not isinstance(velocity, np.ndarray) or velocity.shape != shape:
            got = f"shape {velocity.shape}" if isinstance(velocity, np.ndarray) else type(velocity).__name__
            raise MismatchError(f"config['velocity'] {label}: expected an array of w's shape {shape}, got {got}")


STATE_CONFIGS = {"defaults": None, "custom": CUSTOM}


@pytest.mark.parametrize("hyperparameters", sorted(STATE_CONFIGS))
@pytest.mark.parametrize("rule", per_rule(sorted(STATE), "_config"))
def test_state_in_config_after_each_step_matches_reference(student, ref, rng, rule, hyperparameters):
    """On fixed weights and gradients (so a wrong step cannot spoil the state)."""
    shape = (3, 4)
    config = None if STATE_CONFIGS[hyperparameters] is None else dict(CUSTOM[rule])
    what = "" if config is None else f" ({describe(config)})"
    ws = [rng.standard_normal(shape) for _ in range(4)]
    dws = [rng.standard_normal(shape) for _ in range(4)]
    expected = simulate(getattr(ref, rule), None, None if config is None else dict(config), 4, ws=ws, dws=dws)
    mistakes = {cause: simulate(filled(rule, fn), None, config, 4, ws=ws, dws=dws)
                for cause, fn in MISTAKES[rule].items()}
    # All four steps first (a step count's hint needs every t), then compared in order; a later step's
    # crash or missing entry is reported only if the earlier steps were right.
    stored, failure = [], None
    try:
        for k, _, state in trajectory(getattr(student, rule), rule=rule, steps=4, ws=ws, dws=dws,
                                      config=None if config is None else dict(config), label="after step {k}" + what):
            stored.append({key: entry(state, key, rule=rule, label=f"after step {k}{what}") for key in STATE[rule]})
    except AssertionError as exc:
        failure = exc
    for k in range(1, len(stored) + 1):
        label = f"after step {k}{what}"
        for key in STATE[rule]:
            got, want = stored[k - 1][key], expected[k - 1][1][key]
            if key == "t":
                check_scalar(got, want, name=f"config['t'] {label}", rtol=RTOL_STATE,
                             likely=step_count_mistakes([s["t"] for s in stored], k))
                continue
            check_array(got, want, name=f"config['{key}'] {label}", rtol=RTOL_STATE,
                        likely={cause: run[k - 1][1][key] for cause, run in mistakes.items()})
    if failure is not None:
        raise failure


def step_count_mistakes(counts, k):
    """{cause: the t after step k it predicts} for the step-count mistakes that explain every stored t
    (t after step j for j = 1..4, not just one of them): a hint is never named from one number."""
    mistakes = {
        f"t is one ahead: after step {k} it must be {k} (t = 0 before the first step, incremented at the "
        "start of each step, before the bias correction uses it)": lambda j: j + 1,
        f"t is one behind: after step {k} it must be {k}; increment it at the start of each step, before "
        "the bias correction uses it": lambda j: j - 1,
        f"t is not carried over from one step to the next: after step {k} it must be {k}; store the "
        "incremented t in config['t']": lambda j: counts[0],
    }
    numbers = all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, (bool, np.bool_))
                  for c in counts)

    def explains(predict):
        return numbers and len(counts) >= 2 and all(float(c) == predict(j) for j, c in enumerate(counts, start=1))

    return {cause: np.float64(predict(k)) for cause, predict in mistakes.items() if explains(predict)}


# -- schedules -------------------------------------------------------------------------------
def schedule_mistakes(name, base_lr, params):
    """{cause: lr(step)} of known mistakes of schedule ``name``."""
    if name == "step_decay":
        gamma = params.get("gamma", 0.1)
        return {"the decay applies from the milestone step itself on: count the milestones m with step >= m":
                lambda s: base_lr * gamma ** sum(1 for m in params["milestones"] if s > m)}
    if name in ("cosine_decay", "linear_decay"):
        total = params["total_steps"]
        shape = (lambda t: 0.5 * (1 + np.cos(np.pi * t / total))) if name == "cosine_decay" else \
            (lambda t: 1 - t / total)
        return {"after total_steps the learning rate stays at its final value, 0: use t = min(step, total_steps)":
                lambda s: base_lr * shape(s),
                "t must go from 0 to total_steps, not from 1": lambda s: base_lr * shape(min(s + 1, total))}
    if name == "inverse_sqrt_decay":
        return {"step counts from 0 and the lecture's t from 1: lr = base_lr / sqrt(step + 1)":
                lambda s: base_lr / np.sqrt(s) if s else np.inf}
    warm = params["warmup_steps"]
    return {"the warmup starts at 0 on step 0: lr = base_lr * step / warmup_steps":
            lambda s: base_lr * min(1.0, (s + 1) / warm),
            "after warmup_steps the learning rate stays at base_lr": lambda s: base_lr * s / warm}


def schedule_hint(got, steps, expected, mistakes):
    """The cause of a wrong schedule, named only when it explains every value the student returned
    and differs from the right one at two steps or more: never from one number's coincidence."""
    if not all(isinstance(g, (int, float, np.integer, np.floating)) and not isinstance(g, (bool, np.bool_))
               for g in got):
        return ""
    got = np.array(got, dtype=np.float64)
    want = np.array(expected[:len(got)], dtype=np.float64)
    for cause, f in mistakes.items():
        predicted = np.array([f(s) for s in steps[:len(got)]], dtype=np.float64)
        differs = ~np.isclose(predicted, want, rtol=RTOL_LR, atol=0.0)
        if differs.sum() >= 2 and np.allclose(got, predicted, rtol=1e-9, atol=1e-15, equal_nan=False):
            return cause
    finite = np.isfinite(got).all()
    nonzero = want != 0
    if finite and nonzero.sum() >= 2 and np.all(got[~nonzero] == 0):
        ratios = got[nonzero] / want[nonzero]
        if np.allclose(ratios, ratios[0], rtol=1e-9, atol=0.0) and abs(ratios[0] - 1) > 1e-3:
            return f"at every step checked the learning rate is {ratios[0]:.6g} times the expected one"
    return ""


def check_schedule(student, ref, name, base_lr, params, steps):
    """Every step's learning rate first, then compared in order; the first wrong one fails."""
    steps = list(steps)
    what = ", ".join([f"base_lr={base_lr:g}"] + [f"{k}={v}" for k, v in params.items()])
    got, failure = [], None
    try:
        for at in steps:
            with during(f"lr at step {at} ({what})"):
                got.append(getattr(student, name)(at, base_lr, **params))
    except AssertionError as exc:
        failure = exc
    expected = [getattr(ref, name)(at, base_lr, **params) for at in steps]
    for at, lr, want in zip(steps, got, expected):
        label = f"lr at step {at} ({what})"
        try:
            check_scalar(lr, want, name=label, rtol=RTOL_LR)
        except MismatchError as exc:
            # check_scalar's own hint reads one number (a "2x too large" of one step): replaced by
            # one that holds at every step.
            message = str(exc).split("\n    likely cause:")[0]
            hint = schedule_hint(got, steps, expected, schedule_mistakes(name, base_lr, params))
            raise MismatchError(message + (f"\n    likely cause: {hint}" if hint else "")) from None
    if failure is not None:
        raise failure


def random_base_lr(rng):
    return float(np.round(rng.uniform(0.01, 1.0), 4))


@pytest.mark.item("step_decay")
def test_step_decay_around_random_milestones(student, ref, rng):
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, 40), size=3, replace=False))
    params = {"milestones": milestones, "gamma": float(np.round(rng.uniform(0.2, 0.7), 3))}
    check_schedule(student, ref, "step_decay", random_base_lr(rng), params, range(milestones[-1] + 4))


@pytest.mark.item("step_decay")
def test_step_decay_with_the_lectures_milestones_and_the_default_gamma(student, ref, rng):
    steps = [0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 91, 150]
    check_schedule(student, ref, "step_decay", random_base_lr(rng), {"milestones": [30, 60, 90]}, steps)


@pytest.mark.item("step_decay")
def test_step_decay_with_a_milestone_at_step_0(student, ref, rng):
    check_schedule(student, ref, "step_decay", random_base_lr(rng), {"milestones": [0, 3], "gamma": 0.5}, range(6))


DECAYS = [pytest.param(name, marks=pytest.mark.item(name), id=name) for name in ("cosine_decay", "linear_decay")]


@pytest.mark.parametrize("name", DECAYS)
def test_decay_over_random_total_steps_and_after_them(student, ref, rng, name):
    total = int(rng.integers(5, 40))
    check_schedule(student, ref, name, random_base_lr(rng), {"total_steps": total}, range(total + 5))


@pytest.mark.parametrize("name", DECAYS)
def test_decay_over_a_single_step(student, ref, rng, name):
    check_schedule(student, ref, name, random_base_lr(rng), {"total_steps": 1}, range(4))


@pytest.mark.item("inverse_sqrt_decay")
def test_inverse_sqrt_decay_from_step_0(student, ref, rng):
    check_schedule(student, ref, "inverse_sqrt_decay", random_base_lr(rng), {}, [*range(30), 99, 9999, 123456])


@pytest.mark.item("linear_warmup")
def test_linear_warmup_over_random_warmup_steps_and_after_them(student, ref, rng):
    warm = int(rng.integers(3, 30))
    check_schedule(student, ref, "linear_warmup", random_base_lr(rng), {"warmup_steps": warm}, range(warm + 5))


@pytest.mark.item("linear_warmup")
def test_linear_warmup_of_a_single_step(student, ref, rng):
    check_schedule(student, ref, "linear_warmup", random_base_lr(rng), {"warmup_steps": 1}, range(4))


# -- no rule modifies w or dw -------------------------------------------------------------------
@pytest.mark.item("inputs_unchanged")
def test_no_update_rule_modifies_w_or_dw(student, rng):
    """Judges the rules that return: one that raises or hangs loses its own items, not this one too.
    Every mutation found is reported, naming the rule, the step and the argument."""
    log = MutationLog(unreadable_fails=False)
    for rule in RULES:
        config = None
        for k in range(1, 3):
            w, dw = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
            result = log.call(student, rule, args=(w, dw, config), labels=("w", "dw"), name=f"{rule} (step {k})")
            if not log.returned or log.found:
                break  # a crash, a timeout or a missing function (the rule's own items say so), or a mutation
            if isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], dict):
                config = result[1]
            else:
                config = None
    if log.mutations:
        raise MismatchError("\n".join(log.mutations))
    if not log.judged:
        raise MismatchError("no update rule returned, so none could be checked for modifying w or dw")
