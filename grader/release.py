"""``grade release``: the folder students get for an assignment, and proof that nothing secret is in it.

For each assignment, ``OUTDIR/<assignment>/`` holds::

    README.md            the handout, with a closing section on installing the grader and `grade local`
    <module>.py          the starter module, generated from the annotated solution (:mod:`grader.starter`)
    <module>.ipynb       the starter notebook, generated from it too
    tests/               the public tests
    public_rubric.json   id, title and points of the items the public tests serve, nothing else,
                         plus the sha256 of every released file the public tests may load
                         (tests/ and support code or data such as mlp_data.py, not the student's
                         module, notebooks, handout or the grader's wheel) and the version and
                         fingerprint of the grader that made the release (:mod:`grader.manifest`)
    wheels/nngrade-<version>-py3-none-any.whl
                         the grader that made the release, as a wheel (:mod:`grader.wheel`)
    requirements.txt     ``./wheels/nngrade-<version>-py3-none-any.whl``: pip resolves a path in a
                         requirements file against the working directory, so students run
                         ``pip install -r requirements.txt`` in this folder, and need no index for
                         the grader (its dependencies, numpy and the rest, come from an index unless
                         already installed). With ``--requirement LINE`` that line instead, and no wheel.
                         The course's own requirements.txt lines (say, matplotlib) come first.
    ...                  any other file of assignments/<assignment>/ (data, figures; notebooks
                         with their stored outputs cleared)

Nothing is read from ``solutions/`` or ``rubrics/`` except the rubric's public items and
the annotated solution's starter code (what its markers leave). Dot files, ``__pycache__``
and symbolic links are not copied.

Archives and binary files
    The leak check (:mod:`grader.leak`) reads text. So a release holds no archive (zip,
    wheel, tar, 7z, rar, .npz) and no binary file (.pyc, .npy, an image, anything that is
    not UTF-8 text) unless the course lists it in ``allowed_files`` of ``release.json``
    at the course root (:data:`RELEASE_CONFIG_SCHEMA`; fnmatch patterns of
    ``<assignment>/<path in the release>``, e.g. ``"mlp/data/*.npz"``). What can be
    opened is searched all the same, listed or not (:mod:`grader.contents`: zip and tar
    members, nested archives, gzip, bzip2 and xz streams). Compressed *text*
    (``digits.csv.gz``) is searched whole and so needs no listing. What a listed file
    holds that cannot be opened (a 7z archive, an array, an image) ships unsearched, and
    ``grade release`` says so for each.

    One archive needs no listing: the grader's own wheel, at its place in ``wheels/`` and
    byte for byte the one this release built. It is searched like any archive, and every
    file in it must be searchable text, or the release is refused. It holds only the
    grader package: built from the installed package folder's own files (no symbolic link),
    and refused if that folder and the course's ``solutions/`` or ``rubrics/`` overlap.

Every release is built in a temporary folder, and before any is moved into place
:func:`grader.leak.inspect` searches every file of each (and every member of an archive)
for any reference-solution code and any hidden-test code; one leak (or one archive or
binary file the course does not list) and no release is written at all.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import jsonschema

from grader import __version__
from grader import course as course_module
from grader import starter as starter_module
from grader import wheel as wheel_module
from grader.error import UsageError
from grader.failure import GraderError
from grader.leak import inspect
# The public rubric's names stay importable from here (grader.release.public_rubric and the rest).
from grader.manifest import (GRADER, PUBLIC_RUBRIC, RELEASED_SHA256, REQUIREMENTS, SKIPPED_NAMES, WHEELS,
                             checked_files, public_rubric, sha256_hex)

RELEASE_CONFIG = "release.json"
RELEASE_CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "nngrade release configuration (release.json at the course root), schema version 1",
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version"],
    "properties": {
        "$schema": {"type": "string"},
        "schema_version": {"const": 1},
        "allowed_files": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[^/]+/.+"},
            "description": "Archives and binary files a release may ship: fnmatch patterns of "
                           "<assignment>/<path in the release>, e.g. mlp/data/*.npz.",
        },
    },
}
HANDOUT = "README.md"
INSTALL_SECTION = """

---

## Checking your work with `grade local`

This section was added by `grade release`. {install} In this folder (the one holding
`requirements.txt`), run

    pip install -r requirements.txt        # {requirement}

Then, in this folder, run

    grade local

It runs the public tests in `tests/` on your `{module}.py` (or `{module}.ipynb`) and shows
which items pass. It needs no network. Hidden tests run when you submit: they check the
same items with other inputs and may check more, so the public result is not your final score.
"""
SHIPPED = """Install the grader the course uses: the very one that grades your
work, shipped in `wheels/`, so pip needs no network for it (numpy and the grader's other
dependencies come from the package index unless you have them already)."""
PINNED = "Install the grader the course uses (a pinned version)."


@dataclasses.dataclass(frozen=True)
class Released:
    assignment: str
    folder: Path
    files: tuple[str, ...]
    skipped: tuple[str, ...]  # files of the assignment folder not copied (links, dot files)
    unsearched: tuple[str, ...] = ()  # what listed files hold that the leak check could not open


def load_allowed(root: Path) -> tuple[str, ...]:
    """The course's ``allowed_files`` patterns from ``<root>/release.json`` (none if it has no such file)."""
    path = Path(root) / RELEASE_CONFIG
    if not path.is_file():
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"{path}: cannot be read: {exc}") from None
    validator = jsonschema.Draft202012Validator(RELEASE_CONFIG_SCHEMA)
    problems = [f"{path}: /" + "/".join(str(p) for p in e.absolute_path) + f": {e.message}"
                for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]
    if problems:
        raise GraderError("\n".join(problems) + f"\n(see RELEASE_CONFIG_SCHEMA in {__name__})")
    return tuple(document.get("allowed_files", ()))


def build(*, root: Path, names: list[str] | None, output: Path, requirement: str | None = None,
          force: bool = False) -> list[Released]:
    """Write the release of each assignment in ``names`` (default: all) under ``output``; with
    ``requirement`` None, the grader's own wheel goes in each, and requirements.txt points at it.

    All or nothing: every release is built and checked in a temporary folder first;
    only when all are clean are they moved into place."""
    root = Path(root).resolve()
    names = list(names) if names else course_module.names(root)
    if not names:
        raise GraderError(f"the course at {root} has no assignments (no rubrics/<name>/rubric.json)")
    assignments = [course_module.load(root, name) for name in names]
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for assignment in assignments:
        target = output / assignment.name
        if target.exists() and not force:
            raise UsageError(f"{target} already exists; remove it or pass --force to replace it")
    allowed = load_allowed(root)
    shipped = None
    if requirement is None:
        _check_grader_package(root)
        shipped = wheel_module.build()
    package = shipped.files if shipped else wheel_module.package_files()
    made_with = {"version": shipped.version if shipped else __version__,
                 "fingerprint": wheel_module.fingerprint(files=package)}
    # Public by construction (every student installs the grader): exempts hidden-test plumbing only.
    grader_code = tuple(data.decode("utf-8", errors="replace") for path, data in package.items() if path.endswith(".py"))
    staged: list[tuple[course_module.Assignment, Path, tuple[list[str], list[str]]]] = []
    try:
        for assignment in assignments:
            staging = Path(tempfile.mkdtemp(prefix=f".{assignment.name}-release-", dir=output))
            staged.append((assignment, staging, ([], [])))
            skipped, unsearched = _build_one(assignment, staging, requirement=requirement, allowed=allowed,
                                             shipped=shipped, made_with=made_with, grader_code=grader_code)
            staged[-1][2][0].extend(skipped)
            staged[-1][2][1].extend(unsearched)
        released = []
        for assignment, staging, (skipped, unsearched) in staged:
            target = output / assignment.name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
            files = tuple(sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()))
            released.append(Released(assignment=assignment.name, folder=target, files=files, skipped=tuple(skipped),
                                     unsearched=tuple(unsearched)))
        return released
    finally:
        for _, staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)


def _check_grader_package(root: Path) -> None:
    """The grader's wheel holds the package folder's own files (no link: :func:`grader.wheel.package_files`),
    so no course secret gets in unless that folder and the course's secret folders overlap."""
    package = wheel_module.package_folder()
    for secret in (root / "solutions", root / "rubrics"):
        secret = secret.resolve()
        if package.is_relative_to(secret) or secret.is_relative_to(package):
            raise GraderError(f"the grader package at {package} and the course's {secret} lie one inside the other, "
                              f"so the grader's wheel could hold course secrets; nothing was written. Install the "
                              f"grader apart from the course's solutions/ and rubrics/")


def _write_starter(assignment: course_module.Assignment, staging: Path) -> None:
    """The starter module and notebook students get, generated from the annotated solution
    (:func:`grader.starter.generate`) in place of the copies of ``assignments/<name>/`` (which
    ``grade starter`` writes from the same solution): a starter never lags its solution. The
    leak check still reads both, so a solution block its markers missed is refused."""
    made = starter_module.generate(assignment)
    (staging / f"{assignment.module}.py").write_text(made.module_source, encoding="utf-8")
    (staging / f"{assignment.module}.ipynb").write_text(made.notebook, encoding="utf-8")


def _build_one(assignment: course_module.Assignment, staging: Path, *, requirement: str | None,
               allowed: tuple[str, ...], shipped: wheel_module.Wheel | None,
               made_with: dict[str, str], grader_code: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Build one release in ``staging`` and check it; return what was not copied, and what
    listed files hold that could not be searched."""
    source = assignment.root / "assignments" / assignment.name
    if not source.is_dir():
        raise GraderError(f"{source} does not exist")
    skipped = _copy_public(source, staging)
    for notebook in sorted(staging.rglob("*.ipynb")):
        _clear_outputs(notebook, shown=notebook.relative_to(staging))
    _write_starter(assignment, staging)
    shipped_at = None
    if shipped is not None:
        shipped_at = f"{WHEELS}/{shipped.filename}"
        if (staging / shipped_at).exists():
            raise GraderError(f"{source / shipped_at}: the release puts the grader's own wheel there; remove that file")
        (staging / WHEELS).mkdir(exist_ok=True)
        (staging / shipped_at).write_bytes(shipped.data)
        requirement = f"./{shipped_at}"  # against the working directory: pip runs in this folder
    document = public_rubric(assignment)
    # What `grade local` checks the folder against before it imports any test, and its own code against.
    document[RELEASED_SHA256] = {path: sha256_hex(data)
                                 for path, data in checked_files(staging, assignment.module).items()}
    document[GRADER] = dict(made_with)
    (staging / PUBLIC_RUBRIC).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    _write_requirements(staging / REQUIREMENTS, requirement)
    handout = staging / HANDOUT
    text = handout.read_text(encoding="utf-8") if handout.is_file() else f"# {assignment.rubric.title}\n"
    section = INSTALL_SECTION.format(install=SHIPPED if shipped else PINNED, requirement=requirement,
                                     module=assignment.module)
    handout.write_text(text.rstrip("\n") + "\n" + section, encoding="utf-8")
    # The starter .py and notebook get the same time, so that neither counts as changed after
    # the other: `grade local` checks the one the student saves later (ties go to the .py).
    released_at = time.time_ns()
    for starter in (staging / f"{assignment.module}.py", staging / f"{assignment.module}.ipynb"):
        if starter.is_file():
            os.utime(starter, ns=(released_at, released_at))

    def is_allowed(relative: str) -> bool:
        if relative == shipped_at:  # the grader's wheel, if it is the very one built here
            return (staging / relative).read_bytes() == shipped.data
        return any(fnmatch.fnmatchcase(f"{assignment.name}/{relative}", pattern) for pattern in allowed)

    found = inspect(staging, assignment.root, is_allowed=is_allowed, grader_code=grader_code)
    leaks = "\n  ".join(found.leaks[:20])
    if len(found.leaks) > 20:
        leaks += f"\n  ... and {len(found.leaks) - 20} more"
    if found.refused:
        raise GraderError(
            f"the release of {assignment.name} holds archives or binary files the course does not list; nothing was "
            f"written. The leak check reads text, so a release ships such a file only if \"allowed_files\" of "
            f"{Path(assignment.root) / RELEASE_CONFIG} lists it:\n  "
            + "\n  ".join(f"{relative}: {kind}; to ship it, list \"{assignment.name}/{relative}\""
                          for relative, kind in found.refused)
            + (f"\nIt would also leak secret code:\n  {leaks}" if found.leaks else ""))
    if found.leaks:
        raise GraderError(f"the release of {assignment.name} would leak secret code; nothing was written:\n  {leaks}")
    unread = [u for u in found.unsearched if shipped_at and u.startswith(f"{shipped_at} ")]
    if unread:
        raise GraderError("the grader's wheel holds files the leak check cannot read, so it cannot show them free of "
                          "course secrets; nothing was written (the grader package should hold only text: "
                          "reinstall it):\n  " + "\n  ".join(unread[:20]))
    return skipped, found.unsearched


def _copy_public(source: Path, dest: Path) -> list[str]:
    """Copy the assignment folder; return what was not copied (and why)."""
    skipped = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        parts = relative.parts
        if any(part.startswith(".") or part in SKIPPED_NAMES for part in parts):
            continue  # a stray .pyc elsewhere is copied, and refused as a binary file unless listed
        if path.is_symlink():
            skipped.append(f"{relative.as_posix()} (a symbolic link)")
            continue
        if path.is_dir():
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return skipped


def _clear_outputs(path: Path, *, shown: Path) -> None:
    """Stored outputs, execution counts and nbgrader metadata are not handed out."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as exc:
        raise GraderError(f"{shown} (in the assignment folder) is not a readable notebook: {exc}") from None
    for cell in notebook.get("cells", []):
        cell.get("metadata", {}).pop("nbgrader", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    notebook.get("metadata", {}).pop("nbgrader", None)
    nbformat.write(notebook, path)


def _write_requirements(path: Path, requirement: str) -> None:
    lines = []
    if path.is_file():  # the course's own requirements (e.g. matplotlib for the notebook) stay
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if not line.strip().lower().startswith("nngrade")]
    lines.append(requirement)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
