"""Resuming a batch: the key each result was graded under, the stamp that records it, and reuse.

For each result ``results/<student>.json`` the batch writes, just *before* the
result itself, a stamp ``resume/<student>.json`` (same file name):
``{"schema_version", "student_id", "resume_key", "result_sha256"}``, where
``resume_key`` (:func:`resume_key`) is

* ``assignment``, ``submission_sha256``, ``rubric_sha256`` (rubric JSON and every
  test file) and ``grader_version``;
* ``limits``: every field of :class:`grader.limits.Limits`
  (``dataclasses.asdict``, so a field added later joins the key by itself);
* ``sandbox``: the backend the batch runs student code under (``bwrap`` or
  ``subprocess``, after ``auto`` was resolved);
* ``secret_sha256``: :func:`secret_fingerprint` of the course secret (a hash,
  never the secret), so new seeds mean a new key;

and ``result_sha256`` is the hash of the result document it belongs to
(:func:`document_sha256`). With ``--resume`` a student is skipped iff their
result exists, was graded without grader error, its stamp's ``result_sha256``
matches it and its ``resume_key`` equals the key of this run (:func:`reusable`).
Anything else (a setting changed, no stamp: a result from an older nngrade, a
stamp left by a kill between the two writes) is regraded, and listed in
``changes.csv`` when an older result existed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

from grader import __version__
from grader import result as result_module
from grader.limits import Limits
from grader.status import status_of
from grader.storage import write_atomically


def secret_fingerprint(secret: bytes) -> str:
    """A hash of the course secret that tells secrets apart (the resume key holds it; never the secret)."""
    return hashlib.sha256(b"nngrade course secret fingerprint\0" + secret).hexdigest()


def _plain(value):
    """``value`` as JSON data that compares equal after a round trip through a file."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no inf or nan
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def resume_key(*, assignment: str, submission_sha: str, rubric_sha: str, limits: Limits, backend: str,
               secret: bytes) -> dict:
    """Everything a result depends on besides the student's id (see the module docstring)."""
    return _plain({"assignment": assignment, "submission_sha256": submission_sha, "rubric_sha256": rubric_sha,
                   "grader_version": __version__, "limits": dataclasses.asdict(limits), "sandbox": backend,
                   "secret_sha256": secret_fingerprint(secret)})


def document_sha256(document: dict) -> str:
    """A hash of a result document that is the same before writing and after reading it back."""
    canonical = json.loads(json.dumps(document, allow_nan=False))
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def stamp_path(results_dir: Path, name: str) -> Path:
    return results_dir.parent / "resume" / name


def reusable(results_dir: Path, name: str, key: dict) -> tuple[dict | None, dict | None]:
    """(result to reuse, or None; the old result, if any, for changes.csv)."""
    try:
        old = json.loads((results_dir / name).read_text("utf-8"))
        extra = old["extra_data"]
        if not isinstance(extra, dict) or not isinstance(old.get("score"), (int, float)):
            return None, None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    try:
        stamp = json.loads(stamp_path(results_dir, name).read_text("utf-8"))
        same = (stamp["resume_key"] == key and stamp["result_sha256"] == document_sha256(old)
                # (a submission that could not be staged records no hash; the stamp's key holds it)
                and extra.get("submission_sha256") in (key["submission_sha256"],
                                                       "" if status_of(old) == "submission_error" else None)
                and extra.get("rubric_sha256") == key["rubric_sha256"]
                and extra.get("grader_version") == __version__
                and extra.get("status") in ("graded", "submission_error"))
    except (OSError, ValueError, KeyError, TypeError):
        same = False  # no stamp (an older nngrade, or killed between the writes): regrade
    return (old if same else None), old


def save(results_dir: Path, name: str, student_id: str, document: dict, key: dict) -> None:
    """The stamp first, then the result: a kill between them leaves a stamp that matches no result."""
    stamp = {"schema_version": 1, "student_id": student_id, "resume_key": key,
             "result_sha256": document_sha256(document)}
    path = stamp_path(results_dir, name)
    path.parent.mkdir(exist_ok=True)
    write_atomically(path, json.dumps(stamp, indent=2, allow_nan=False) + "\n")
    result_module.write(results_dir / name, document)
