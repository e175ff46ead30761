"""``public_rubric.json``: what a release records about itself, written by ``grade release``
(:mod:`grader.release`) and read by ``grade local`` (:mod:`grader.local`).

It is the public part of the rubric (id, title and points of the items the public tests
serve; without the two fields below it follows rubric.schema.json) plus:

``released_sha256``
    {path in the release: sha256 hex} of every released file the public tests may load
    (:func:`is_checked`), which `grade local` checks before it imports any test.
``grader``
    {"version", "fingerprint"} of the grader that made the release
    (:func:`grader.wheel.fingerprint`), which `grade local` compares with its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath

from grader import course as course_module
from grader import grading, schema
from grader.failure import GraderError, escape
from grader.plugin import GradingPlugin
from grader.rubric import Item, Rubric

PUBLIC_RUBRIC = "public_rubric.json"
RELEASED_SHA256 = "released_sha256"
GRADER = "grader"
REQUIREMENTS = "requirements.txt"
WHEELS = "wheels"  # the folder of a release holding the grader's wheel
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", PUBLIC_RUBRIC}
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Why 100: a version string is short ("0.1.0", "1.2.3rc1+local.7"); more is not a version.
MAX_VERSION_CHARS = 100


@dataclasses.dataclass(frozen=True)
class Manifest:
    rubric: Rubric
    released: dict | None  # the released_sha256 field as found (checked by grade local), None if absent
    grader: dict | None  # {"version", "fingerprint"} of the grader that made the release, None if absent


def tree(folder: Path) -> list[str]:
    """The files under ``folder`` as a release has them (no dot file or folder, no ``__pycache__``,
    no symbolic link), as sorted paths relative to ``folder``; none if it is not a folder."""
    folder = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows a linked folder
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIPPED_NAMES]
        for name in filenames:
            path = Path(dirpath) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def is_checked(relative: str, module: str) -> bool:
    """Whether a released file is one the public tests may load (every file under tests/, and
    support code and data: mlp's tests import mlp_data.py, which reads data/digits.csv.gz), so
    that `grade local` checks it against its recorded sha256. Not checked: what the student
    edits or may annotate (``<module>.py``, notebooks, Markdown), requirements.txt, the
    public rubric itself, and wheels in ``wheels/`` (the grader's: installed by pip, never
    loaded by a test; a student who deletes it once installed still has a folder that checks)."""
    path = PurePosixPath(relative)
    if path.parts[0] == "tests":
        return True
    if path.parts[0] == WHEELS and path.suffix == ".whl":
        return False
    return path.suffix not in (".ipynb", ".md") and relative not in {f"{module}.py", REQUIREMENTS, PUBLIC_RUBRIC}


def checked_files(folder: Path, module: str) -> dict[str, bytes]:
    """{path: bytes} of the files of the release in ``folder`` that :func:`is_checked`."""
    return {relative: (Path(folder) / relative).read_bytes() for relative in tree(folder)
            if is_checked(relative, module)}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_rubric(assignment: course_module.Assignment) -> dict:
    """The public part of the rubric: the items some public test serves, with id, title
    and points only. Collects the public tests (imports them; runs none)."""
    rubric = assignment.rubric
    files = assignment.test_files(hidden=False)
    if not files:
        raise GraderError(f"{assignment.public_tests}: no public tests (test_*.py); "
                          "`grade local` would have nothing to run")
    plugin = GradingPlugin(student=None, reference=None, seed=0, item_ids={i.id for i in rubric.items})
    grading.run_tests(assignment=assignment, plugin=plugin, test_files=files, collect_only=True)
    if plugin.collection_errors:
        raise GraderError("the public tests do not import:\n" + "\n".join(plugin.collection_errors))
    unmapped = sorted(node for node, item in plugin.collected.items() if item is None)
    if unmapped:
        raise GraderError("public tests without a valid @pytest.mark.item(...): " + ", ".join(unmapped))
    served = set(plugin.collected.values())
    return {
        "schema_version": 1,
        "assignment": assignment.name,
        "title": rubric.title,
        "module": rubric.module,
        "items": [{"id": i.id, "title": i.title, "points": i.points, "visibility": "visible"}
                  for i in rubric.items if i.id in served],
    }


def rubric_from_document(document: dict, path: Path) -> Rubric:
    """A :class:`Rubric` from a public rubric document (checked against rubric.schema.json)."""
    problems = schema.errors("rubric", document)
    if problems:
        raise GraderError(f"{path}: does not follow rubric.schema.json:\n  " + "\n  ".join(problems))
    items = tuple(Item(id=e["id"], title=e["title"], points=e["points"], visibility=e["visibility"])
                  for e in document["items"])
    return Rubric(path=path, assignment=document["assignment"], title=document["title"],
                  module=document["module"], items=items, raw=json.dumps(document, sort_keys=True).encode())


def read(path: Path) -> Manifest:
    """The public rubric at ``path`` (a student's folder: anyone's file), its fields checked."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"{path} cannot be read ({exc}); download the assignment again") from None
    released = document.pop(RELEASED_SHA256, None) if isinstance(document, dict) else None
    made_with = document.pop(GRADER, None) if isinstance(document, dict) else None
    if made_with is not None and not (
            isinstance(made_with, dict) and set(made_with) == {"version", "fingerprint"}
            and isinstance(made_with["version"], str) and 0 < len(made_with["version"]) <= MAX_VERSION_CHARS
            and isinstance(made_with["fingerprint"], str) and _SHA256.fullmatch(made_with["fingerprint"])):
        raise GraderError(f"{escape(str(path), 500)}: \"{GRADER}\" is not the version and sha256 fingerprint of the "
                          f"grader that made the release; download the assignment again")
    return Manifest(rubric=rubric_from_document(document, path), released=released, grader=made_with)
