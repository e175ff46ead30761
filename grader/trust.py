"""Whether ``grade local`` may import the tests of a folder: they run in the grader's own process.

Test files, and what they import from the folder (mlp's tests load
``mlp_data.py``), run in this process, outside the sandbox, as whoever runs
the command. On a student's own copy that is their business; a TA running it
on a student's folder would run the student's code as themselves. So before
any test is imported, every file ``public_rubric.json`` records
(:func:`grader.manifest.is_checked`: all of ``tests/``, and support code and
data; not the student's module, notebooks or handout) is read once and
compared with its sha256, and ``tests/`` is listed for files the release did
not have (dot files and ``__pycache__`` aside, as the release leaves them
out): a changed, added or missing file, or a public rubric without hashes, is
refused (:class:`UntrustedFolder`, exit code 2) with each file named. The
bytes that were checked are then copied into a private folder and the tests
run from there, so nothing else of the folder (a planted
``__pycache__/*.pyc``, a file swapped after the check) is ever imported. Whoever can edit
``public_rubric.json`` can change the hashes too: that stops nobody on their
own machine, which is fine; course staff grade a folder they do not trust
with ``grade run SUBMISSION -a NAME --public-only``, which runs the course's
own public tests. In ``assignments/<name>/`` the tests are the course's own
and are not checked, but only when that course is the one this grader
trusts: the folder ``$NNGRADE_COURSE`` names, or the repository the grader
was installed from. A folder that merely looks like a course (a submission
holding ``rubrics/`` and ``assignments/``) is refused like a changed release.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import grader
from grader import course as course_module
from grader.error import UsageError
from grader.failure import escape
from grader.manifest import PUBLIC_RUBRIC, RELEASED_SHA256, sha256_hex, tree

if TYPE_CHECKING:
    from grader.local import LocalAssignment


class UntrustedFolder(UsageError):
    """A refusal, not a fault: the folder's tests are not ones this grader may import
    (changed since the release, no hashes to check them by, or a course look-alike)."""


def trusted_courses() -> set[Path]:
    """Course folders whose tests may be imported unchecked: the one $NNGRADE_COURSE names and
    the one this grader was installed from (an editable install in the course repository).
    Never one found from the working directory: a submission can hold a course look-alike."""
    roots = {Path(grader.__file__).resolve().parent.parent}
    if os.environ.get(course_module.ENV_COURSE):
        roots.add(Path(os.environ[course_module.ENV_COURSE]).resolve())
    return roots


def instead(name: str) -> str:
    return (f"Course staff grading someone else's folder: `grade run SUBMISSION -a {name} --public-only` "
            "runs the course's own public tests on it.")


def _inside(relative: str) -> bool:
    """A recorded path names a file inside the folder (it is untrusted: no "..", no absolute path)."""
    path = PurePosixPath(relative)
    return (bool(relative) and not path.is_absolute() and "\\" not in relative and ":" not in relative
            and all(part not in ("", ".", "..") for part in relative.split("/")))


def checked_tests(assignment: LocalAssignment) -> dict[str, bytes]:
    """The files the public tests may load, {path in the folder: bytes} as read now, once they
    are shown to be the released ones; :class:`UntrustedFolder` otherwise. Nothing is imported."""
    if assignment.course_tests:
        return {}  # the trusted course's own folder: its tests run where they are
    rubric_path = assignment.root / PUBLIC_RUBRIC
    why = ("test files, and what they load from the folder, run in the grader's own process, outside the "
           "sandbox, as whoever runs it, so `grade local` runs only what was released with the assignment.")
    recorded = assignment.released
    if not (isinstance(recorded, dict) and recorded and all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in recorded.items())):
        raise UntrustedFolder(
            f"{escape(str(rubric_path), 500)} records no hashes of the released tests (\"{RELEASED_SHA256}\"), "
            f"so nothing shows that {escape(str(assignment.root / 'tests'), 500)} holds them; {why}\n"
            f"Your own copy: download the assignment again (one released by an older `grade release` has no "
            f"hashes). {instead(assignment.name)}")
    problems, found = [], {}
    for path in sorted(recorded):
        if not _inside(path):
            problems.append(f"{escape(path, 300)}: {PUBLIC_RUBRIC} names a file outside the folder")
            continue
        try:
            if not (assignment.root / path).is_file():  # never block on a named pipe
                raise FileNotFoundError(path)
            data = (assignment.root / path).read_bytes()
        except OSError:
            problems.append(f"{escape(path, 300)}: missing (the release has it)")
            continue
        if sha256_hex(data) != recorded[path].lower():
            problems.append(f"{escape(path, 300)}: changed since the release")
        found[path] = data
    for path in tree(assignment.root / "tests"):
        if f"tests/{path}" not in recorded:
            problems.append(f"{escape('tests/' + path, 300)}: not in the release")
    if problems:
        raise UntrustedFolder(
            f"the tests in {escape(str(assignment.root), 500)}, or files they load, are not the ones released "
            f"with the assignment; {why}\n  "
            + "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
            + f"\nYour own copy: download the assignment again, or restore these files. {instead(assignment.name)}")
    return found
