"""Public tests of the `mlp` assignment: small cases you can work out by hand, and short
training runs judged by your own network's accuracy.

Run them with `grade local` in the assignment folder, with your layers.py and optim.py
beside mlp.py. Passing them does not mean full marks: the hidden tests compare with a
reference solution on random networks, check every gradient numerically, and judge
training runs on held-out data your code never sees.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from grader.comparison import check_array, check_scalar, check_tuple, check_unchanged
from grader.failure import MismatchError, StudentCodeError

# The hints of the classic mistakes, word for word those of the hidden tests (which use other
# inputs and check more). A hint is named only when the mistake explains every input checked.
HINT_PROBABILITIES = ("these are softmax probabilities: without y, mlp_loss returns the raw scores of the last "
                      "affine layer")
HINT_LAST_ACTIVATION = ("the activation was applied after the last layer too: the scores come straight from the "
                        "last affine layer")
HINT_SUMMED = "the loss is summed over the batch: the softmax loss is the mean over the N examples"
HINT_BIASES_PENALIZED = "the biases are penalized too: the L2 penalty is reg * sum of the squared weights only"
HINT_HALF = "the penalty has a factor 1/2: the handout's is reg * sum W**2 (as in the losses assignment)"
HINT_NO_PENALTY = "the penalty is missing from the loss"
HINT_LAST_NOT_PENALIZED = ("the last layer's weights are not penalized: the penalty sums the squares of every "
                           "weight matrix, W1 to WL")
HINT_GRAD_MISSING_2 = ("dW is missing the factor 2 of the penalty's gradient: d(reg * sum W**2)/dW = "
                       "2 * reg * W")
HINT_GRAD_LAST = ("the last layer's dW got no penalty gradient: every W_l, the last one included, gets "
                  "2 * reg * W_l")
HINT_GRAD_BIASES = "the biases got a penalty gradient: only the weights are penalized, so db has no reg term"
HINT_NO_UPDATE = "the parameters did not change: apply the update rule's result (next_w) to params"


def _load_mlp_data():
    path = Path(__file__).resolve().parents[1] / "mlp_data.py"
    spec = importlib.util.spec_from_file_location("_mlp_public_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mlp_data = _load_mlp_data()


def loss_and_grads(student, params, X, y, **kwargs):
    loss, grads = check_tuple(student.mlp_loss(params, X, y, **kwargs), length=2, name="mlp_loss(params, X, y)")
    if not isinstance(grads, dict) or set(grads) != set(params):
        raise MismatchError(f"grads: expected a dict with the keys {sorted(params)}")
    return loss, grads


def zeros(*dims):
    """All-zero parameters of a network with layer sizes ``dims``."""
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = np.zeros((dims[layer - 1], dims[layer]))
        params[f"b{layer}"] = np.zeros(dims[layer])
    return params


def softmax(scores):
    """Row-wise probabilities (for the hint that recognises them)."""
    exps = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)


def check_numbers_confirmed(cases):
    """(got, expected, name, {hint: wrong value}) for two or more inputs: each is checked, and a
    hint is named only if the result matches it on every input (never from one coincidence)."""
    confirmed = None
    for got, _, _, likely in cases:
        ok = isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, (bool, np.bool_))
        matched = {h for h, wrong in likely.items() if ok and np.isclose(float(got), wrong, rtol=1e-5, atol=0.0)}
        confirmed = matched if confirmed is None else confirmed & matched
    for got, expected, name, likely in cases:
        check_scalar(got, expected, name=name, likely={h: w for h, w in likely.items() if h in confirmed})


def own_accuracy(student, params, X, y):
    """Accuracy of params on (X, y), by your own mlp_loss (the hidden tests use the reference's)."""
    scores = student.mlp_loss(params, X)
    if not isinstance(scores, np.ndarray) or scores.shape[0] != len(y):
        raise MismatchError("mlp_loss(params, X): expected scores of shape (N, C)")
    return float(np.mean(np.argmax(scores, axis=1) == y))


def trained(student, *args, **kwargs):
    with student.time_limit(10):
        best, history = check_tuple(student.train(*args, **kwargs), length=2, name="train(...)")
    if not isinstance(best, dict) or not isinstance(history, dict):
        raise MismatchError("train: expected (best_params, history), two dicts")
    return best, history


# -- init_params ----------------------------------------------------------------------------------
@pytest.mark.item("init_params")
def test_init_params_draws_w1_then_w2_from_one_seeded_generator(student):
    params = student.init_params([3], 4, 2, weight_scale=0.01, seed=0)
    rng = np.random.default_rng(0)
    expected = {"W1": 0.01 * rng.standard_normal((4, 3)), "b1": np.zeros(3),
                "W2": 0.01 * rng.standard_normal((3, 2)), "b2": np.zeros(2)}
    if not isinstance(params, dict) or set(params) != set(expected):
        raise MismatchError(f"init_params: expected a dict with the keys {sorted(expected)}")
    for key in expected:
        check_array(params[key], expected[key], name=key)


# -- a hand-computed ReLU network: X (2, 2), one hidden layer of 2 units, 3 classes ---------------
X_HAND = np.array([[1.0, 2.0], [-1.0, 0.5]])
PARAMS_HAND = {"W1": np.array([[1.0, -1.0], [0.5, 1.0]]), "b1": np.array([0.0, -0.5]),
               "W2": np.array([[1.0, -1.0, 0.0], [2.0, 0.0, 1.0]]), "b2": np.array([0.1, 0.2, 0.3])}
# a1 = [[2, 0.5], [-0.75, 1]]; relu: [[2, 0.5], [0, 1]]
SCORES_HAND = np.array([[3.1, -1.8, 0.8], [2.1, 0.2, 1.3]])


@pytest.mark.item("scores")
def test_scores_of_a_small_relu_network(student):
    check_array(student.mlp_loss(PARAMS_HAND, X_HAND), SCORES_HAND, name="scores", likely={
        HINT_PROBABILITIES: softmax(SCORES_HAND), HINT_LAST_ACTIVATION: np.maximum(SCORES_HAND, 0.0)})


@pytest.mark.item("loss")
def test_loss_of_a_small_relu_network_on_one_and_two_examples(student):
    cases = []
    for rows, y in (([0, 1], np.array([0, 2])), ([0, 1, 1], np.array([1, 2, 0]))):
        loss, _ = loss_and_grads(student, PARAMS_HAND, X_HAND[rows], y)
        scores = SCORES_HAND[rows]
        each = np.log(np.exp(scores).sum(axis=1)) - scores[np.arange(len(y)), y]
        cases.append((loss, float(each.mean()), f"loss (N = {len(y)})", {HINT_SUMMED: float(each.sum())}))
    check_numbers_confirmed(cases)


@pytest.mark.item("loss")
def test_loss_of_zero_parameters_is_log_of_the_class_count(student):
    loss, _ = loss_and_grads(student, zeros(3, 5, 4), np.ones((6, 3)), np.array([0, 1, 2, 3, 0, 1]))
    check_scalar(loss, math.log(4), name="loss")


@pytest.mark.item("gradients")
def test_gradients_of_zero_parameters(student):
    # h = relu(0) = 0, so only b2 gets a gradient: mean over the batch of (1/C - one_hot(y)).
    y = np.array([0, 0, 1, 2])
    _, grads = loss_and_grads(student, zeros(2, 3, 3), np.ones((4, 2)), y)
    check_array(grads["b2"], np.array([-1 / 6, 1 / 12, 1 / 12]), name="grads['b2']", batch_size=4)
    for key in ("W1", "b1", "W2"):
        check_array(grads[key], np.zeros_like(zeros(2, 3, 3)[key]), name=f"grads[{key!r}]")


# The gradients of the hand network above for y = [0, 2] (to 12 decimals). Its pre-activations
# are at least 0.5 away from ReLU's kink, so central differences of the loss agree with them.
GRADS_HAND = {
    "W1": np.array([[-0.051977722181, -0.3179207662], [-0.103955444362, 0.029016077648]]),
    "b1": np.array([-0.051977722181, 0.213965321838]),
    "W2": np.array([[-0.097232914264, 0.006722530098, 0.090510384167],
                    [0.288407235645, 0.048453052716, -0.336860288361]]),
    "b2": np.array([0.264099007079, 0.05013368524, -0.314232692319]),
}


@pytest.mark.item("gradients")
def test_gradients_of_a_small_relu_network(student):
    _, grads = loss_and_grads(student, PARAMS_HAND, X_HAND, np.array([0, 2]))
    for key in ("W2", "b2", "W1", "b1"):
        check_array(grads[key], GRADS_HAND[key], name=f"grads[{key!r}]", batch_size=2)


# -- L2: what reg adds to your own loss and gradients, on two networks with nonzero biases ------------
L2_NETWORKS = [
    ({"W1": np.array([[1.0, 2.0], [0.0, -1.0]]), "b1": np.array([0.5, -0.5]),
      "W2": np.array([[0.5, -1.0, 1.0], [2.0, 0.0, -0.5]]), "b2": np.array([1.0, 0.0, -2.0])},
     np.array([[1.0, 1.0], [2.0, -1.0]]), np.array([0, 2])),
    ({"W1": np.array([[0.5, -1.5, 1.0]]), "b1": np.array([1.0, 0.25, -1.0]),
      "W2": np.array([[1.0, 0.5], [-1.0, 3.0], [0.0, 1.5]]), "b2": np.array([-0.5, 2.0])},
     np.array([[1.0], [-2.0], [0.5]]), np.array([1, 0, 1])),
]


@pytest.mark.item("l2_loss")
def test_l2_penalty_is_reg_times_sum_of_squared_weights(student):
    reg, cases = 0.1, []
    for params, X, y in L2_NETWORKS:
        with_reg, _ = loss_and_grads(student, params, X, y, reg=reg)
        without, _ = loss_and_grads(student, params, X, y, reg=0.0)
        if not all(isinstance(v, (int, float, np.integer, np.floating)) for v in (with_reg, without)):
            raise MismatchError("loss: expected a number")
        squares = {k: float(np.sum(v ** 2)) for k, v in params.items()}
        weights = squares["W1"] + squares["W2"]
        cases.append((float(with_reg) - float(without), reg * weights, "loss(reg = 0.1) - loss(reg = 0)", {
            HINT_BIASES_PENALIZED: reg * (weights + squares["b1"] + squares["b2"]),
            HINT_HALF: 0.5 * reg * weights, HINT_NO_PENALTY: 0.0, HINT_LAST_NOT_PENALIZED: reg * squares["W1"]}))
    check_numbers_confirmed(cases)


@pytest.mark.item("l2_gradients")
def test_l2_penalty_gradient_is_two_reg_w_and_nothing_on_biases(student):
    reg = 0.1
    for params, X, y in L2_NETWORKS:
        _, with_reg = loss_and_grads(student, params, X, y, reg=reg)
        _, without = loss_and_grads(student, params, X, y, reg=0.0)
        for key in ("W1", "W2", "b1", "b2"):
            if not isinstance(with_reg[key], np.ndarray) or not isinstance(without[key], np.ndarray) \
                    or with_reg[key].shape != params[key].shape or without[key].shape != params[key].shape:
                raise MismatchError(f"grads[{key!r}]: expected an array of shape {params[key].shape}")
            added = with_reg[key] - without[key]
            if key.startswith("W"):
                likely = {HINT_GRAD_MISSING_2: reg * params[key]}
                if key == "W2":
                    likely[HINT_GRAD_LAST] = np.zeros_like(params[key])
                check_array(added, 2 * reg * params[key], name=f"grads[{key!r}](reg = 0.1) - grads[{key!r}](reg = 0)",
                            likely=likely)
            else:
                check_array(added, np.zeros_like(params[key]), name=f"grads[{key!r}](reg = 0.1) - grads[{key!r}](reg = 0)",
                            likely={HINT_GRAD_BIASES: 2 * reg * params[key]})


# -- sigmoid and tanh ------------------------------------------------------------------------------
@pytest.mark.item("activation_scores")
def test_sigmoid_and_tanh_of_zero_first_layer(student):
    params = {"W1": np.zeros((3, 2)), "b1": np.zeros(2), "W2": np.array([[1.0, 2.0], [3.0, 4.0]]),
              "b2": np.array([0.0, 1.0])}
    X = np.ones((2, 3))
    # sigmoid(0) = 0.5: scores = 0.5 * (column sums of W2) + b2; tanh(0) = 0: scores = b2
    check_array(student.mlp_loss(params, X, activation="sigmoid"), np.array([[2.0, 4.0], [2.0, 4.0]]),
                name="scores (sigmoid)")
    check_array(student.mlp_loss(params, X, activation="tanh"), np.array([[0.0, 1.0], [0.0, 1.0]]),
                name="scores (tanh)")


# A network with 3 inputs, 2 hidden units and 2 classes, on 3 examples with y = [0, 1, 1]
ACTIVATION_PARAMS = {"W1": np.array([[0.5, -1.0], [1.0, 0.5], [-0.5, 0.25]]), "b1": np.array([0.1, -0.2]),
                     "W2": np.array([[1.0, -1.0], [0.5, 2.0]]), "b2": np.array([0.0, 0.5])}
ACTIVATION_X = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0], [-1.0, 1.0, 0.0]])
ACTIVATION_GRADS = {
    "sigmoid": {"W1": np.array([[-0.080427120531, 0.026300588332], [0.150718580662, -0.165995648431],
                                [0.085543333589, -0.091254704641]]),
                "b1": np.array([0.065175247073, -0.07474094379]),
                "W2": np.array([[0.168741692384, -0.168741692384], [0.205352563614, -0.205352563614]]),
                "b2": np.array([0.214925351956, -0.214925351956])},
    "tanh": {"W1": np.array([[-0.153942609134, -0.073141120965], [0.238047988103, -0.53505750775],
                             [0.060408520681, -0.254330278075]]),
             "b1": np.array([0.177639467421, -0.280727229675]),
             "W2": np.array([[0.245994259422, -0.245994259422], [0.227691152571, -0.227691152571]]),
             "b2": np.array([0.301836287993, -0.301836287993])},
}


@pytest.mark.item("activation_gradients")
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_gradients_of_small_sigmoid_and_tanh_networks(student, activation):
    _, grads = loss_and_grads(student, ACTIVATION_PARAMS, ACTIVATION_X, np.array([0, 1, 1]), activation=activation)
    for key in ("W2", "b2", "W1", "b1"):
        check_array(grads[key], ACTIVATION_GRADS[activation][key], name=f"grads[{key!r}] ({activation})",
                    batch_size=3)


# -- train ---------------------------------------------------------------------------------------------
def blobs(seed, *, sort=False):
    """4 well separated blobs in 2-D: train (sorted by class if ``sort``), validation, test."""
    rng = np.random.default_rng(seed)
    centers = [[6.0, 0.0], [0.0, 6.0], [-6.0, 0.0], [0.0, -6.0]]
    X, y = mlp_data.make_blobs(rng, 100, centers)
    if not sort:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return (X, y), mlp_data.make_blobs(rng, 50, centers), mlp_data.make_blobs(rng, 100, centers)


@pytest.mark.item("train_step")
def test_one_step_from_zero_parameters_moves_only_the_last_bias(student):
    # Full batch (batch_size = N), one epoch: one SGD step. As above, only b2 has a gradient.
    X, y = np.ones((4, 2)), np.array([0, 0, 1, 2])
    best, _ = trained(student, zeros(2, 3, 3), X, y, X, y, update_rule="sgd",
                      optim_config={"learning_rate": 1.0}, num_epochs=1, batch_size=4)
    check_array(best.get("b2"), np.array([1 / 6, -1 / 12, -1 / 12]), name="b2 after one step",
                likely={HINT_NO_UPDATE: np.zeros(3)})
    check_array(best.get("W2"), np.zeros((3, 3)), name="W2 after one step")


@pytest.mark.item("update_rules")
def test_momentum_keeps_one_state_per_parameter(student):
    (X, y), (X_val, y_val), _ = blobs(1)
    params = student.init_params([5], 2, 4, weight_scale=0.1, seed=1)
    best, _ = trained(student, params, X, y, X_val, y_val, update_rule="sgd_momentum",
                      optim_config={"learning_rate": 0.05, "momentum": 0.9}, num_epochs=3, batch_size=50)
    accuracy = own_accuracy(student, best, X, y)
    if accuracy < 0.9:
        raise MismatchError(f"after 3 epochs of sgd_momentum the network classifies {accuracy:.1%} of its "
                            "training points correctly (90 % expected): does each parameter keep its own config?")


@pytest.mark.item("lr_schedule")
def test_step_decay_is_applied_per_epoch(student):
    (X, y), (X_val, y_val), _ = blobs(2)
    params = student.init_params([5], 2, 4, weight_scale=0.1, seed=2)
    _, history = trained(student, params, X, y, X_val, y_val, update_rule="sgd",
                         optim_config={"learning_rate": 0.4}, num_epochs=5, batch_size=100,
                         lr_schedule={"name": "step_decay", "milestones": [2, 4], "gamma": 0.5})
    check_array(np.array(history.get("lr", []), dtype=np.float64), np.array([0.4, 0.4, 0.2, 0.2, 0.1]),
                name="history['lr'] (the learning rate of each epoch)")


HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")


@pytest.mark.item("history")
def test_history_has_one_entry_per_epoch(student):
    (X, y), (X_val, y_val), _ = blobs(3)
    params = student.init_params([5], 2, 4, weight_scale=0.1, seed=3)
    _, history = trained(student, params, X, y, X_val, y_val, optim_config={"learning_rate": 0.5},
                         num_epochs=4, batch_size=40)
    for key in HISTORY_KEYS:
        if len(history.get(key, ())) != 4:
            raise MismatchError(f"history[{key!r}]: expected a list of 4 numbers, one per epoch")
    best_epoch = history.get("best_epoch")
    if isinstance(best_epoch, bool) or not isinstance(best_epoch, (int, np.integer)) or not 0 <= best_epoch < 4:
        raise MismatchError("history['best_epoch']: expected an int from 0 to 3")


@pytest.mark.item("best_params")
def test_returned_parameters_have_the_best_reported_validation_accuracy(student):
    (X, y), (X_val, y_val), _ = blobs(4)
    X_val = X_val + np.random.default_rng(4).normal(0.0, 3.0, size=X_val.shape)  # harder: accuracy varies
    params = student.init_params([8], 2, 4, weight_scale=0.1, seed=4)
    best, history = trained(student, params, X, y, X_val, y_val, optim_config={"learning_rate": 0.3},
                            num_epochs=6, batch_size=40, seed=4)
    measured = own_accuracy(student, best, X_val, y_val)
    if not np.isclose(measured, max(history.get("val_acc") or [-1.0])):
        raise MismatchError(f"the returned parameters have a validation accuracy of {measured:.3f}, but the "
                            f"best val_acc in the history is {max(history.get('val_acc') or [-1.0]):.3f}")


@pytest.mark.item("shuffling")
def test_data_sorted_by_class_still_trains(student):
    (X, y), (X_val, y_val), (X_test, y_test) = blobs(5, sort=True)
    params = student.init_params([32], 2, 4, weight_scale=0.1, seed=5)
    best, _ = trained(student, params, X, y, X_val, y_val, optim_config={"learning_rate": 0.7},
                      num_epochs=10, batch_size=20, seed=5)
    accuracy = own_accuracy(student, best, X_test, y_test)
    if accuracy < 0.9 and all(np.array_equal(best.get(key), params[key]) for key in params):
        raise MismatchError("the returned parameters are the initial ones: the updates never reached params, "
                            "so shuffling cannot be judged")
    if accuracy < 0.9:
        raise MismatchError(f"trained on data sorted by class, the network classifies {accuracy:.1%} of new "
                            "points correctly (90 % expected): shuffle the training set every epoch")


@pytest.mark.item("determinism")
def test_same_seed_gives_the_same_parameters_and_no_function_modifies_its_arguments(student):
    # Judges the functions that return: one that raises or hangs loses its own items, not this one.
    (X, y), (X_val, y_val), _ = blobs(6)
    params = {"W1": np.linspace(-1.0, 1.0, 10).reshape(2, 5), "b1": np.full(5, 0.1),
              "W2": np.linspace(1.0, -1.0, 20).reshape(5, 4), "b2": np.zeros(4)}
    judged, skipped = [], []

    def unchanged(name, labels, arguments, after):
        for label, before, now in zip(labels, arguments, after):
            if isinstance(before, dict):
                for key in sorted(before):
                    check_unchanged(before[key], now.get(key) if isinstance(now, dict) else None,
                                    name=f"{name}: {label}[{key!r}]")
            else:
                check_unchanged(before, now, name=f"{name}: {label}")

    try:
        _, after = student.mlp_loss.with_args(params, X[:20], y[:20], reg=0.1)
        judged.append("mlp_loss")
        unchanged("mlp_loss", ("params", "X", "y"), (params, X[:20], y[:20]), after)
    except StudentCodeError as error:
        skipped.append(str(error).splitlines()[0])

    kwargs = dict(optim_config={"learning_rate": 0.1}, num_epochs=2, batch_size=50, seed=11)
    try:
        with student.time_limit(10):
            result, after = student.train.with_args(params, X, y, X_val, y_val, **kwargs)
    except StudentCodeError as error:
        skipped.append(str(error).splitlines()[0])
    else:
        judged.append("train")
        unchanged("train", ("params", "X", "y", "X_val", "y_val"), (params, X, y, X_val, y_val), after)
        first, _ = check_tuple(result, length=2, name="train(...)")
        if not isinstance(first, dict):
            raise MismatchError("train: expected (best_params, history), two dicts")
        again, _ = trained(student, params, X, y, X_val, y_val, **kwargs)
        for key in params:
            check_array(again.get(key), first.get(key), name=f"{key} of a second run with the same seed")
    if not judged:
        raise MismatchError("neither mlp_loss nor train returned, so there was nothing to judge: " + "; ".join(skipped))


@pytest.mark.item("digits_accuracy")
def test_digits_reach_90_percent_on_digits_not_trained_on(student):
    X, y = mlp_data.load_digits(mlp_data.DIGITS_PATH)
    rng = np.random.default_rng(7)
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = mlp_data.shuffle_split(rng, X, y, [0.6, 0.2])
    params = student.init_params([64], 64, 10, weight_scale=0.1, seed=7)
    best, _ = trained(student, params, X_train, y_train, X_val, y_val, reg=1e-4,
                      optim_config={"learning_rate": 0.2}, num_epochs=20, batch_size=50, seed=7)
    accuracy = own_accuracy(student, best, X_test, y_test)
    if accuracy < 0.9:
        raise MismatchError(f"the trained network classifies {accuracy:.1%} of 260 test digits correctly; "
                            "90 % is expected")
