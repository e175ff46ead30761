"""A process that grades one submission after another reuses its pytest session
(grader/session.py): the results must be exactly those of a fresh pytest run, and a change
of the course's test files must be seen by the next grading."""

import json
import os
import pdb
import sys

import pytest
from conftest import REFERENCE, REPO, SHORT_LIMITS, stage_fixture

from grader import api, session

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")


@pytest.fixture(autouse=True)
def no_kept_session():
    """Each test starts with no kept session (another test of this worker may have left one)."""
    session.close_all()
    yield
    session.close_all()


def grade(submission, *, course=REPO, assignment="layers", seed=11):
    return api.run(submission=submission, assignment=assignment, course=course, seed=seed, limits=SHORT_LIMITS)


def without_timings(document: dict) -> str:
    """The result document as bytes to compare: all but its timing fields."""
    document = json.loads(json.dumps(document))
    document.pop("execution_time")
    document["extra_data"].pop("time_used_seconds", None)
    return json.dumps(document, sort_keys=True)


def runs_of_the_kept_session() -> int:
    (kept,) = session.kept_sessions()
    return kept.runs


def test_second_grading_in_one_process_gives_the_same_result():
    first = grade(REFERENCE)
    second = grade(REFERENCE)
    assert runs_of_the_kept_session() == 2  # the second grading reused the first one's session
    assert first["score"] == 100
    assert without_timings(second) == without_timings(first)


def test_correct_buggy_correct_in_one_process_gives_the_results_of_fresh_gradings(tmp_path):
    buggy = stage_fixture("buggy_affine_backward_dw_times_n.py", tmp_path)
    sequence = [REFERENCE, buggy, REFERENCE]
    reused = [grade(submission) for submission in sequence]
    assert runs_of_the_kept_session() == 3
    fresh = []
    for submission in sequence:
        session.close_all()
        fresh.append(grade(submission))
    assert [d["score"] for d in reused] == [100, 94, 100]
    assert [without_timings(d) for d in reused] == [without_timings(d) for d in fresh]


# -- a course of its own, free to change -----------------------------------------------------
TEST_FILE = '''import importlib.util
import sys
from pathlib import Path

import pytest
from tinychecks import HELPER_NOTE

from grader.comparison import check_array

_spec = importlib.util.spec_from_file_location("_tiny_data", Path(__file__).parents[3] / "assignments/tiny/tinydata.py")
tinydata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tinydata)
TEARDOWNS = Path(__file__).parents[3] / "teardowns.txt"


@pytest.fixture(scope="session")
def per_session(request):
    state = {"seed": None, "torn_down": False}
    yield state
    state["torn_down"] = True
    with open(TEARDOWNS, "a") as log:
        log.write("session\\n")


@pytest.fixture(scope="module")
def per_module():
    state = {"seed": None, "torn_down": False}
    yield state
    state["torn_down"] = True


@pytest.mark.item("double")
def test_double(student, ref, rng):
    x = rng.standard_normal(5)
    check_array(student.double(x), ref.double(x), name="out")


@pytest.mark.item("fresh")
@pytest.mark.parametrize("repeat", [1, 2])
def test_fixtures_of_every_scope_belong_to_this_grading(per_session, per_module, seed, repeat):
    for state in (per_session, per_module):
        assert not state["torn_down"]
        if state["seed"] is None:
            state["seed"] = seed
        assert state["seed"] == seed, f"a fixture of an earlier grading (seed {state['seed']}, now {seed})"


@pytest.mark.item("fresh")
def test_this_module_and_its_helper_are_the_ones_in_sys_modules():
    assert getattr(sys.modules.get(__name__), "TEARDOWNS", None) is TEARDOWNS
    assert getattr(sys.modules.get("tinychecks"), "HELPER_NOTE", None) is HELPER_NOTE


class TestInstances:
    @pytest.mark.item("fresh")
    def test_each_grading_gets_a_new_instance(self):
        assert not hasattr(self, "used"), "the instance of an earlier grading"
        self.used = True


@pytest.mark.item("notes")
def test_notes():
    assert False, f"MESSAGE-AAAA {HELPER_NOTE} {tinydata.DATA_NOTE}"
'''

RUBRIC = {"schema_version": 1, "assignment": "tiny", "title": "tiny", "module": "tiny",
          "items": [{"id": item, "title": item, "points": 1, "visibility": "visible"}
                    for item in ("double", "fresh", "notes")]}


@pytest.fixture
def tiny(tmp_path):
    """A course with one assignment, ``tiny``: its hidden test file, a helper module beside it
    and a course module the test file loads by path, as test_mlp_hidden.py loads mlp_data.py."""
    root = tmp_path / "course"
    for folder in ("rubrics/tiny/tests", "solutions/tiny", "assignments/tiny"):
        (root / folder).mkdir(parents=True)
    (root / "rubrics/tiny/rubric.json").write_text(json.dumps(RUBRIC))
    (root / "rubrics/tiny/tests/test_tiny.py").write_text(TEST_FILE)
    (root / "rubrics/tiny/tests/tinychecks.py").write_text('HELPER_NOTE = "helper-1"\n')
    (root / "assignments/tiny/tinydata.py").write_text('DATA_NOTE = "data-1"\n')
    (root / "solutions/tiny/tiny.py").write_text("def double(x):\n    return 2 * x\n")
    submission = tmp_path / "student" / "tiny.py"
    submission.parent.mkdir()
    submission.write_text("def double(x):\n    return x + x\n")
    return root, submission


def grade_tiny(tiny, seed=11) -> dict:
    root, submission = tiny
    return grade(submission, course=root, assignment="tiny", seed=seed)


def notes(document: dict) -> str:
    return next(t["output"] for t in document["tests"] if t["extra_data"]["item"] == "notes")


def test_fixtures_of_every_scope_are_new_and_torn_down_in_every_grading(tiny):
    root, _ = tiny
    scores = []
    for number, seed in enumerate((1, 2, 3), start=1):
        document = grade_tiny(tiny, seed=seed)
        scores.append({t["extra_data"]["item"]: t["score"] for t in document["tests"]})
        assert (root / "teardowns.txt").read_text() == "session\n" * number
    assert runs_of_the_kept_session() == 3
    assert scores == [{"double": 1, "fresh": 1, "notes": 0}] * 3


def test_a_changed_hidden_test_file_is_seen_by_the_next_grading(tiny):
    root, _ = tiny
    assert "MESSAGE-AAAA" in notes(grade_tiny(tiny))
    test_file = root / "rubrics/tiny/tests/test_tiny.py"
    test_file.write_text(test_file.read_text().replace("assert False, f\"MESSAGE-AAAA",
                                                       "assert 1 == 2, f\"other message, longer"))
    assert "other message, longer" in notes(grade_tiny(tiny))


def test_a_change_that_keeps_size_and_mtime_is_seen_by_the_next_grading(tiny):
    root, _ = tiny
    assert "MESSAGE-AAAA" in notes(grade_tiny(tiny))
    test_file = root / "rubrics/tiny/tests/test_tiny.py"
    before = os.stat(test_file)
    test_file.write_text(test_file.read_text().replace("MESSAGE-AAAA", "MESSAGE-BBBB"))
    os.utime(test_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(test_file)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert "MESSAGE-BBBB" in notes(grade_tiny(tiny))


def test_changed_helper_and_course_modules_are_seen_by_the_next_grading(tiny):
    root, _ = tiny
    assert "helper-1 data-1" in notes(grade_tiny(tiny))
    (root / "rubrics/tiny/tests/tinychecks.py").write_text('HELPER_NOTE = "helper-2, changed"\n')
    assert "helper-2, changed data-1" in notes(grade_tiny(tiny))
    (root / "assignments/tiny/tinydata.py").write_text('DATA_NOTE = "data-2, changed"\n')
    assert "helper-2, changed data-2, changed" in notes(grade_tiny(tiny))


def test_a_test_file_broken_then_mended_between_gradings_is_seen_each_time(tiny):
    root, _ = tiny
    test_file = root / "rubrics/tiny/tests/test_tiny.py"
    good = test_file.read_text()
    assert grade_tiny(tiny)["extra_data"]["status"] == "graded"
    test_file.write_text(good + "\nthis is not python\n")
    broken = grade_tiny(tiny)
    assert broken["extra_data"]["status"] == "grader_error"
    assert any("test_tiny.py" in error for error in broken["extra_data"]["grader_errors"])
    test_file.write_text(good)
    assert without_timings(grade_tiny(tiny)) == without_timings(grade_tiny(tiny))
    assert grade_tiny(tiny)["extra_data"]["status"] == "graded"


def test_between_gradings_no_test_module_or_pytest_configuration_is_left_in_the_process(tiny):
    def pytest_variables():  # but this test's own PYTEST_CURRENT_TEST, which any inner run ends
        return {k: v for k, v in os.environ.items() if k.startswith("PYTEST_") and k != "PYTEST_CURRENT_TEST"}

    mark_config, set_trace, environment = pytest.mark._config, pdb.set_trace, pytest_variables()
    for _ in range(2):
        grade_tiny(tiny)
        assert session.kept_sessions()  # kept, yet nothing of it outside its runs
        assert pytest.mark._config is mark_config and pdb.set_trace is set_trace
        assert pytest_variables() == environment
        assert not [name for name, module in list(sys.modules.items())
                    if str(getattr(module, "__file__", None) or "").startswith(str(tiny[0]))
                    or name.split(".")[0] in ("rubrics", "tiny", "test_tiny", "tinychecks", "_tiny_data")]
