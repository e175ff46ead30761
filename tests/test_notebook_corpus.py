"""The notebook corpus (tests/fixtures/notebooks/, written by its make_corpus.py): every notebook,
each the reference solution of an assignment as a student would write it, grades exactly like its
.py twin, in the default mode and with --execute."""

import functools
import json
import shutil
import warnings

import pytest
from conftest import REPO, SHORT_LIMITS, scores

from grader import api, course
from grader.sandbox import SandboxWarning

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

CORPUS = REPO / "tests" / "fixtures" / "notebooks"
NOTEBOOKS = json.loads((CORPUS / "CORPUS.json").read_text())


def stage(folder, assignment):
    """A submission folder holding the student's own copies of the modules the assignment requires."""
    folder.mkdir(parents=True)
    for module, dependency in course.load(REPO, assignment).required_modules().items():
        shutil.copyfile(dependency, folder / f"{module}.py")
    return folder


def grade(folder, assignment, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SandboxWarning)
        return api.run(submission=folder, assignment=assignment, course=REPO, seed=7, limits=SHORT_LIMITS, **kwargs)


@functools.lru_cache(maxsize=None)
def twin_scores(assignment, tmp_root):
    """Per-item scores of the reference .py (graded once per assignment and test process)."""
    folder = stage(tmp_root / f"twin-{assignment}", assignment)
    shutil.copyfile(REPO / "solutions" / assignment / f"{assignment}.py", folder / f"{assignment}.py")
    return scores(grade(folder, assignment))


@pytest.fixture(scope="module")
def twin_root(tmp_path_factory):
    return tmp_path_factory.mktemp("twins")


def test_the_corpus_has_at_least_20_notebooks_of_every_assignment_and_each_v4_minor():
    assert len(NOTEBOOKS) >= 20
    assert set(NOTEBOOKS.values()) == set(course.names(REPO))
    minors = {json.loads((CORPUS / f"{name}.ipynb").read_bytes())["nbformat_minor"] for name in NOTEBOOKS}
    assert minors == {0, 1, 2, 3, 4, 5}
    assert b"\r\n" in (CORPUS / "layers_crlf.ipynb").read_bytes()


@pytest.mark.parametrize("execute", [False, True], ids=["definitions", "execute"])
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_each_notebook_grades_exactly_like_its_py_twin(tmp_path, twin_root, name, execute):
    assignment = NOTEBOOKS[name]
    folder = stage(tmp_path / "submission", assignment)
    shutil.copyfile(CORPUS / f"{name}.ipynb", folder / f"{assignment}.ipynb")
    document = grade(folder, assignment, execute_notebook=execute)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert scores(document) == twin_scores(assignment, twin_root), document["output"]


def test_the_constant_from_a_call_notebook_names_only_the_call_it_skipped(tmp_path):
    folder = stage(tmp_path / "submission", "losses")
    shutil.copyfile(CORPUS / "losses_constant_from_call.ipynb", folder / "losses.ipynb")
    output = grade(folder, "losses")["output"]
    assert "cell 2, line 4: SQRT2 = np.sqrt(2.0)" in output, output  # no function reads it: skipped, and named
    assert "BCE_EPS = float(" not in output  # bce_loss reads it: computed, as the .py does
