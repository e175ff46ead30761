"""An assignment's rubric: its items, their points and visibility (``rubrics/<name>/rubric.json``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from grader import schema


class RubricError(Exception):
    """The rubric file is invalid; the message names the file and the JSON pointer."""


@dataclasses.dataclass(frozen=True)
class Item:
    id: str
    title: str
    points: float
    visibility: str
    # What the item checks, for grade audit (see grader.probe.parse_scope); () = derived.
    audit_scope: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Rubric:
    path: Path
    assignment: str
    title: str
    module: str
    items: tuple[Item, ...]
    raw: bytes
    requires: tuple[str, ...] = ()
    # Seconds all of one submission's code may take (None: sized from the limits; see Limits.budget_for).
    time_budget: float | None = None

    @property
    def max_score(self) -> float:
        return sum(item.points for item in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def load(path: Path) -> Rubric:
    """Read and validate a rubric; raise :class:`RubricError` saying what is wrong and where."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"{path}: cannot read the rubric ({exc.strerror})") from None
    try:
        document = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise RubricError(f"{path}: not valid JSON: {exc}") from None
    problems = schema.errors("rubric", document)
    if problems:
        raise RubricError(f"{path}: does not follow rubric.schema.json:\n  " + "\n  ".join(problems))
    seen: dict[str, int] = {}
    for index, entry in enumerate(document["items"]):
        if entry["id"] in seen:
            raise RubricError(f"{path}: /items/{index}/id: duplicate item id {entry['id']!r} "
                              f"(first at /items/{seen[entry['id']]}/id)")
        seen[entry["id"]] = index
    items = tuple(Item(id=e["id"], title=e["title"], points=e["points"], visibility=e["visibility"],
                       audit_scope=tuple(e.get("audit_scope", ())))
                  for e in document["items"])
    total = sum(item.points for item in items)
    if "total_points" in document and abs(total - document["total_points"]) > 1e-9:
        raise RubricError(f"{path}: /total_points: items add up to {total:g}, "
                          f"not {document['total_points']:g}")
    return Rubric(path=path, assignment=document["assignment"], title=document["title"],
                  module=document["module"], items=items, raw=raw, requires=tuple(document.get("requires", ())),
                  time_budget=document.get("time_budget_seconds"))
