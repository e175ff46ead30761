"""``grade new NAME``: the skeleton of a new assignment, ready to be filled in.

It writes, in the course folder:

- ``solutions/NAME/NAME.py``: the annotated reference solution, a forward/backward pair
  with ``# BEGIN SOLUTION`` / ``# END SOLUTION`` blocks for the author to fill in and
  ``# BEGIN PROMPT`` blocks with the hints the starter shows students;
- ``rubrics/NAME/rubric.json``: one item per function;
- ``rubrics/NAME/tests/test_NAME_hidden.py``: one hidden test per function;
- ``assignments/NAME/tests/test_NAME_public.py``: one public test, a worked example;
- ``assignments/NAME/README.md``: the handout's skeleton, one section per function;
- ``rubrics/NAME/catalog/{variants,mistakes}/``: empty, for ``grade audit``.

Nothing is overwritten: an assignment that exists is a usage error. The starter module
and notebook are generated afterwards from the solution by ``grade starter -a NAME``.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path

from grader.error import UsageError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")  # why: it becomes a module name and a folder name


class ScaffoldError(UsageError):
    """The assignment cannot be created: a bad name, or it exists already (the author's input)."""


SOLUTION = '''"""The ``{name}`` assignment: (one sentence on what students build).

Every ``*_forward`` returns ``(out, cache)``; every ``*_backward(dout, cache)`` returns
the gradient of the loss with respect to the forward's input. README.md in this folder
has the math and the rules.
"""

import numpy as np  # noqa: F401  (you will need it)

# BEGIN SOLUTION
# The reference solution: trusted, never shown to students or to grading workers.
# END SOLUTION


def {name}_forward(x):
    """Forward pass of {name}.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Input. Not modified.

    Returns
    -------
    out : ndarray, shape (N, D)
        Output.
    cache : object
        What {name}_backward needs.
    """
    # BEGIN PROMPT
    # TODO: compute out from x; keep in cache what the backward pass needs.
    # END PROMPT
    # BEGIN SOLUTION
    raise NotImplementedError("author: write the reference forward pass of {name} here")
    # END SOLUTION


def {name}_backward(dout, cache):
    """Backward pass of {name}.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient. Not modified.
    cache : object
        From {name}_forward. Not modified.

    Returns
    -------
    dx : ndarray, shape (N, D)
        Gradient with respect to x.
    """
    # BEGIN PROMPT
    # TODO: apply the chain rule to dout with what you kept in the cache.
    # END PROMPT
    # BEGIN SOLUTION
    raise NotImplementedError("author: write the reference backward pass of {name} here")
    # END SOLUTION
'''

HIDDEN_TEST = '''"""Hidden tests of the ``{name}`` assignment: one per function, random inputs drawn from
``rng`` (seeded from the run's seed and the test id). The backward pass is checked against
central differences of the *reference* forward, so a backward consistent with a wrong
forward cannot pass. Helpers: ``grader.testing`` (docs/authoring.md)."""

import pytest

from grader.comparison import check_array
from grader.testing import check_backward, forward

# Why RTOL_FORWARD = 1e-6 and RTOL_GRADCHECK = 5e-5: (measure them: the spread between correct
# forms, far below the smallest plausible bug; `grade audit -a {name}` reports both once the
# catalog has entries). The central difference (h = 1e-5) alone differs by ~1e-7.
RTOL_FORWARD = 1e-6
RTOL_GRADCHECK = 5e-5

SHAPES = [(4, 3), (1, 5), (7, 2)]  # a batch, a batch of one, more rows than columns


@pytest.mark.item("{name}_forward")
@pytest.mark.parametrize("shape", SHAPES)
def test_{name}_forward_matches_reference(student, ref, rng, shape):
    x = rng.standard_normal(shape)
    out, _ = forward(student, "{name}", inputs={{"x": x}})
    check_array(out, ref.{name}_forward(x)[0], name="out", rtol=RTOL_FORWARD)


@pytest.mark.item("{name}_backward")
@pytest.mark.parametrize("shape", SHAPES)
def test_{name}_backward_matches_central_differences(student, ref, rng, shape):
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    check_backward(student, ref, "{name}", inputs={{"x": x}}, dout=dout, rtol=RTOL_GRADCHECK)
'''

PUBLIC_TEST = '''"""Public tests of the ``{name}`` assignment: a small example worked out by hand.
Students run them with `grade local`; passing them does not mean full marks."""

import numpy as np
import pytest

from grader.comparison import check_array
from grader.testing import forward

X = np.array([[1.0, -2.0], [0.5, 3.0]])  # N = 2, D = 2
OUT = None  # TODO (author): {name}_forward's output for X, worked out by hand


@pytest.mark.item("{name}_forward")
def test_{name}_forward_small_example(student):
    out, _ = forward(student, "{name}", inputs={{"x": X}})
    check_array(out, np.asarray(OUT, dtype=float), name="out")
'''

HANDOUT = '''# {title}

(What students build and why, in a paragraph.)

Hand in `{name}.py` (or `{name}.ipynb`). Run `grade local` in this folder to check your
work against the public tests; hidden tests with random inputs grade it.

## {name}_forward

(The definition, with shapes: x is (N, D), out is (N, D).)

## {name}_backward

(The derivative from the notes, and the chain rule: dx from dout and the cache.)

## Rules

- Do not modify the inputs.
- Return float64 arrays of the shapes stated.
'''


def check_name(name: str) -> None:
    """ScaffoldError unless ``name`` can be a module and a folder name."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} cannot name an assignment: use lowercase letters, digits and _ "
                            "(a Python module name, at most 40 characters, starting with a letter)")


def files(name: str) -> dict[str, str]:
    """{relative path: text} of the skeleton of assignment ``name``."""
    title = f"{name.replace('_', ' ').capitalize()}: forward and backward"
    rubric = {
        "schema_version": 1,
        "assignment": name,
        "title": title,
        "module": name,
        "total_points": 10,
        "items": [
            {"id": f"{name}_forward", "title": f"{name}_forward: output", "points": 5, "visibility": "visible"},
            {"id": f"{name}_backward", "title": f"{name}_backward: dx", "points": 5, "visibility": "visible"},
        ],
    }
    fields = {"name": name, "title": title}
    return {
        f"solutions/{name}/{name}.py": SOLUTION.format(**fields),
        f"rubrics/{name}/rubric.json": json.dumps(rubric, indent=2) + "\n",
        f"rubrics/{name}/tests/test_{name}_hidden.py": HIDDEN_TEST.format(**fields),
        f"rubrics/{name}/catalog/variants/.keep": "",
        f"rubrics/{name}/catalog/mistakes/.keep": "",
        f"assignments/{name}/tests/test_{name}_public.py": PUBLIC_TEST.format(**fields),
        f"assignments/{name}/README.md": HANDOUT.format(**fields),
    }


def create(*, root: Path, name: str) -> list[Path]:
    """Write the skeleton of assignment ``name`` into the course at ``root``; the paths written.

    ScaffoldError if the name is not a module name or any of its folders exists already
    (nothing is written then)."""
    check_name(name)
    root = Path(root)
    taken = [root / part / name for part in ("solutions", "rubrics", "assignments") if (root / part / name).exists()]
    if taken:
        raise ScaffoldError(f"assignment {name!r} exists already: {', '.join(str(p) for p in taken)}")
    written = []
    for relative, text in files(name).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
