"""The catalog of correct variants and known real mistakes: precision and recall of the hidden tests.

For each assignment, ``rubrics/<assignment>/catalog/variants/`` holds correct solutions written
the ways real students write them, and ``rubrics/<assignment>/catalog/mistakes/`` holds real
mistakes. Adding one is adding a file:

* A **variant** is a correct module (``<name>.py``, graded as the student's module): either
  complete, or ``from correct_<module> import *`` (a copy of the reference is put beside it)
  followed by its own versions of one or more functions, written independently of the
  reference. Every variant scores full marks, and every function of the assignment has at
  least one variant of its own.
* A **mistake** is a module with one real mistake; it may start with
  ``from correct_<module> import *`` (a copy of the reference is put beside it) and redefine one
  function. Its docstring names what it loses, one line per item::

      loses: adam: epsilon was added inside | w after step 1

  The item scores 0 and its feedback holds every ``|``-separated phrase; every other item keeps
  its points. A mistake without ``loses:`` lines is a catalog error.

For mlp, every entry is graded beside the reference ``layers.py``, ``optim.py`` and ``losses.py``
(the student's own earlier modules, here correct). Each assignment's catalog is graded as one
class with ``grade batch -j 2``, so the catalog costs about half its serial time.
"""

from __future__ import annotations

import ast
import json
import shutil
import warnings
from pathlib import Path

import pytest
from conftest import REPO, SHORT_LIMITS, catalog

from grader import api, rubric
from grader.recall import expectations  # the `loses:` lines, read as grade audit reads them
from grader.sandbox import SandboxWarning

ASSIGNMENTS = ("layers", "losses", "optim", "mlp")
SIBLINGS = {"mlp": ("layers", "optim", "losses")}
# Why: the floor for a catalog worth the name: 8 variants per assignment and one per function.
MIN_VARIANTS = 8


def entries(assignment: str, kind: str) -> list[Path]:
    folder = catalog(assignment) / kind
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def _stage(assignment: str, into: Path) -> Path:
    module = rubric.load(REPO / "rubrics" / assignment / "rubric.json").module
    for kind in ("variants", "mistakes"):
        for path in entries(assignment, kind):
            folder = into / f"{kind}--{path.stem}"
            folder.mkdir(parents=True)
            shutil.copyfile(path, folder / f"{module}.py")
            # variants and mistakes alike may build on the reference
            shutil.copyfile(REPO / "solutions" / assignment / f"{module}.py", folder / f"correct_{module}.py")
            for sibling in SIBLINGS.get(assignment, ()):
                shutil.copyfile(REPO / "solutions" / sibling / f"{sibling}.py", folder / f"{sibling}.py")
    return into


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{assignment: {"variants--name" or "mistakes--name": result document}}, graded lazily."""
    cache: dict[str, dict] = {}

    def get(assignment: str) -> dict:
        if assignment not in cache:
            root = tmp_path_factory.mktemp(f"catalog-{assignment}")
            submissions = _stage(assignment, root / "class")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                api.batch(submissions=submissions, assignment=assignment, output=root / "out", course=REPO,
                          jobs=2, limits=SHORT_LIMITS.replace(call_timeout=10, import_timeout=10),
                          sandbox_backend="auto")
            cache[assignment] = {p.stem: json.loads(p.read_text())
                                 for p in (root / "out" / "results").glob("*.json")}
        return cache[assignment]

    return get


def _params(kind: str):
    return [pytest.param(a, p.stem, id=f"{a}/{p.stem}") for a in ASSIGNMENTS for p in entries(a, kind)]


def _document(graded, assignment: str, kind: str, name: str) -> dict:
    documents = graded(assignment)
    key = f"{kind}--{name}"
    assert key in documents, f"no result for {key}: {sorted(documents)[:5]}"
    document = documents[key]
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    return document


@pytest.mark.parametrize("assignment,name", _params("variants"))
def test_every_correct_variant_gets_full_marks(graded, assignment, name):
    document = _document(graded, assignment, "variants", name)
    lost = {t["extra_data"]["item"]: t["output"] for t in document["tests"] if t["score"] != t["max_score"]}
    assert lost == {}, f"a correct variant lost points:\n{lost}"


@pytest.mark.parametrize("assignment,name", _params("mistakes"))
def test_every_known_mistake_loses_exactly_its_items_with_a_hint_that_names_it(graded, assignment, name):
    expected = expectations(catalog(assignment) / "mistakes" / f"{name}.py")
    assert expected, f"{name}.py names no 'loses: item: hint' line in its docstring"
    document = _document(graded, assignment, "mistakes", name)
    lost = {t["extra_data"]["item"] for t in document["tests"] if t["score"] != t["max_score"]}
    assert lost == set(expected), {t["extra_data"]["item"]: t["output"] for t in document["tests"]
                                   if t["score"] != t["max_score"]}
    for test in document["tests"]:
        for phrase in expected.get(test["extra_data"]["item"], ()):
            assert phrase in test["output"], f"{test['extra_data']['item']}: {phrase!r} not in:\n{test['output']}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_catalog_has_enough_variants_and_a_variant_of_every_function(assignment):
    module = rubric.load(REPO / "rubrics" / assignment / "rubric.json").module
    starter = ast.parse((REPO / "assignments" / assignment / f"{module}.py").read_text())
    functions = {n.name for n in starter.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    variants = entries(assignment, "variants")
    assert len(variants) >= MIN_VARIANTS
    defined = set()
    for path in variants:
        defined |= {n.name for n in ast.parse(path.read_text()).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert functions - defined == set(), "functions with no correct variant in the catalog"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_rubric_item_is_lost_by_some_catalogued_mistake(assignment):
    """Recall, item by item: no item's tests go without a known mistake that they catch."""
    items = {item.id for item in rubric.load(REPO / "rubrics" / assignment / "rubric.json").items}
    lost = {item for path in entries(assignment, "mistakes") for item in expectations(path)}
    assert items - lost == set(), "items no catalogued mistake loses"
    assert lost - items == set(), "mistakes that name items the rubric does not have"
