"""Gradescope: the autograder zip, and what runs inside it (``python -m grader.gradescope``).

The zip (Gradescope's autograder specification) holds at its root ``setup.sh`` and
``run_autograder``, the course files the assignment needs under ``course/``, and
nngrade's own source under ``nngrade/`` with ``constraints.txt`` pinning the versions
of its dependencies used to build the zip. Gradescope unpacks it into
``/autograder/source``; ``setup.sh`` installs nngrade (from the zip, with pip; only
numpy and the other dependencies come from PyPI) into a venv outside the source folder,
and makes ``/autograder/source`` root's alone (mode 0700). ``run_autograder`` grades
``/autograder/submission`` into ``/autograder/results/results.json`` with the
``unprivileged`` sandbox (student code runs as ``nobody``: it cannot read the source
folder, where the hidden tests and solution are, nor write the results folder), and
writes a valid fallback result if anything fails.

Every root path comes from an environment variable, so the layout can be simulated
in a temporary folder: ``NNGRADE_AUTOGRADER_ROOT`` (default ``/autograder``),
``NNGRADE_VENV`` (default ``/usr/local/nngrade``), ``NNGRADE_PYTHON`` (default
``python3``), ``NNGRADE_GRADESCOPE_SANDBOX`` (default ``unprivileged``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from grader import __version__
from grader.exporter import Exporter, ExportError, Option, Report
from grader.failure import GraderError
from grader.storage import write_atomically

ROOT_ENV, VENV_ENV, PYTHON_ENV, SANDBOX_ENV = ("NNGRADE_AUTOGRADER_ROOT", "NNGRADE_VENV", "NNGRADE_PYTHON",
                                               "NNGRADE_GRADESCOPE_SANDBOX")
DEFAULT_ROOT, DEFAULT_VENV = "/autograder", "/usr/local/nngrade"
DEPENDENCIES = ("numpy", "pytest", "nbformat", "nbconvert", "jsonschema", "click", "pyyaml")
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # holds pyproject.toml when run from a checkout
FALLBACK_NOTE = ("GRADER ERROR (not your fault; the course staff will look at it): the autograder could not "
                 "grade this submission.")

SETUP_SH = r"""#!/usr/bin/env bash
# nngrade autograder setup (Gradescope runs it once, as root, when it builds the image).
set -euo pipefail
ROOT="${NNGRADE_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="${NNGRADE_VENV:-/usr/local/nngrade}"
PYTHON="${NNGRADE_PYTHON:-python3}"
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y python3-venv python3-pip
fi
# The venv lives outside the source folder: the worker user must be able to run it.
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c "$SOURCE/constraints.txt" "$SOURCE/nngrade"
chmod -R a+rX,go-w "$VENV"
chmod 755 "$SOURCE/run_autograder" 2>/dev/null || true
# Hidden tests and solutions: root's alone.
chmod 700 "$SOURCE"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# nngrade autograder: grades $ROOT/submission into $ROOT/results/results.json.
ROOT="${NNGRADE_AUTOGRADER_ROOT:-/autograder}"
VENV="${NNGRADE_VENV:-/usr/local/nngrade}"
mkdir -p "$ROOT/results"
cd "$ROOT"
"$VENV/bin/python" -I -m grader.gradescope --root "$ROOT" || true
if [ ! -s "$ROOT/results/results.json" ]; then
    # Python itself could not run: still a result Gradescope reads, saying it was our fault.
    cat > "$ROOT/results/results.json" <<'EOF'
__FALLBACK__
EOF
fi
"""


def fallback(message: str, *, execution_time: float = 0.0) -> dict:
    """A results.json valid under Gradescope's specification when nothing could be graded."""
    return {"score": 0, "execution_time": round(execution_time, 3), "output": f"{FALLBACK_NOTE}\n{message}".strip(),
            "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
            "tests": [{"name": "[grader error] autograder", "name_format": "text", "score": 0, "max_score": 0,
                       "status": "failed", "output": FALLBACK_NOTE, "output_format": "text",
                       "visibility": "visible"}],
            "extra_data": {"status": "grader_error", "grader_version": __version__}}


def for_gradescope(document: dict) -> dict:
    """A result document as results.json: hidden items show once grades are published
    (``after_published``), and a grader error says so in the test's name."""
    document = json.loads(json.dumps(document))
    for test in document["tests"]:
        if test.get("visibility") == "hidden":
            test["visibility"] = "after_published"
        if test["extra_data"]["outcome"] == "grader_error" and not test["name"].startswith("[grader error]"):
            test["name"] = "[grader error] " + test["name"]
    return document


def _course_files(root: Path, assignment) -> list[tuple[Path, str]]:
    """(file, path in the zip) of every course file grading ``assignment`` needs."""
    from grader import course as course_module

    names, todo = [], [assignment.name]
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.append(name)
        todo += list(course_module.load(root, name).rubric.requires)
    files = []
    for name in names:
        for folder in (root / "assignments" / name, root / "rubrics" / name, root / "solutions" / name):
            if folder.is_dir():
                for path in sorted(folder.rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
                        files.append((path, "course/" + path.relative_to(root).as_posix()))
    for extra in ("course.json",):
        if (root / extra).is_file():
            files.append((root / extra, f"course/{extra}"))
    return files


def _package_files() -> list[tuple[Path, str]]:
    package = Path(__file__).resolve().parent
    files = [(p, "nngrade/grader/" + p.relative_to(package).as_posix()) for p in sorted(package.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".json")]
    for name in ("pyproject.toml", "README.md"):
        if not (PACKAGE_ROOT / name).is_file():
            raise ExportError(f"nngrade's {name} is not at {PACKAGE_ROOT}: build the zip from a source checkout "
                              "(pip install -e .)")
        files.append((PACKAGE_ROOT / name, f"nngrade/{name}"))
    return files


def _constraints() -> str:
    lines = []
    for name in DEPENDENCIES:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return "".join(line + "\n" for line in lines)


def build(*, assignment: str, output: Path, course: Path | None = None) -> Report:
    """Write the autograder zip for ``assignment`` of the course at ``course``."""
    from grader import course as course_module

    root = course_module.find_root(course)
    try:
        graded = course_module.load(root, assignment)
    except GraderError as exc:
        raise ExportError(str(exc)) from None
    if not graded.solution.is_file():
        raise ExportError(f"{graded.solution}: the reference solution is missing")
    config = {"schema_version": 1, "assignment": assignment, "module": graded.module, "grader_version": __version__}
    run_script = RUN_AUTOGRADER.replace("__FALLBACK__", json.dumps(fallback("run_autograder: Python did not run.")))
    buffer = io.BytesIO()
    entries = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def add_text(name: str, text: str, mode: int = 0o644) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)

        add_text("setup.sh", SETUP_SH, 0o755)
        add_text("run_autograder", run_script, 0o755)
        add_text("nngrade.json", json.dumps(config, indent=2) + "\n")
        add_text("constraints.txt", _constraints())
        for path, name in _course_files(root, graded) + _package_files():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            entries += 1
    write_atomically(Path(output), buffer.getvalue())
    return Report(Path(output), entries + 4, [f"course {root}, assignment {assignment}; upload it as the "
                                               "autograder of a Gradescope programming assignment"])


# -- inside the container -------------------------------------------------------------

def _lock_down(source: Path, results: Path) -> None:
    """The source folder root's alone; the results folder not writable by others."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(source, 0, 0)
        os.chmod(source, 0o700)
        results.mkdir(parents=True, exist_ok=True)
        os.chown(results, 0, 0)
        os.chmod(results, 0o755)


def run(*, root: Path, sandbox_backend: str | None = None) -> dict:
    """Grade ``root/submission`` into ``root/results/results.json``; always writes a result."""
    started = time.monotonic()
    source, submission, results = root / "source", root / "submission", root / "results"
    results.mkdir(parents=True, exist_ok=True)
    target = results / "results.json"
    try:
        config = json.loads((source / "nngrade.json").read_text("utf-8"))
        _lock_down(source, results)
        from grader import api
        from grader import result as result_module

        private = Path(tempfile.mkdtemp(prefix="nngrade-gradescope-"))  # 0700, root's: the parent the worker never sees
        try:
            copy = private / "submission"
            shutil.copytree(submission, copy, symlinks=False)
            document = api.run(submission=copy, assignment=config["assignment"], course=source / "course",
                               sandbox_backend=sandbox_backend or os.environ.get(SANDBOX_ENV, "unprivileged"))
        finally:
            shutil.rmtree(private, ignore_errors=True)
        document = for_gradescope(document)
        result_module.write(target, document)
        return document
    except BaseException as exc:  # whatever happened, Gradescope gets a result saying it was ours
        message = str(exc) if isinstance(exc, (GraderError, RuntimeError)) else \
            "internal error: " + "".join(traceback.format_exception(exc))[-2000:]
        print(message, file=sys.stderr)
        document = fallback(message, execution_time=time.monotonic() - started)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        os.replace(tmp, target)
        if not isinstance(exc, Exception):
            raise
        return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope", description="Gradescope's run_autograder.")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT)))
    parser.add_argument("--sandbox", default=None)
    args = parser.parse_args(argv)
    document = run(root=args.root, sandbox_backend=args.sandbox)
    print(f"{document['score']:g} points; {document['extra_data'].get('status')}")
    return 0


def export(*, assignment: str, output: Path, course: Path | None = None) -> Report:
    return build(assignment=assignment, output=output, course=course)


EXPORTER = Exporter(
    name="gradescope",
    summary="Gradescope autograder zip (setup.sh, run_autograder, the course files and a pinned nngrade).",
    options=(
        Option("assignment", "Assignment name, e.g. layers.", required=True, flags=("-a", "--assignment")),
        Option("output", "Zip to write.", kind="output", required=True, flags=("-o", "--output")),
        Option("course", "Course folder (default: $NNGRADE_COURSE, else found from here).", kind="path"),
    ),
    run=export,
)


if __name__ == "__main__":
    sys.exit(main())
