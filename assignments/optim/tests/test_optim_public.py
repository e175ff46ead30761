"""Public tests of the `optim` assignment: a few steps you can work out by hand.

Run them with `grade local` in the assignment folder. Passing them does not
mean full marks: hidden tests run more steps, on random shapes and values, with
gradients that change every step and hyperparameters of their own.

Every update rule is called the way a training loop calls it: the config it
returns is passed back on the next step, starting from no config at all.
"""

import math

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError


def run(student, rule, w, gradients, config=None):
    """[(w, config) after step 1, 2, ...]: one step per gradient, the config passed back."""
    out = []
    for k, dw in enumerate(gradients, start=1):
        w, config = check_tuple(getattr(student, rule)(w, dw, config), length=2,
                                name=f"{rule}(w, dw, config) at step {k}")
        if not isinstance(config, dict):
            raise MismatchError(f"config after step {k}: {rule} must return the config dict as its second value")
        out.append((w, config))
    return out


# Why 1e-6, as in the hidden tests: two correct programs differ here by < 1e-13 relative (operation
# order, float64); the mistakes these tests catch change the weights by > 1e-3 relative.
RTOL = 1e-6


def _close(w, want):
    w = np.asarray(w) if isinstance(w, np.ndarray) else None
    return w is not None and w.shape == np.shape(want) and np.allclose(w, want, rtol=RTOL, atol=0.0)


def check_weights(steps, expected, *, also=None, likely=None):
    """The weights after each step match ``expected`` (or, at every step, one of the other accepted
    forms in ``also``: {form: weights per step}). A known mistake is named only if it explains the
    weights of every step, not one number."""
    forms = {"": expected, **(also or {})}
    got = [w for w, _ in steps]
    if any(all(_close(w, want) for w, want in zip(got, run)) for run in forms.values()):
        return
    hint = next((cause for cause, run in (likely or {}).items()
                 if all(_close(w, want) for w, want in zip(got, run))), "")
    for k, (w, want) in enumerate(zip(got, expected), start=1):
        try:
            check_array(w, np.array(want), name=f"w after step {k}", rtol=RTOL)
        except MismatchError as exc:
            message = str(exc).split("\n    likely cause:")[0]
            raise MismatchError(message + (f"\n    likely cause: {hint}" if hint else "")) from None
    raise MismatchError("the weights follow no accepted form over all the steps")


def stored(config, key, k):
    if key not in config:
        raise MismatchError(f"config['{key}'] after step {k}: missing from the config the rule returned")
    return config[key]


# -- defaults are written into config -------------------------------------------------------
DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adadelta": {"learning_rate": 1.0, "decay_rate": 0.95, "epsilon": 1e-6},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}


@pytest.mark.parametrize("rule", [pytest.param(r, marks=pytest.mark.item(f"{r}_config"), id=r) for r in DEFAULTS])
def test_the_first_call_without_a_config_fills_in_the_defaults(student, rule):
    (_, config), = run(student, rule, np.ones(3), [np.ones(3)])
    for key, value in DEFAULTS[rule].items():
        check_scalar(stored(config, key, 1), value, name=f"config['{key}'] after step 1")


# -- sgd ------------------------------------------------------------------------------------
@pytest.mark.item("sgd")
def test_sgd_two_steps_with_the_default_learning_rate(student):
    steps = run(student, "sgd", np.array([1.0, -2.0, 0.5]), [np.array([10.0, -10.0, 0.0]), np.array([5.0, 0.0, -1.0])])
    check_weights(steps, [[0.9, -1.9, 0.5], [0.85, -1.9, 0.51]])  # w - 0.01 * dw


@pytest.mark.item("sgd")
def test_sgd_uses_the_callers_learning_rate(student):
    steps = run(student, "sgd", np.array([1.0, 1.0]), [np.array([1.0, -2.0])], config={"learning_rate": 0.5})
    check_weights(steps, [[0.5, 2.0]])


# -- momentum: the same three gradients for both rules; the last one is zero -------------------
MOMENTUM = {"learning_rate": 0.1, "momentum": 0.5}
W0 = np.array([1.0, 1.0])
GRADIENTS = [np.array([1.0, -1.0]), np.array([1.0, 1.0]), np.array([0.0, 0.0])]


# The hint of the hidden tests, word for word.
VELOCITY_NOT_STORED = ("the velocity is not carried over from one step to the next: store the new velocity in "
                       "config['velocity'] and read it back on the next call")


@pytest.mark.item("sgd_momentum")
def test_sgd_momentum_three_steps_keeps_moving_when_the_gradient_is_zero(student):
    # The velocity (a running sum of 1, 0.5 times the previous one plus dw) is [1, -1], [1.5, 0.5],
    # [0.75, 0.25]; each step moves w by 0.1 times it. A velocity that is never stored back makes
    # every step a plain SGD step, 0.1 * dw: [0.9, 1.1], [0.8, 1.0], [0.8, 1.0].
    steps = run(student, "sgd_momentum", W0, GRADIENTS, config=dict(MOMENTUM))
    check_weights(steps, [[0.9, 1.1], [0.75, 1.05], [0.675, 1.025]],
                  likely={VELOCITY_NOT_STORED: [[0.9, 1.1], [0.8, 1.0], [0.8, 1.0]]})


@pytest.mark.item("nesterov_momentum")
def test_nesterov_momentum_three_steps_looks_ahead(student):
    # Velocity as above; each step is 0.1 * (dw + 0.5 * the new velocity): [0.15, -0.15], [0.175, 0.125],
    # [0.0375, 0.0125]. Never storing the velocity makes every step 0.15 * dw.
    steps = run(student, "nesterov_momentum", W0, GRADIENTS, config=dict(MOMENTUM))
    check_weights(steps, [[0.85, 1.15], [0.675, 1.025], [0.6375, 1.0125]],
                  likely={VELOCITY_NOT_STORED: [[0.85, 1.15], [0.7, 1.0], [0.7, 1.0]]})


# -- adagrad, rmsprop, adadelta ------------------------------------------------------------
# epsilon's effect (about 1e-9 relative here) is far below the tolerance (1e-6).
@pytest.mark.item("adagrad")
def test_adagrad_two_steps(student):
    # cache = [9, 16, 0], then [25, 25, 0]; steps 0.1 * dw / sqrt(cache)
    steps = run(student, "adagrad", np.ones(3), [np.array([3.0, -4.0, 0.0]), np.array([4.0, 3.0, 0.0])],
                config={"learning_rate": 0.1})
    check_weights(steps, [[0.9, 1.1, 1.0], [0.82, 1.04, 1.0]])


@pytest.mark.item("adagrad_config")
def test_adagrad_cache_sums_the_squared_gradients(student):
    steps = run(student, "adagrad", np.ones(3), [np.array([3.0, -4.0, 0.0]), np.array([4.0, 3.0, 0.0])])
    for k, ((_, config), want) in enumerate(zip(steps, [[9.0, 16.0, 0.0], [25.0, 25.0, 0.0]]), start=1):
        check_array(stored(config, "cache", k), np.array(want), name=f"config['cache'] after step {k}")


@pytest.mark.item("rmsprop")
def test_rmsprop_two_steps_with_a_constant_gradient(student):
    # cache = 0.01 dw**2, then 0.0199 dw**2; each step is 0.01 * sign(dw) / sqrt(cache / dw**2)
    steps = run(student, "rmsprop", np.ones(2), [np.array([1.0, -2.0])] * 2)
    second = 0.01 / math.sqrt(0.0199)
    check_weights(steps, [[0.9, 1.1], [0.9 - second, 1.1 + second]])


@pytest.mark.item("rmsprop_config")
def test_rmsprop_cache_is_a_decaying_average_of_squared_gradients(student):
    steps = run(student, "rmsprop", np.ones(2), [np.array([1.0, -2.0])] * 2)
    for k, ((_, config), want) in enumerate(zip(steps, [[0.01, 0.04], [0.0199, 0.0796]]), start=1):
        check_array(stored(config, "cache", k), np.array(want), name=f"config['cache'] after step {k}")


ADADELTA = {"decay_rate": 0.5, "epsilon": 0.01}


@pytest.mark.item("adadelta")
def test_adadelta_one_step(student):
    # cache = 0.5 * 0.16 = 0.08; delta = -sqrt(0 + 0.01) / sqrt(0.08 + 0.01) * dw = -dw / 3
    steps = run(student, "adadelta", np.ones(3), [np.array([0.4, -0.4, 0.0])], config=dict(ADADELTA))
    check_weights(steps, [[1 - 0.4 / 3, 1 + 0.4 / 3, 1.0]])


@pytest.mark.item("adadelta_config")
def test_adadelta_caches_after_one_step(student):
    (_, config), = run(student, "adadelta", np.ones(3), [np.array([0.4, -0.4, 0.0])], config=dict(ADADELTA))
    check_array(stored(config, "cache", 1), np.array([0.08, 0.08, 0.0]), name="config['cache'] after step 1")
    delta_sq = (0.4 / 3) ** 2
    check_array(stored(config, "delta_cache", 1), np.array([0.5 * delta_sq, 0.5 * delta_sq, 0.0]),
                name="config['delta_cache'] after step 1")


# -- adam: with a constant gradient the bias-corrected moments are exactly dw and dw**2 -------
# so every step moves w by lr * dw / (|dw| + epsilon). Kingma & Ba's alpha_t form (also accepted)
# moves it by lr * dw / (|dw| + epsilon / sqrt(1 - beta2**k)) at step k; epsilon inside the root,
# a mistake, by lr * dw / sqrt(dw**2 + epsilon).
ADAM_DW = np.array([2.0, -0.5, 0.25])
# The hint of the hidden tests, word for word.
ADAM_EPS_INSIDE = ("epsilon was added inside the square root, sqrt(v_hat + epsilon); this assignment adds it "
                   "outside: m_hat / (sqrt(v_hat) + epsilon)")


def adam_constant_gradient(lr, epsilon, beta2=0.999, steps=3):
    """{form: weights after steps 1..steps} from w = 0, for ADAM_DW at every step."""
    g, forms = ADAM_DW, {"": [], "alpha_t": [], "inside": []}
    for k in range(1, steps + 1):
        forms[""].append(-k * lr * g / (np.abs(g) + epsilon))
        forms["alpha_t"].append(-sum(lr * g / (np.abs(g) + epsilon / math.sqrt(1 - beta2**j)) for j in range(1, k + 1)))
        forms["inside"].append(-k * lr * g / np.sqrt(g * g + epsilon))
    return forms


@pytest.mark.item("adam")
def test_adam_with_a_constant_gradient_moves_every_weight_by_the_learning_rate_each_step(student):
    forms = adam_constant_gradient(1e-3, 1e-8)
    steps = run(student, "adam", np.zeros(3), [ADAM_DW] * 3)
    check_weights(steps, forms[""], also={"alpha_t": forms["alpha_t"]})


@pytest.mark.item("adam")
def test_adam_with_a_large_epsilon_adds_it_outside_the_square_root(student):
    forms = adam_constant_gradient(0.1, 0.25)
    steps = run(student, "adam", np.zeros(3), [ADAM_DW] * 3, config={"learning_rate": 0.1, "epsilon": 0.25})
    check_weights(steps, forms[""], also={"alpha_t": forms["alpha_t"]}, likely={ADAM_EPS_INSIDE: forms["inside"]})


@pytest.mark.item("adam_config")
def test_adam_stores_the_raw_moments_and_the_step_count(student):
    steps = run(student, "adam", np.zeros(3), [ADAM_DW] * 3)
    for k, (_, config) in enumerate(steps, start=1):
        check_scalar(stored(config, "t", k), k, name=f"config['t'] after step {k}")
        check_array(stored(config, "m", k), (1 - 0.9**k) * ADAM_DW, name=f"config['m'] after step {k}")
        check_array(stored(config, "v", k), (1 - 0.999**k) * ADAM_DW**2, name=f"config['v'] after step {k}")


# -- schedules: lr = schedule(step, base_lr, **params), step counted from 0 -----------------
def check_lrs(student, name, params, expected):
    for step, want in enumerate(expected):
        check_scalar(getattr(student, name)(step, 1.0, **params), want, name=f"lr at step {step}")


@pytest.mark.item("step_decay")
def test_step_decay_halves_at_steps_2_and_4(student):
    check_lrs(student, "step_decay", {"milestones": [2, 4], "gamma": 0.5}, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25])


@pytest.mark.item("step_decay")
def test_step_decay_default_gamma_is_a_tenth(student):
    check_lrs(student, "step_decay", {"milestones": [1]}, [1.0, 0.1, 0.1])


@pytest.mark.item("cosine_decay")
def test_cosine_decay_over_4_steps_then_zero(student):
    half = math.sqrt(0.5) / 2  # cos(pi / 4) / 2
    check_lrs(student, "cosine_decay", {"total_steps": 4}, [1.0, 0.5 + half, 0.5, 0.5 - half, 0.0, 0.0])


@pytest.mark.item("linear_decay")
def test_linear_decay_over_4_steps_then_zero(student):
    check_lrs(student, "linear_decay", {"total_steps": 4}, [1.0, 0.75, 0.5, 0.25, 0.0, 0.0])


@pytest.mark.item("inverse_sqrt_decay")
def test_inverse_sqrt_decay_at_steps_0_to_8(student):
    check_lrs(student, "inverse_sqrt_decay", {}, [1 / math.sqrt(t) for t in range(1, 10)])  # t = step + 1


@pytest.mark.item("linear_warmup")
def test_linear_warmup_over_4_steps_then_flat(student):
    check_lrs(student, "linear_warmup", {"warmup_steps": 4}, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


# -- no rule modifies w or dw ---------------------------------------------------------------
@pytest.mark.item("inputs_unchanged")
def test_no_update_rule_modifies_w_or_dw_small_example(student):
    # Only the rules that return are judged: one that raises loses its own items, not this one.
    mutated, judged = [], 0
    for rule in DEFAULTS:
        w, dw = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.5, -1.0])
        try:
            _, after = getattr(student, rule).with_args(w, dw)
        except StudentCodeError:
            continue
        judged += 1
        for position, before in enumerate((w, dw)):
            try:
                check_unchanged(before, after[position], name=f"{rule}: {('w', 'dw')[position]}")
            except MismatchError as exc:
                mutated.append(str(exc))
    if mutated:
        raise MismatchError("\n".join(mutated))
    if not judged:
        raise MismatchError("no update rule returned, so none could be checked for modifying w or dw")
