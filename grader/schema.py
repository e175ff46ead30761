"""The JSON schemas shipped with the package, and validation against them."""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema

SCHEMAS = ("rubric", "result", "course", "moodle-grades", "lti-ags-score", "gradescope-results", "audit")


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    """The schema ``name`` (one of :data:`SCHEMAS`) as a dict."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}")
    text = resources.files("grader").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def errors(name: str, document: object, *, formats: bool = False) -> list[str]:
    """Every violation of schema ``name`` in ``document``, each prefixed by its JSON pointer.
    ``formats``: also check ``format`` keywords (dates of LMS score objects)."""
    validator = jsonschema.Draft202012Validator(load(name),
                                                format_checker=jsonschema.FormatChecker() if formats else None)
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append(f"{pointer}: {error.message}")
    return found
