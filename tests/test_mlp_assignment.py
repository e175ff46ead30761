"""The `mlp` assignment: it validates; the reference, beside the reference layers.py and
optim.py, gets full marks for several run seeds and reaches the digits threshold within
its time budget; each known bug costs exactly its items with feedback that names the
quantity and the likely cause; the class-sorted-data test fails a trainer that never
shuffles, on every seed tried; a correct solution written differently gets full marks;
the starters (module and notebook) agree with the reference's API; the release ships
the data and support code and `grade local` passes the reference there."""

import ast
import contextlib
import importlib.util
import shutil
import sys
import time
import warnings

import nbformat
import numpy as np
import pytest
from conftest import FIXTURES, REPO, SHORT_LIMITS, feedback, full_marks, notebook_tree, public_functions, scores

from grader import api, rubric
from grader.failure import MismatchError
from grader.plugin import Reference
from grader.sandbox import SandboxWarning

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

ASSIGNMENT = "mlp"
STARTER = REPO / "assignments" / ASSIGNMENT / "mlp.py"
NOTEBOOK = REPO / "assignments" / ASSIGNMENT / "mlp.ipynb"
SOLUTION = REPO / "solutions" / ASSIGNMENT / "mlp.py"
HIDDEN_TESTS = REPO / "rubrics" / ASSIGNMENT / "tests" / "test_mlp_hidden.py"
RUBRIC = rubric.load(REPO / "rubrics" / ASSIGNMENT / "rubric.json")
# The modules a submission brings beside mlp.py (here the reference versions); losses.py is
# optional for students (the alternative fixture imports softmax_loss from it).
SIBLINGS = {"layers": REPO / "solutions" / "layers" / "layers.py",
            "optim": REPO / "solutions" / "optim" / "optim.py",
            "losses": REPO / "solutions" / "losses" / "losses.py"}

# fixture: {item it loses: substrings its feedback must hold (the quantity, then the cause)}
BUGS = {
    "buggy_init_new_generator_per_layer.py": {
        "init_params": ("init_params(...)['W2']", "ONE generator np.random.default_rng(seed)")},
    "buggy_scores_are_softmax_probabilities.py": {
        "scores": ("scores = mlp_loss(params, X)", "these are softmax probabilities"),
        "activation_scores": ("scores (activation='sigmoid')",)},
    "buggy_loss_summed_over_batch.py": {
        "loss": ("loss: ", "the loss is summed over the batch"),
        "l2_loss": ("loss (reg = 0.05)",),
        "history": ("history['train_loss']",)},
    "buggy_gradients_not_averaged_over_batch.py": {
        "gradients": ("grads['W1']", "(N) too large"),
        "l2_gradients": ("grads['W1'] (reg = 0.05)",),
        "activation_gradients": ("grads['W1'] (activation='sigmoid')", "(N) too large"),
        "train_step": ("parameters after one step",),
        "update_rules": ("parameters after 4 full-batch epochs of sgd_momentum",),
        "lr_schedule": ("parameters after 5 epochs with step_decay",),
        "history": ("history['train_loss']",),
        "best_params": ("returned parameters",),
        "shuffling": ("held-out points correctly",),
        "digits_accuracy": ("of 500 held-out digits correctly",)},
    "buggy_l2_grad_missing_factor_2.py": {
        "l2_gradients": ("grads['W1'] (reg = 0.05)", "missing the factor 2 of the penalty's gradient"),
        "train_step": ("parameters after one step['W1']",)},
    "buggy_l2_penalizes_biases.py": {
        "l2_loss": ("loss (reg = 0.05)", "the biases are penalized too"),
        "l2_gradients": ("grads['b1'] (reg = 0.05)", "the biases got a penalty gradient")},
    "buggy_mlp_loss_ignores_activation.py": {
        "activation_scores": ("scores (activation='sigmoid')", "these are the scores of a ReLU network"),
        "activation_gradients": ("grads['W1'] (activation='sigmoid')",),
        "train_step": ("parameters after one step",)},
    "buggy_backward_always_relu.py": {
        "activation_gradients": ("grads['W1'] (activation='sigmoid')",),
        "train_step": ("parameters after one step",)},
    "buggy_train_never_updates.py": {
        "train_step": ("parameters after one step['W1']", "the parameters did not change"),
        "update_rules": ("parameters after 4 full-batch epochs of adam",),
        "lr_schedule": ("parameters after 5 epochs with cosine_decay",),
        "history": ("history['train_loss']",),
        "best_params": ("returned parameters",),
        "shuffling": ("seeds 5 and 6 give identical parameters",),
        "digits_accuracy": ("of 500 held-out digits correctly",)},
    "buggy_train_shares_one_optim_config.py": {
        "update_rules": ("train() raised ValueError: operands could not be broadcast",)},
    "buggy_train_ignores_lr_schedule.py": {
        "lr_schedule": ("parameters after 5 epochs with step_decay", "parameters of a constant learning rate")},
    "buggy_train_reports_train_acc_as_val_acc.py": {
        "history": ("history['val_acc']", "holds the values of 'train_acc'"),
        "best_params": ("the grader measures a validation accuracy of",)},
    "buggy_train_history_before_update.py": {
        "history": ("history['train_loss']", "the history is one epoch late"),
        "best_params": ("returned parameters",)},
    "buggy_train_returns_last_params.py": {
        "best_params": ("returned parameters['W1']", "these are the last epoch's parameters")},
    "buggy_train_never_shuffles.py": {
        "shuffling": ("classify", "Shuffle the training set at the start of every epoch")},
    "buggy_train_uses_global_random.py": {
        "determinism": ("a second run with the same seed gives other parameters", "never the global np.random")},
    "buggy_train_mutates_params_in_place.py": {
        "determinism": ("train: params['W1'] was modified in place",)},
}
ALTERNATIVES = ["alternative_class_based_mlp.py"]


def submission(into, source, *, name="mlp.py", siblings=tuple(SIBLINGS), correct=True):
    """A submission folder as a student hands it in: ``source`` as mlp.py (or ``name``), their
    layers.py and optim.py (here the reference ones) and, for fixtures, correct_mlp.py."""
    into.mkdir(parents=True)
    shutil.copyfile(source, into / name)
    for module in siblings:
        shutil.copyfile(SIBLINGS[module], into / f"{module}.py")
    if correct:
        shutil.copyfile(SOLUTION, into / "correct_mlp.py")
    return into


def grade(folder, *, seed=2024):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        return api.run(submission=folder, assignment=ASSIGNMENT, course=REPO, seed=seed, limits=SHORT_LIMITS)


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def constants(tree: ast.Module) -> dict:
    return {node.targets[0].id: ast.unparse(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()}


# -- in-process runs of hidden tests (the reference, or a fixture, as the "student") ----------------
class InProcessStudent:
    """Calls a module's functions directly; ``time_limit`` fails the check when a block runs over."""

    def __init__(self, module):
        self._module = module
        self.longest = 0.0

    def __getattr__(self, name):
        return getattr(self._module, name)

    @contextlib.contextmanager
    def time_limit(self, seconds):
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.longest = max(self.longest, elapsed)
        assert elapsed < seconds, f"took {elapsed:.2f} s, over its budget of {seconds:g} s"


class Attached:
    def __init__(self):
        self.files = {}

    def add(self, name, data):
        self.files[name] = data


@pytest.fixture(scope="module")
def hidden():
    return load_by_path("_test_mlp_hidden_tests", HIDDEN_TESTS)


@pytest.fixture(scope="module")
def reference():
    return load_by_path("_test_mlp_reference", SOLUTION)


@pytest.fixture
def fixture_module(reference):
    """fixture_module(name): a tests/fixtures/mlp file imported here, with the reference as correct_mlp."""
    saved = sys.modules.get("correct_mlp")
    sys.modules["correct_mlp"] = reference
    try:
        yield lambda name: load_by_path(f"_test_mlp_{name.removesuffix('.py')}", FIXTURES / ASSIGNMENT / name)
    finally:
        if saved is None:
            sys.modules.pop("correct_mlp", None)
        else:
            sys.modules["correct_mlp"] = saved


# -- validation and the reference -------------------------------------------------------------------
def test_mlp_assignment_validates_reference_full_marks_and_starter_zero():
    checks = api.validate(assignment=ASSIGNMENT, course=REPO, limits=SHORT_LIMITS, seed=5)
    assert [f"{c.name}: {c.detail}" for c in checks if not c.ok] == []
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                        "every rubric item has tests", "every test names one rubric item"}


def test_rubric_requires_layers_and_optim_and_totals_100():
    assert RUBRIC.requires == ("layers", "optim")
    assert RUBRIC.max_score == 100


@pytest.mark.parametrize("seed", [11, 12])
def test_reference_beside_reference_layers_and_optim_gets_full_marks(tmp_path, seed):
    document = grade(submission(tmp_path / "reference", SOLUTION, correct=False), seed=seed)
    assert document["extra_data"]["grader_errors"] == []
    assert scores(document) == full_marks(document), \
        [(t["extra_data"]["item"], t["output"]) for t in document["tests"] if t["status"] != "passed"]


@pytest.mark.parametrize("seed", range(5))
def test_reference_reaches_digits_threshold_within_its_time_budget(hidden, reference, seed):
    # The hidden test itself, with the reference called directly: it raises if the held-out
    # accuracy is under the threshold, and time_limit raises if the run is over budget.
    student = InProcessStudent(reference)
    attached = Attached()
    hidden.test_digits_training_reaches_threshold_on_held_out_digits(
        student, Reference(reference), np.random.default_rng(seed), attached)
    assert 0 < student.longest < hidden.DIGITS_BUDGET_S
    assert set(attached.files) <= {"learning_curves.png", "learning_curves.txt"} and len(attached.files) == 1


def test_class_sorted_data_passes_the_reference_and_fails_a_trainer_that_never_shuffles_on_every_seed(
        hidden, reference, fixture_module):
    unshuffled = InProcessStudent(fixture_module("buggy_train_never_shuffles.py"))
    test = hidden.test_minibatch_sgd_on_class_sorted_data_reaches_threshold_on_held_out_points
    for seed in range(20):
        test(InProcessStudent(reference), Reference(reference), np.random.default_rng([seed, 1]))
        with pytest.raises(MismatchError, match="Shuffle the training set"):
            test(unshuffled, Reference(reference), np.random.default_rng([seed, 1]))


# -- buggy and alternative submissions ---------------------------------------------------------------
@pytest.mark.parametrize("fixture", sorted(BUGS))
def test_each_bug_loses_exactly_its_items_with_feedback_naming_quantity_and_cause(tmp_path, fixture):
    document = grade(submission(tmp_path / fixture.removesuffix(".py"), FIXTURES / ASSIGNMENT / fixture))
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    lost = BUGS[fixture]
    expected = {item: 0 if item in lost else points for item, points in full_marks(document).items()}
    assert scores(document) == expected
    for item, phrases in lost.items():
        text = feedback(document, item)
        for phrase in phrases:
            assert phrase in text, f"{item}: {phrase!r} not in feedback:\n{text}"


def test_every_rubric_item_is_lost_by_some_buggy_fixture():
    covered = {item for lost in BUGS.values() for item in lost}
    assert {item.id for item in RUBRIC.items} - covered == set()
    assert sorted(BUGS) == sorted(p.name for p in FIXTURES.joinpath(ASSIGNMENT).glob("buggy_*.py"))


@pytest.mark.parametrize("fixture", ALTERNATIVES)
def test_correct_solution_written_differently_gets_full_marks(tmp_path, fixture):
    folder = submission(tmp_path / "alternative", FIXTURES / ASSIGNMENT / fixture, correct=False)
    document = grade(folder)
    assert document["extra_data"]["grader_errors"] == []
    assert document["score"] == document["extra_data"]["max_score"] == 100, \
        [(t["extra_data"]["item"], t["output"]) for t in document["tests"] if t["status"] != "passed"]


def test_alternative_solution_uses_only_numpy_and_the_students_own_modules():
    tree = ast.parse(FIXTURES.joinpath(ASSIGNMENT, ALTERNATIVES[0]).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy", "layers", "optim", "losses"}
    assert public_functions(tree).keys() == public_functions(ast.parse(SOLUTION.read_text())).keys()


def test_submission_without_layers_py_gets_zero_with_a_message_naming_the_missing_module(tmp_path):
    folder = submission(tmp_path / "no-layers", FIXTURES / ASSIGNMENT / ALTERNATIVES[0],
                        siblings=("optim", "losses"), correct=False)
    document = grade(folder)
    assert document["score"] == 0 and document["extra_data"]["grader_errors"] == []
    assert "No module named 'layers'" in document["output"]


def test_starter_beside_reference_layers_and_optim_gets_zero_saying_not_implemented(tmp_path):
    document = grade(submission(tmp_path / "starter", STARTER, correct=False))
    assert document["score"] == 0 and document["extra_data"]["grader_errors"] == []
    assert all("is not implemented yet" in t["output"] for t in document["tests"])


# -- starters ------------------------------------------------------------------------------------
def test_py_starter_has_the_reference_functions_signatures_docstrings_and_constants():
    starter, solution = ast.parse(STARTER.read_text()), ast.parse(SOLUTION.read_text())
    assert public_functions(starter) == public_functions(solution)
    assert constants(starter) == constants(solution)


def test_py_starter_imports_the_students_own_layers_and_optim():
    imported = {alias.name for node in ast.parse(STARTER.read_text()).body if isinstance(node, ast.Import)
                for alias in node.names}
    assert imported == {"numpy", "layers", "optim"}


def test_notebook_starter_defines_the_same_functions_and_constants_as_the_py_starter():
    starter = ast.parse(STARTER.read_text())
    assert public_functions(notebook_tree(NOTEBOOK)) == public_functions(starter)
    assert constants(notebook_tree(NOTEBOOK)) == constants(starter)


def test_notebook_has_a_title_imports_a_markdown_and_code_cell_per_function_then_experiments():
    cells = nbformat.read(NOTEBOOK, as_version=nbformat.NO_CONVERT).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert cells[1].cell_type == "code" and all(f"import {m}" in cells[1].source for m in ("numpy as np", "layers", "optim"))
    names = list(public_functions(ast.parse(STARTER.read_text())))
    pairs = cells[2:2 + 2 * len(names)]
    assert [c.cell_type for c in pairs] == ["markdown", "code"] * len(names)
    for name, markdown, code in zip(names, pairs[::2], pairs[1::2]):
        assert f"`{name}`" in markdown.source and list(public_functions(ast.parse(code.source))) == [name]
    rest = cells[2 + 2 * len(names):]
    assert rest[0].cell_type == "markdown" and "not graded" in rest[0].source
    assert not any(public_functions(ast.parse(c.source)) for c in rest if c.cell_type == "code")


def test_completed_notebook_beside_layers_and_optim_gets_full_marks(tmp_path):
    document = nbformat.read(NOTEBOOK, as_version=4)
    source = SOLUTION.read_text()
    lines = source.splitlines()
    # A student's own notebook: the reference's functions, calling the modules they imported.
    functions = {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno]).replace("_layers", "layers")
                 .replace("_optim", "optim") for node in ast.parse(source).body
                 if isinstance(node, ast.FunctionDef) and node.name != "_load_dependency"}
    for cell in document.cells:
        if cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef) and node.name in functions:
                    cell.source = functions.pop(node.name)
    document.cells.insert(2, nbformat.v4.new_code_cell("\n\n\n".join(functions.values())))  # the helpers
    folder = tmp_path / "notebook"
    folder.mkdir()
    nbformat.write(document, folder / "mlp.ipynb")
    for module in ("layers", "optim"):
        shutil.copyfile(SIBLINGS[module], folder / f"{module}.py")
    graded = grade(folder)
    assert scores(graded) == full_marks(graded), graded["output"]
    assert "cell 11, line 1: import mlp_data   (No module named 'mlp_data')" in graded["output"]


# -- learning curves ---------------------------------------------------------------------------------
HISTORY = {"train_loss": [1.5, 0.75, 0.5], "val_loss": [1.6, 0.9, 0.8], "train_acc": [0.5, 0.75, 0.875],
           "val_acc": [0.5, 0.625, 0.6], "lr": [0.1] * 3, "best_epoch": 1}


def test_learning_curves_without_matplotlib_are_a_table_labelled_as_reported(hidden, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)  # import fails
    name, text = hidden.learning_curves(HISTORY, trusted={"held-out accuracy": 0.61})
    assert name == "learning_curves.txt"
    assert text.startswith("Learning curves as reported by the submission (not verified by the grader)")
    assert "held-out accuracy 61.0%" in text
    assert "    2      0.7500      0.9000     0.7500     0.6250 *" in text.splitlines()


def test_learning_curves_with_matplotlib_are_a_png(hidden):
    pytest.importorskip("matplotlib")
    name, data = hidden.learning_curves(HISTORY, trusted={"held-out accuracy": 0.61})
    assert name == "learning_curves.png" and data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("history", [None, "text", {"train_loss": [1.0]}, {**HISTORY, "val_acc": [0.5]},
                                     {**HISTORY, "val_loss": ["x", 1, 2]}, {k: [] for k in HISTORY}])
def test_learning_curves_of_a_malformed_history_are_skipped(hidden, history):
    assert hidden.learning_curves(history, trusted={"held-out accuracy": 0.5}) is None


def test_graded_run_saves_the_learning_curves_beside_the_result(tmp_path):
    folder = submission(tmp_path / "reference", SOLUTION, correct=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        document = api.run(submission=folder, assignment=ASSIGNMENT, course=REPO, seed=3, limits=SHORT_LIMITS,
                           output=tmp_path / "out" / "ada.json")
    assert document["extra_data"]["grader_errors"] == []
    saved = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert saved in (["ada.json", "ada.learning_curves.png"], ["ada.json", "ada.learning_curves.txt"])
    assert document["extra_data"]["artifacts"] == [saved[1]]


# -- release and grade local -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    api.release(output=out, assignments=[ASSIGNMENT], course=REPO)
    return out / ASSIGNMENT


def test_release_ships_starter_notebook_data_module_and_digits_but_not_the_held_out_digits(released):
    files = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    assert {"mlp.py", "mlp.ipynb", "mlp_data.py", "data/digits.csv.gz", "README.md",
            "tests/test_mlp_public.py", "public_rubric.json", "requirements.txt"} <= files
    assert not any("holdout" in f or f.startswith("solutions") for f in files)


def test_grade_local_in_a_release_copy_passes_every_public_test_with_the_reference(released, tmp_path):
    copy = tmp_path / "mlp"
    shutil.copytree(released, copy)
    shutil.copyfile(SOLUTION, copy / "mlp.py")  # a student's finished work ...
    for module in ("layers", "optim"):  # ... beside their own layers.py and optim.py
        shutil.copyfile(SIBLINGS[module], copy / f"{module}.py")
    run = api.local(path=copy, limits=SHORT_LIMITS)
    failed = [(t["extra_data"]["item"], t["output"]) for t in run.document["tests"] if t["status"] != "passed"]
    assert failed == [] and run.passed == len(run.document["tests"]) == len(RUBRIC.items)  # all have public tests
