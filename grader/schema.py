"""The JSON schemas shipped with the package, and validation against them."""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema

SCHEMAS = ("rubric", "result", "course", "moodle-grades", "lti-ags-score", "gradescope-results")


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The schema ``name`` ("rubric" or "result") as a dict."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}")
    text = resources.files("grader").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def errors(name: str, document: object) -> list[str]:
    """Every violation of schema ``name`` in ``document``, each prefixed by its JSON pointer."""
    validator = jsonschema.Draft202012Validator(load(name))
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append(f"{pointer}: {error.message}")
    return found
