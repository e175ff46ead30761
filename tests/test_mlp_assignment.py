"""What the `mlp` assignment has of its own (what every assignment has is in
tests/test_course_material.py: validation, the public tests, the catalog): the reference,
beside the reference layers.py and optim.py, gets full marks for several run seeds and reaches
the digits threshold within its time budget; accepted conventions (Adam's alpha_t form, either
tie rule for the best epoch) keep their items; the shared determinism item judges only the
functions that returned; a scalar hint needs two inputs; public hints are hidden hints word
for word; the class-sorted-data test fails a trainer that never shuffles, on every seed tried;
a submission without its layers.py, the starter and a completed notebook grade as they should;
the release ships the data and support code and `grade local` passes the reference there."""

import ast
import contextlib
import copy
import importlib.util
import shutil
import sys
import time
import warnings

from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import REPO, SHORT_LIMITS, fixture_path, full_marks, public_functions, scores

from grader import api, rubric
from grader.failure import MismatchError, StudentCodeError
from grader.plugin import Reference, importable_helpers
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

ALTERNATIVES = ["variants/alternative_class_based_mlp.py"]


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


class _Call:
    """A module function called as the grader's proxy would: an exception becomes a
    StudentCodeError, and ``with_args`` works on copies and returns them after the call."""

    def __init__(self, function):
        self._function = function

    def __call__(self, *args, **kwargs):
        try:
            return self._function(*args, **kwargs)
        except Exception as error:
            raise StudentCodeError(f"{self._function.__name__}() raised {type(error).__name__}: {error}") from None

    def with_args(self, *args, **kwargs):
        args = copy.deepcopy(args)
        return self(*args, **kwargs), list(args)


class ProxiedStudent(InProcessStudent):
    def __getattr__(self, name):
        return _Call(getattr(self._module, name))


class Attached:
    def __init__(self):
        self.files = {}

    def add(self, name, data):
        self.files[name] = data


@pytest.fixture(scope="module")
def hidden():
    with importable_helpers(HIDDEN_TESTS.parent):  # as the grader imports them
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
        yield lambda name: load_by_path(f"_test_mlp_{Path(name).stem}", fixture_path(ASSIGNMENT, name))
    finally:
        if saved is None:
            sys.modules.pop("correct_mlp", None)
        else:
            sys.modules["correct_mlp"] = saved


# -- validation and the reference -------------------------------------------------------------------
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
    unshuffled = InProcessStudent(fixture_module("mistakes/train_never_shuffles.py"))
    test = hidden.test_minibatch_sgd_on_class_sorted_data_reaches_threshold_on_held_out_points
    for seed in range(20):
        test(InProcessStudent(reference), Reference(reference), np.random.default_rng([seed, 1]))
        with pytest.raises(MismatchError, match="Shuffle the training set"):
            test(unshuffled, Reference(reference), np.random.default_rng([seed, 1]))


# -- a correct solution written differently, a missing module, the starter ---------------------------
def test_alternative_solution_uses_only_numpy_and_the_students_own_modules():
    tree = ast.parse(fixture_path(ASSIGNMENT, ALTERNATIVES[0]).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy", "layers", "optim", "losses"}
    assert public_functions(tree).keys() == public_functions(ast.parse(SOLUTION.read_text())).keys()


def test_submission_without_layers_py_gets_zero_with_a_message_naming_the_missing_module(tmp_path):
    folder = submission(tmp_path / "no-layers", fixture_path(ASSIGNMENT, ALTERNATIVES[0]),
                        siblings=("optim", "losses"), correct=False)
    document = grade(folder)
    assert document["score"] == 0 and document["extra_data"]["grader_errors"] == []
    assert "No module named 'layers'" in document["output"]


def test_starter_beside_reference_layers_and_optim_gets_zero_saying_not_implemented(tmp_path):
    document = grade(submission(tmp_path / "starter", STARTER, correct=False))
    assert document["score"] == 0 and document["extra_data"]["grader_errors"] == []
    assert all("is not implemented yet" in t["output"] for t in document["tests"])


def test_py_starter_imports_the_students_own_layers_and_optim():
    imported = {alias.name for node in ast.parse(STARTER.read_text()).body if isinstance(node, ast.Import)
                for alias in node.names}
    assert imported == {"numpy", "layers", "optim"}


# -- the starter notebook, completed -------------------------------------------------------------
def test_completed_notebook_beside_layers_and_optim_gets_full_marks(tmp_path):
    document = nbformat.read(NOTEBOOK, as_version=4)
    source = SOLUTION.read_text()
    lines = source.splitlines()
    # A student's own notebook: the reference's functions, calling the modules they imported.
    functions = {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno]).replace("_layers", "layers")
                 .replace("_optim", "optim") for node in ast.parse(source).body
                 if isinstance(node, ast.FunctionDef) and node.name != "_load_dependency"}
    for cell in document.cells:
        try:
            body = ast.parse(cell.source).body if cell.cell_type == "code" else []
        except SyntaxError:  # IPython syntax (`!grade local`): such a cell defines no function
            continue
        for node in body:
            if isinstance(node, ast.FunctionDef) and node.name in functions:
                cell.source = functions.pop(node.name)
    imports = next(i for i, cell in enumerate(document.cells) if cell.cell_type == "code")
    document.cells.insert(imports + 1, nbformat.v4.new_code_cell("\n\n\n".join(functions.values())))  # the helpers
    experiment = next(i for i, cell in enumerate(document.cells, start=1)  # cells are counted from 1 in feedback
                      if cell.cell_type == "code" and cell.source.startswith("import mlp_data"))
    folder = tmp_path / "notebook"
    folder.mkdir()
    nbformat.write(document, folder / "mlp.ipynb")
    for module in ("layers", "optim"):
        shutil.copyfile(SIBLINGS[module], folder / f"{module}.py")
    graded = grade(folder)
    assert scores(graded) == full_marks(graded), graded["output"]
    assert f"cell {experiment}, line 1: import mlp_data   (No module named 'mlp_data')" in graded["output"]


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


# -- fairness: accepted conventions, one bug one item, hints confirmed on two inputs -----------------
def _reference_copy(tmp_path, name, *, replace=None, optim_source=None):
    """The reference mlp.py (optionally with one line changed) beside the reference layers.py and an
    optim.py (the reference one, or ``optim_source``), loaded in-process under ``name``."""
    folder = tmp_path / name
    folder.mkdir()
    source = SOLUTION.read_text()
    if replace:
        assert source.count(replace[0]) == 1
        source = source.replace(*replace)
    (folder / "mlp.py").write_text(source)
    shutil.copyfile(SIBLINGS["layers"], folder / "layers.py")
    (folder / "optim.py").write_text(SIBLINGS["optim"].read_text() + (optim_source or ""))
    return load_by_path(f"_test_mlp_{name}", folder / "mlp.py")


ADAM_ALPHA_T = '''

def adam(w, dw, config=None):
    """Kingma & Ba, section 2, in the paper's "more efficient" order (alpha_t form)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    beta1, beta2, eps = config.setdefault("beta1", 0.9), config.setdefault("beta2", 0.999), config.setdefault("epsilon", 1e-8)
    config["t"] = config.get("t", 0) + 1
    config["m"] = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    config["v"] = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * dw * dw
    alpha = config["learning_rate"] * np.sqrt(1 - beta2 ** config["t"]) / (1 - beta1 ** config["t"])
    return w - alpha * config["m"] / (np.sqrt(config["v"]) + eps), config
'''
ADAM_WITHOUT_BIAS_CORRECTION = ADAM_ALPHA_T.replace(
    'np.sqrt(1 - beta2 ** config["t"]) / (1 - beta1 ** config["t"])', "1.0")


def test_trainer_on_adam_in_the_papers_alpha_t_form_keeps_update_rules_and_a_real_adam_bug_does_not(
        hidden, reference, tmp_path):
    # Where epsilon enters moves a parameter whose gradient is near epsilon by up to 5 %
    # (measured), far over any tolerance: the alpha_t form is accepted as a convention.
    paper = InProcessStudent(_reference_copy(tmp_path, "alpha_t", optim_source=ADAM_ALPHA_T))
    wrong = InProcessStudent(_reference_copy(tmp_path, "no_bias", optim_source=ADAM_WITHOUT_BIAS_CORRECTION))
    test = hidden.test_full_batch_epochs_with_stateful_update_rule_match_reference
    for seed in range(10):
        test(paper, Reference(reference), np.random.default_rng(seed), "adam", {"learning_rate": 0.05})
        with pytest.raises(MismatchError, match="also compared, and not matched, with: Adam in the alpha_t form"):
            test(wrong, Reference(reference), np.random.default_rng(seed), "adam", {"learning_rate": 0.05})


def test_best_params_check_does_not_judge_how_tied_epochs_are_broken(hidden, reference, tmp_path):
    # The handout keeps the earliest of tied epochs; ">=" keeps the latest, an equally sound choice.
    latest = InProcessStudent(_reference_copy(tmp_path, "latest_tie",
                                              replace=("if val_acc > best_acc:", "if val_acc >= best_acc:")))
    for seed in range(30):
        hidden.test_returns_parameters_of_best_validation_epoch_not_the_last(
            latest, Reference(reference), np.random.default_rng(seed))


def test_determinism_item_judges_only_the_functions_that_returned(hidden, reference, tmp_path):
    test = hidden.test_same_seed_same_result_and_no_function_modifies_its_inputs
    crashing_train = _reference_copy(tmp_path, "crashing_train",
                                     replace=("    rule = getattr(_optim, update_rule)\n", "    raise RuntimeError('oops')\n"))
    test(ProxiedStudent(crashing_train), Reference(reference), np.random.default_rng(0))  # passes: mlp_loss judged
    crashing_both = _reference_copy(tmp_path, "crashing_both",
                                    replace=("    forward, backward = _activation(activation)\n", "    raise KeyError(1)\n"))
    crashing_both.train = crashing_train.train
    with pytest.raises(MismatchError, match="neither mlp_loss nor train returned"):
        test(ProxiedStudent(crashing_both), Reference(reference), np.random.default_rng(0))
    mutating = _reference_copy(tmp_path, "mutating_loss", replace=(
        "    h = X\n", "    X *= 1.0 + 0.0 * X.ndim\n    X[0] = 0.0\n    h = X\n"))
    mutating.train = reference.train
    with pytest.raises(MismatchError, match=r"mlp_loss: X was modified in place"):
        test(ProxiedStudent(mutating), Reference(reference), np.random.default_rng(0))


def test_a_scalar_hint_is_named_only_when_every_input_confirms_it(hidden):
    hint = "the loss is summed over the batch"
    coincidence = [(12.0, 2.0, "loss (N = 6)", {hint: 12.0}, 6), (5.0, 2.0, "loss (N = 3)", {hint: 6.0}, 3)]
    with pytest.raises(MismatchError) as failure:
        hidden.check_scalars_confirmed(coincidence)
    assert hint not in str(failure.value)
    confirmed = [(12.0, 2.0, "loss (N = 6)", {hint: 12.0}, 6), (6.0, 2.0, "loss (N = 3)", {hint: 6.0}, 3)]
    with pytest.raises(MismatchError, match=hint):
        hidden.check_scalars_confirmed(confirmed)


def test_every_public_hint_is_word_for_word_a_hidden_hint():
    public = ast.parse((REPO / "assignments" / ASSIGNMENT / "tests" / "test_mlp_public.py").read_text())
    hints = {node.targets[0].id: node.value.value for node in public.body if isinstance(node, ast.Assign)
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id.startswith("HINT_")}
    hidden_strings = {node.value for node in ast.walk(ast.parse(HIDDEN_TESTS.read_text()))
                      if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert len(hints) >= 10
    assert {name for name, text in hints.items() if text not in hidden_strings} == set()
