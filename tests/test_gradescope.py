"""Gradescope (grader/gradescope.py) and the unprivileged sandbox backend (grader/sandbox.py).

The autograder zip is run in a simulated Gradescope layout: a folder tree rooted like
/autograder in a temporary folder (NNGRADE_AUTOGRADER_ROOT), setup.sh run with the
system's /usr/bin/python3 into a *clean* venv (NNGRADE_VENV; nngrade is installed from
the zip, its dependencies from the package index), then run_autograder for the
reference, the starter and a hostile submission. That needs root (the worker drops to
nobody), a Python runnable by nobody and the package index: the tests skip otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader import exporter, gradescope, sandbox, schema
from grader.failure import GraderError

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
as_root = pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                             reason="the unprivileged backend switches users: root only")


def test_the_zip_has_setup_and_run_autograder_at_its_root_the_course_and_nngrade(tmp_path):
    out = tmp_path / "autograder.zip"
    exporter.export(lms="gradescope", assignment="layers", course=REPO, output=out)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        config = json.loads(archive.read("nngrade.json"))
    assert {"setup.sh", "run_autograder", "nngrade.json", "constraints.txt"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert {"course/rubrics/layers/rubric.json", "course/solutions/layers/layers.py",
            "nngrade/pyproject.toml", "nngrade/grader/gradescope.py",
            "nngrade/grader/schemas/result.schema.json"} <= names
    assert not any("__pycache__" in n or n.startswith("course/rubrics/losses") for n in names)
    assert config["assignment"] == "layers" and config["module"] == "layers"


def test_the_fallback_and_a_converted_result_follow_the_gradescope_specification():
    fallback = gradescope.fallback("boom")
    assert exporter.schema_errors("gradescope-results", fallback) == []
    assert fallback["tests"][0]["name"].startswith("[grader error]") and "GRADER ERROR" in fallback["output"]
    document = {"score": 0, "output": "x", "output_format": "text", "visibility": "visible",
                "stdout_visibility": "hidden", "extra_data": {},
                "tests": [{"name": "a", "name_format": "text", "score": 0, "max_score": 1, "status": "failed",
                           "output": "", "output_format": "text", "visibility": "hidden",
                           "extra_data": {"item": "a", "outcome": "grader_error", "checks": 1, "checks_passed": 0}}]}
    converted = gradescope.for_gradescope(document)
    assert converted["tests"][0]["visibility"] == "after_published"
    assert converted["tests"][0]["name"] == "[grader error] a"
    assert exporter.schema_errors("gradescope-results", converted) == []


def test_unprivileged_backend_needs_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(GraderError, match="must be started as root"):
        sandbox.choose_backend("unprivileged")


@as_root
def test_unprivileged_backend_says_clearly_when_the_worker_user_cannot_run_this_python():
    python = Path(os.path.realpath(sys.executable))
    if all(os.stat(p).st_mode & 0o001 for p in [python, *python.parents]):
        pytest.skip(f"{python} is runnable by other users here")
    with pytest.raises(GraderError, match="cannot .* as user 65534"):
        sandbox.choose_backend("unprivileged")


# -- the simulated layout ---------------------------------------------------------------

HOSTILE = '''
import glob, os
ROOT = {root!r}
stolen = None
for path in [ROOT + "/source/course/solutions/layers/layers.py",
             *glob.glob(ROOT + "/source/**/layers.py", recursive=True)]:
    try:
        with open(path) as f:
            stolen = f.read()
        break
    except OSError:
        pass
if stolen:
    exec(stolen)  # the reference solution: full marks if it could be read
for name in ("results.json", "pwned"):
    try:
        with open(os.path.join(ROOT, "results", name), "w") as f:
            f.write('{{"score": 100, "tests": []}}')
    except OSError:
        pass
'''


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """(root, env): the zip unpacked like /autograder and set up by its setup.sh in a clean venv."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("root only: run_autograder drops the worker to nobody")
    if subprocess.run([SYSTEM_PYTHON, "-c", "import venv, ensurepip"], capture_output=True).returncode != 0:
        pytest.skip(f"{SYSTEM_PYTHON} cannot make a venv")
    base = Path(tempfile.mkdtemp(prefix="nngrade-gradescope-test-"))  # not under pytest's 0700 folder
    os.chmod(base, 0o755)
    try:
        zip_path = tmp_path_factory.mktemp("zip") / "autograder.zip"
        exporter.export(lms="gradescope", assignment="layers", course=REPO, output=zip_path)
        root = base / "autograder"
        source = root / "source"
        source.mkdir(parents=True)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(source)
            for info in archive.infolist():
                os.chmod(source / info.filename, info.external_attr >> 16 & 0o777)
        shutil.copy2(source / "run_autograder", root / "run_autograder")
        env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/root"),
               gradescope.ROOT_ENV: str(root), gradescope.VENV_ENV: str(base / "venv"),
               gradescope.PYTHON_ENV: SYSTEM_PYTHON}
        for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
            if name in os.environ:
                env[name] = os.environ[name]
        setup = subprocess.run(["bash", str(source / "setup.sh")], cwd=source, env=env, capture_output=True,
                               text=True, timeout=600)
        if setup.returncode != 0:
            pytest.skip(f"setup.sh could not install nngrade (no package index?): {setup.stderr[-800:]}")
        assert os.stat(source).st_mode & 0o777 == 0o700
        yield root, env
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run(root: Path, env: dict, files: dict[str, str]) -> dict:
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert exporter.schema_errors("gradescope-results", document) == []
    return document


def test_run_autograder_gives_the_reference_full_marks(autograder):
    root, env = autograder
    document = _run(root, env, {"layers.py": (REPO / "solutions/layers/layers.py").read_text()})
    assert schema.errors("result", document) == []
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert document["score"] == document["extra_data"]["max_score"] > 0
    assert document["extra_data"]["sandbox"] == "unprivileged"
    assert document["output_format"] == "text" and all(t["output_format"] == "text" for t in document["tests"])
    assert "hidden" not in {t["visibility"] for t in document["tests"]}


def test_run_autograder_gives_the_starter_zero(autograder):
    root, env = autograder
    document = _run(root, env, {"layers.py": (REPO / "assignments/layers/layers.py").read_text()})
    assert document["extra_data"]["status"] == "graded" and document["score"] == 0


def test_a_hostile_submission_reads_nothing_of_the_source_and_writes_nothing_to_the_results(autograder):
    root, env = autograder
    document = _run(root, env, {"layers.py": HOSTILE.format(root=str(root))})
    assert document["extra_data"]["status"] == "graded"
    assert document["score"] == 0  # the solution could not be read, and its own results.json was not kept
    assert not (root / "results" / "pwned").exists()
    assert document["tests"] and document["extra_data"]["max_score"] > 0


def test_run_autograder_writes_a_valid_fallback_when_grading_fails(autograder):
    root, env = autograder
    config = root / "source" / "nngrade.json"
    saved = config.read_text()
    try:
        config.write_text(json.dumps({"assignment": "no_such_assignment"}))
        document = _run(root, env, {"layers.py": "x = 1\n"})
    finally:
        config.write_text(saved)
    assert document["score"] == 0 and "GRADER ERROR" in document["output"]
    assert "no_such_assignment" in document["output"]


def test_the_hostile_submission_would_gain_without_the_unprivileged_backend(autograder):
    """The control: under the plain subprocess backend the same file reads the solution and writes."""
    root, env = autograder
    document = _run(root, {**env, gradescope.SANDBOX_ENV: "subprocess"}, {"layers.py": HOSTILE.format(root=str(root))})
    assert document["score"] == document["extra_data"]["max_score"] > 0
    assert (root / "results" / "pwned").exists()
