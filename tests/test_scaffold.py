"""`grade new NAME` scaffolds an assignment an author fills in: the annotated solution's
marked blocks and the worked example of the public test. `grade validate` then passes."""

import json
import subprocess
import sys

import numpy as np
import pytest

from grader import scaffold

# The author's dropout: inverted dropout with a mask drawn from a fixed generator, so the
# reference is deterministic (keep probability 0.75 written out; why fixed: the tests
# compare a student's output with the reference's).
FORWARD = """\
    rng = np.random.default_rng(0)
    mask = (rng.random(x.shape) < 0.75) / 0.75
    out = x * mask
    cache = mask
    return out, cache
"""
BACKWARD = """\
    mask = cache
    dx = dout * mask
    return dx
"""


def grade(*args, cwd):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def fill_block(text: str, placeholder: str, code: str) -> str:
    line = next(line for line in text.splitlines(keepends=True) if placeholder in line)
    return text.replace(line, code, 1)


@pytest.fixture
def course(tmp_path):
    for part in ("assignments", "rubrics", "solutions"):
        (tmp_path / part).mkdir()
    return tmp_path


def test_new_assignment_filled_in_by_its_author_validates(course):
    created = grade("new", "dropout", "--course", str(course), cwd=course)
    assert created.returncode == 0, created.stderr
    for relative in scaffold.files("dropout"):
        assert (course / relative).is_file(), relative
    starter = course / "assignments" / "dropout" / "dropout.py"
    assert starter.is_file() and "BEGIN SOLUTION" not in starter.read_text()

    # Before the author writes the reference, validate says what is missing.
    unfilled = grade("validate", "-a", "dropout", "--course", str(course), "--timeout", "5", cwd=course)
    assert unfilled.returncode == 1
    assert "reference solution gets full marks" in unfilled.stdout and "FAILED" in unfilled.stdout

    solution = course / "solutions" / "dropout" / "dropout.py"
    text = fill_block(solution.read_text(), "reference forward pass", FORWARD)
    solution.write_text(fill_block(text, "reference backward pass", BACKWARD))
    public = course / "assignments" / "dropout" / "tests" / "test_dropout_public.py"
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    out = (x * ((np.random.default_rng(0).random(x.shape) < 0.75) / 0.75)).tolist()
    public.write_text(public.read_text().replace("OUT = None", f"OUT = {json.dumps(out)}"))

    # The starter replaces each marked block: filling the blocks in leaves it as generated.
    check = grade("starter", "-a", "dropout", "--check", "--course", str(course), cwd=course)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "rng.random" not in starter.read_text()

    valid = grade("validate", "-a", "dropout", "--course", str(course), "--seeds", "2", "--timeout", "5", cwd=course)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "dropout: valid" in valid.stdout
    assert "[ok] starter gets zero" in valid.stdout


def test_new_refuses_an_existing_assignment_and_a_bad_name(course):
    assert grade("new", "dropout", "--course", str(course), cwd=course).returncode == 0
    again = grade("new", "dropout", "--course", str(course), cwd=course)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = grade("new", "Drop-Out", "--course", str(course), cwd=course)
    assert bad.returncode == 2 and "cannot name an assignment" in bad.stderr
