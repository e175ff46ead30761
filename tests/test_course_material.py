"""The course material, assignment by assignment, read from its data alone: every assignment
of the course (``grader.course.names``) gets every test below, and nothing here names one.
What is genuinely one assignment's own is in tests/test_<assignment>_assignment.py.

For each assignment:

* ``grade validate`` passes: the rubric follows its schema, every item has tests and every
  test names one item, the reference gets full marks and the starter zero.
* The public tests pass with the reference, handed in beside the reference versions of the
  course's other modules (as a student's finished work sits beside their earlier modules).
* The catalog (``rubrics/<assignment>/catalog/``) grades as it says. A **variant**
  (``variants/*.py``) is a correct module, written the ways real students write them: it keeps
  full marks. A **mistake** (``mistakes/*.py``) holds one real mistake and names in its
  docstring what it loses, one line per item::

      loses: adam: epsilon was added inside | w after step 1

  It loses exactly those items, and each one's feedback holds every ``|``-separated phrase.
  Both may start with ``from correct_<module> import *`` (a copy of the reference is put beside
  them). Each assignment's catalog is graded as one class with ``grade batch -j 2``.
* The catalog is complete: at least 8 variants, a variant and a mistake of every function of
  the reference, every rubric item lost by some mistake, and no mistake naming an item the
  rubric does not have.
* Every buggy fixture (``tests/fixtures/<assignment>/buggy_*.py``) is graded by some test.

And for the course: hidden tests may import helper modules next to them
(``rubrics/<assignment>/tests/<name>.py``) or shared by the course (``rubrics/<name>.py``),
only while that assignment's hidden tests run, and afresh in every run.
"""

from __future__ import annotations

import ast
import json
import shutil
import sys
import warnings
from pathlib import Path

import pytest
from conftest import REPO, SHORT_LIMITS

from grader import api, course
from grader.failure import GraderError
from grader.plugin import helper_modules, importable_helpers
from grader.recall import expectations  # the `loses:` lines, read as grade audit reads them

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

NAMES = course.names(REPO)
# Why: the floor for a catalog worth the name: 8 correct variants per assignment, and one per function.
MIN_VARIANTS = 8


def assignment(name: str) -> course.Assignment:
    return course.load(REPO, name)


def entries(name: str, kind: str) -> list[Path]:
    """The catalog's ``variants`` or ``mistakes`` of assignment ``name``."""
    folder = assignment(name).catalog / kind
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def defined(path: Path) -> set[str]:
    """Names of the public functions and classes a module defines at its top level."""
    return {node.name for node in ast.parse(path.read_text()).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")}


def submission(name: str, source: Path, folder: Path) -> Path:
    """``source`` handed in as assignment ``name``'s module, with ``correct_<module>.py`` (a copy of the
    reference) and the reference modules of the course's other assignments beside it."""
    graded = assignment(name)
    folder.mkdir(parents=True)
    shutil.copyfile(source, folder / f"{graded.module}.py")
    shutil.copyfile(graded.solution, folder / f"correct_{graded.module}.py")
    for other in NAMES:
        if other != name:
            shutil.copyfile(assignment(other).solution, folder / f"{assignment(other).module}.py")
    return folder


def failed(document: dict) -> dict:
    """{item: feedback} of the items that lost points."""
    return {t["extra_data"]["item"]: t["output"] for t in document["tests"] if t["score"] != t["max_score"]}


# -- validation and the public tests ---------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_grade_validate_passes_reference_full_marks_and_starter_zero(name):
    checks = api.validate(assignment=name, course=REPO, limits=SHORT_LIMITS, seed=5)
    assert [f"{c.name}: {c.detail}" for c in checks if not c.ok] == []
    assert {c.name for c in checks} >= {"reference solution gets full marks", "starter gets zero",
                                        "every rubric item has tests", "every test names one rubric item"}


@pytest.mark.parametrize("name", NAMES)
def test_the_public_tests_pass_with_the_reference(name, tmp_path):
    folder = submission(name, assignment(name).solution, tmp_path / "reference")
    document = api.run(submission=folder, assignment=name, course=REPO, seed=7, limits=SHORT_LIMITS,
                       public_only=True)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert document["tests"] and failed(document) == {}


# -- the catalog: graded ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """graded(name) -> {"variants--<stem>" or "mistakes--<stem>": result document}, one batch per assignment."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            root = tmp_path_factory.mktemp(f"catalog-{name}")
            for kind in ("variants", "mistakes"):
                for path in entries(name, kind):
                    submission(name, path, root / "class" / f"{kind}--{path.stem}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                api.batch(submissions=root / "class", assignment=name, output=root / "out", course=REPO, jobs=2,
                          limits=SHORT_LIMITS.replace(call_timeout=10, import_timeout=10), sandbox_backend="auto")
            cache[name] = {p.stem: json.loads(p.read_text()) for p in (root / "out" / "results").glob("*.json")}
        return cache[name]

    return get


def catalogued(kind: str) -> list:
    return [pytest.param(name, path.stem, id=f"{name}/{path.stem}") for name in NAMES for path in entries(name, kind)]


def result(graded, name: str, kind: str, stem: str) -> dict:
    documents = graded(name)
    key = f"{kind}--{stem}"
    assert key in documents, f"no result for {key}: {sorted(documents)[:5]}"
    assert documents[key]["extra_data"]["status"] == "graded", documents[key]["extra_data"]["grader_errors"]
    return documents[key]


class TestCatalog:
    """Graded in one batch per assignment (a class of its own, so xdist gives it one worker)."""

    @pytest.mark.parametrize("name,stem", catalogued("variants"))
    def test_every_correct_variant_keeps_full_marks(self, graded, name, stem):
        assert failed(result(graded, name, "variants", stem)) == {}, "a correct variant lost points"

    @pytest.mark.parametrize("name,stem", catalogued("mistakes"))
    def test_every_known_mistake_loses_exactly_its_items_with_a_hint_that_names_it(self, graded, name, stem):
        expected = expectations(assignment(name).catalog / "mistakes" / f"{stem}.py")
        assert expected, f"{stem}.py names no 'loses: item: hint' line in its docstring"
        lost = failed(result(graded, name, "mistakes", stem))
        assert set(lost) == set(expected), lost
        for item, phrases in expected.items():
            for phrase in phrases:
                assert phrase in lost[item], f"{item}: {phrase!r} not in:\n{lost[item]}"


# -- the catalog: complete --------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_the_catalog_has_enough_variants_and_a_variant_and_a_mistake_of_every_function(name):
    functions = defined(assignment(name).solution)
    variants = entries(name, "variants")
    assert len(variants) >= MIN_VARIANTS
    assert functions - set().union(*map(defined, variants)) == set(), "functions with no correct variant"
    assert functions - set().union(*map(defined, entries(name, "mistakes"))) == set(), \
        "functions no catalogued mistake breaks"


@pytest.mark.parametrize("name", NAMES)
def test_every_rubric_item_is_lost_by_some_catalogued_mistake_and_every_lost_item_exists(name):
    """Recall, item by item: no item's tests go without a known mistake that they catch."""
    items = {item.id for item in assignment(name).rubric.items}
    lost = {item for path in entries(name, "mistakes") for item in expectations(path)}
    assert items - lost == set(), "items no catalogued mistake loses"
    assert lost - items == set(), "mistakes that name items the rubric does not have"


@pytest.mark.parametrize("name", NAMES)
def test_every_buggy_fixture_is_graded_by_some_test(name):
    """Known mistakes belong in the catalog; a buggy fixture outside it must be some test's own case."""
    suite = "\n".join(path.read_text() for path in sorted((REPO / "tests").glob("test_*.py")))
    left = [p.name for p in sorted((REPO / "tests" / "fixtures" / name).glob("buggy_*.py")) if p.name not in suite]
    assert left == []


# -- helper modules of the hidden tests ------------------------------------------------------------
HELPED_TEST = '''"""Hidden tests of scaling, with helpers: one beside them, one of the course."""
import pytest
from scalechecks import SHAPES
from coursechecks import drawn

from grader.testing import forward


@pytest.mark.item("scale_forward")
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_reference(student, ref, rng, shape):
    x, a = drawn(rng, shape)
    out, _ = forward(student, "scale", inputs={"x": x, "a": a})
    expected, _ = ref.scale_forward(x, a)
    assert out.shape == expected.shape and abs(out - expected).max() < 1e-12, "out differs"
'''


@pytest.fixture
def helped_course(tmp_path):
    """The audit's small course, whose hidden tests import ``scalechecks`` (next to them) and
    ``coursechecks`` (in rubrics/); the items they no longer test are dropped from its rubric."""
    root = tmp_path / "course"
    shutil.copytree(REPO / "tests" / "fixtures" / "audit_course", root)
    shutil.rmtree(root / "rubrics" / "scaling" / "catalog")
    tests = root / "rubrics" / "scaling" / "tests"
    (tests / "test_scaling_hidden.py").write_text(HELPED_TEST)
    (tests / "scalechecks.py").write_text("SHAPES = [(4, 3), (1, 5)]\n")
    (root / "rubrics" / "coursechecks.py").write_text(
        "def drawn(rng, shape):\n    return rng.standard_normal(shape), float(rng.uniform(0.5, 2.0))\n")
    rubric = json.loads((root / "rubrics" / "scaling" / "rubric.json").read_text())
    rubric["items"] = [dict(item, points=1) for item in rubric["items"] if item["id"] == "scale_forward"]
    rubric.pop("total_points", None)
    (root / "rubrics" / "scaling" / "rubric.json").write_text(json.dumps(rubric))
    return root


def grade_reference(root: Path, **options) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return api.run(submission=root / "solutions" / "scaling" / "scaling.py", assignment="scaling", course=root,
                       seed=3, limits=SHORT_LIMITS, **options)


def test_hidden_tests_import_helpers_next_to_them_and_of_the_course_and_forget_them_after_the_run(helped_course):
    document = grade_reference(helped_course)
    assert document["extra_data"]["grader_errors"] == [] and document["score"] == 1
    assert document["tests"][0]["output"] == "all 2 checks passed"  # the two SHAPES of scalechecks
    assert "scalechecks" not in sys.modules and "coursechecks" not in sys.modules
    # every run imports them afresh: a changed helper changes the next run
    helper = helped_course / "rubrics" / "scaling" / "tests" / "scalechecks.py"
    helper.write_text("SHAPES = [(4, 3), (1, 5), (2, 2)]\n")
    assert grade_reference(helped_course)["tests"][0]["output"] == "all 3 checks passed"
    (helped_course / "rubrics" / "coursechecks.py").write_text("def drawn(rng, shape):\n    raise RuntimeError('v2')\n")
    again = grade_reference(helped_course)
    assert again["score"] == 0 and "RuntimeError: v2" in "\n".join(again["extra_data"]["grader_errors"])


def test_helpers_are_found_only_for_their_own_assignments_hidden_tests():
    layers = helper_modules(REPO / "rubrics" / "layers" / "tests")
    assert "layerchecks" in layers and not any(name.startswith("test_") for name in layers)
    assert "layerchecks" not in helper_modules(REPO / "rubrics" / "losses" / "tests")
    with importable_helpers(None):
        with pytest.raises(ImportError):
            __import__("layerchecks")


def test_a_public_test_cannot_import_a_hidden_helper(helped_course):
    """Public tests run on students' machines, where rubrics/ is not: a run of the public tests alone
    (grade run --public-only, grade local, grade release's check) finds no helper."""
    public = helped_course / "assignments" / "scaling" / "tests"
    public.mkdir()
    (public / "test_scaling_public.py").write_text(
        'import pytest\nimport scalechecks\n\n\n@pytest.mark.item("scale_forward")\ndef test_one(student):\n    pass\n')
    try:
        said = "\n".join(grade_reference(helped_course, public_only=True)["extra_data"]["grader_errors"])
    except GraderError as exc:  # the public rubric is read from the public tests, which do not import
        said = str(exc)
    assert "No module named 'scalechecks'" in said


@pytest.mark.parametrize("name", ["numpy", "test-helpers"])
def test_a_helper_that_would_shadow_a_module_or_cannot_be_imported_is_the_courses_fault(helped_course, name):
    (helped_course / "rubrics" / f"{name}.py").write_text("")
    if name.isidentifier():
        with pytest.raises(GraderError, match="may not be named 'numpy'"), importable_helpers(
                helped_course / "rubrics" / "scaling" / "tests"):
            pass
    else:
        with pytest.raises(GraderError, match="needs a name Python can import"):
            helper_modules(helped_course / "rubrics" / "scaling" / "tests")
    document = grade_reference(helped_course)
    assert document["extra_data"]["status"] == "grader_error" and document["score"] == 0
