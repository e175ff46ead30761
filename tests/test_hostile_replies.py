"""A worker taken over by student code can send anything back. Whatever it sends costs the
student only the items it touches, never becomes a grader error, never grows the trusted
process past a fixed size and never stretches one submission past its stated budget.

Fixtures are in tests/fixtures/layers/, one per attack, named for what it does.
"""

import json
import subprocess
import sys
import time

from conftest import REPO, SHORT_LIMITS, feedback, full_marks, scores, stage_fixture

from grader import result

ALL_ITEMS = {item["id"] for item in json.loads((REPO / "rubrics" / "layers" / "rubric.json").read_text())["items"]}
# Why 300 MB: the bound for the trusted process, whatever the worker sends.
TRUSTED_RSS_BOUND_MB = 300


def graded_normally(document) -> None:
    result.validate(document)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert document["extra_data"]["grader_errors"] == []


def test_a_60_mib_json_reply_is_refused_unparsed_and_the_grader_stays_under_300_mb(tmp_path):
    folder = stage_fixture("floods_the_grader_with_a_60_mib_json_header.py", tmp_path)
    script = f"""
import json, resource, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {str(REPO)!r})
from grader import api
from grader.limits import DEFAULT_LIMITS
limits = DEFAULT_LIMITS.replace(call_timeout=5, import_timeout=5)
document = api.run(submission={str(folder)!r}, assignment="layers", course={str(REPO)!r}, seed=1, limits=limits)
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"peak_mb": peak_mb, "document": document}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    document = report["document"]
    graded_normally(document)
    assert document["score"] == 0
    assert "JSON part of the message" in document["tests"][0]["output"] or \
        "the remaining checks were not run" in json.dumps(document["tests"])
    assert report["peak_mb"] < TRUSTED_RSS_BOUND_MB, f"the grader peaked at {report['peak_mb']:.0f} MB"


def test_a_100_dimension_array_header_is_the_students_failure_not_a_grader_error(grade_fixture):
    document = grade_fixture("replies_with_a_100_dimension_npy_header.py")
    graded_normally(document)
    assert document["score"] == 0
    assert "dimensions" in document["tests"][0]["output"]


def test_a_short_arguments_after_the_call_list_loses_only_the_mutation_item(grade_fixture):
    document = grade_fixture("replies_with_a_short_arguments_list.py")
    graded_normally(document)
    expected = {item: (0 if item == "inputs_unchanged" else points) for item, points in full_marks(document).items()}
    assert scores(document) == expected
    assert "arguments after the call" in feedback(document, "inputs_unchanged")


def test_a_bad_frame_on_every_reply_restarts_the_worker_a_bounded_number_of_times(grade_fixture):
    started = time.monotonic()
    document = grade_fixture("sends_a_bad_frame_on_every_reply.py")
    graded_normally(document)
    assert document["score"] == 0
    assert document["extra_data"]["worker_restarts"] <= SHORT_LIMITS.max_restarts
    assert "the remaining checks were not run" in json.dumps(document["tests"])
    assert time.monotonic() - started < 30


def test_sleeping_under_the_call_limit_on_every_call_stops_at_the_submission_budget(grade_fixture):
    limits = SHORT_LIMITS.replace(submission_budget=4.0)
    started = time.monotonic()
    document = grade_fixture("sleeps_just_under_the_call_limit_on_every_call.py", limits=limits)
    elapsed = time.monotonic() - started
    graded_normally(document)
    assert document["extra_data"]["time_budget_seconds"] == 4.0
    assert document["extra_data"]["time_used_seconds"] <= 4.0 + 0.5
    assert elapsed < 4.0 + 10
    assert "whole time budget of this submission (4 s in all)" in json.dumps(document["tests"])


def test_the_default_budget_is_sized_from_the_assignment_and_stated_in_the_result(grade_fixture):
    document = grade_fixture("buggy_affine_backward_dw_times_n.py")
    items = len(ALL_ITEMS)
    expected = SHORT_LIMITS.start_timeout + SHORT_LIMITS.import_timeout + items * SHORT_LIMITS.call_timeout
    assert document["extra_data"]["time_budget_seconds"] == expected
    assert 0 < document["extra_data"]["time_used_seconds"] < expected


def test_an_in_place_change_of_a_namedtuple_cache_loses_the_mutation_item(grade_fixture):
    document = grade_fixture("mutates_a_namedtuple_cache_in_backward.py")
    graded_normally(document)
    expected = {item: (0 if item == "inputs_unchanged" else points) for item, points in full_marks(document).items()}
    assert scores(document) == expected
    assert "relu_backward: the cache was modified in place by the function (x (11 of 24 entries) changed)" in feedback(document, "inputs_unchanged")
