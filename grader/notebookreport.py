"""A notebook's report from the worker, checked and escaped, and its feedback (trusted side).

TRUSTED SIDE. The worker (:mod:`grader.worker.notebook`) says what it skipped, changed,
neutralized or could not run; that report is untrusted data: :meth:`Report.from_worker`
refuses anything malformed and escapes every text before it reaches the result.
"""

from __future__ import annotations

import dataclasses
import re

from grader.failure import escape
from grader.worker.cells import CODE_CHARS
from grader.worker.notebook import EXTENSION, MAX_REPORTED, MAX_UNITS, MODES

# Why: the feedback lists at most this many of each kind, then says how many more.
MAX_LISTED = 20

PROBLEM_KINDS = ("not_utf8", "invalid_json", "not_notebook", "old_format", "unknown_format", "unreadable",
                 "bad_cell", "no_code", "syntax", "too_large")
NOTE_KINDS = {"shell": "shell command", "magic": "IPython magic", "cell_magic": "cell magic (the rest of the cell)",
              "ipython": "IPython syntax", "help": "IPython help", "get_ipython": "get_ipython() call (does nothing)",
              # definitions mode: what was changed so that defining runs none of the student's code
              "decorator": "decorator not applied: only a decorator from an import is applied",
              "default": "default value computed when the function is called without it, not when it is defined",
              "class_body": "removed from its class body: not a definition",
              # definitions mode: what could not run as written
              "undecorated": "defined without its decorators",
              "blocked": "skipped: defining it would run your code",
              "raised": "skipped: it raised an exception"}


IPYTHON_KEY = "ipython:"  # starter keys of the starter notebook's own IPython lines (its `!grade local`)


@dataclasses.dataclass(frozen=True)
class Note:
    cell: int
    line: int
    code: str
    kind: str = ""
    error: str = ""
    key: str = ""  # skipped statements: statement_key() of its code
    why: str = ""  # skipped statements: why it is not a definition


@dataclasses.dataclass(frozen=True)
class Report:
    """What the worker says it did with a notebook, checked and escaped (it is untrusted)."""

    mode: str
    skipped: tuple[Note, ...]
    skipped_total: int
    neutralized: tuple[Note, ...]
    neutralized_total: int
    failed_imports: tuple[Note, ...]
    problem: dict | None
    changed: tuple[Note, ...] = ()
    changed_total: int = 0
    failed: tuple[Note, ...] = ()
    failed_total: int = 0

    @classmethod
    def from_worker(cls, raw) -> "Report | None":
        """The report in a worker's reply, or None if it is missing or malformed."""
        try:
            if not isinstance(raw, dict) or raw.get("mode") not in MODES:
                return None
            problem = raw.get("problem")
            if problem is not None:
                if not isinstance(problem, dict) or problem.get("kind") not in PROBLEM_KINDS:
                    return None
                problem = {"kind": problem["kind"], "detail": escape(checked_text(problem.get("detail")), 500),
                           "cell": checked_count(problem.get("cell")), "line": checked_count(problem.get("line")),
                           "code": escape(checked_text(problem.get("code")), CODE_CHARS)}
            return cls(mode=raw["mode"], skipped=_notes(raw.get("skipped")),
                       skipped_total=checked_count(raw.get("skipped_total")),
                       neutralized=_notes(raw.get("neutralized")),
                       neutralized_total=checked_count(raw.get("neutralized_total")),
                       failed_imports=_notes(raw.get("failed_imports")), problem=problem,
                       changed=_notes(raw.get("changed", [])), changed_total=checked_count(raw.get("changed_total", 0)),
                       failed=_notes(raw.get("failed", [])), failed_total=checked_count(raw.get("failed_total", 0)))
        except (TypeError, ValueError, KeyError):
            return None

    def problem_text(self, module: str) -> str:
        """Why the notebook could not be graded, for the student ("" if it could)."""
        if self.problem is None:
            return ""
        kind, detail, cell, line, code = (self.problem[k] for k in ("kind", "detail", "cell", "line", "code"))
        name = f"{module}{EXTENSION}"
        if kind == "syntax":
            text = f"{name} does not compile: cell {cell}, line {line}: {detail}"
            return text + (f"\n    {code}" if code else "") + (
                "\n    (cells are counted from the top of the notebook, markdown cells included)")
        return {
            "not_utf8": f"{name} is not a notebook: it is not UTF-8 text ({detail})",
            "invalid_json": f"{name} is not a valid notebook: it is not valid JSON ({detail}); the file may "
                            "be cut short or edited by hand. Open it in Jupyter, save it, and submit it again",
            "not_notebook": f"{name} is JSON but not a Jupyter notebook (it has no list of cells)",
            "old_format": f"{name} is in the old notebook format {detail} (Jupyter before 2015); open it in a "
                          "current Jupyter and save it (that converts it to format 4), then submit it again",
            "unknown_format": f"{name} says it is in notebook format {detail}; only format 4 can be graded",
            "unreadable": f"{name} cannot be read as a notebook ({detail})",
            "bad_cell": f"{name}: cell {cell} is malformed (its source is not text)",
            "too_large": f"{name} has {detail} top-level definitions (or cells, with --execute); at most "
                         f"{MAX_UNITS} can be graded",
            "no_code": f"{name} has no code: none of its code cells holds any. Write your functions in code "
                       "cells, not markdown cells",
        }[kind]

    def feedback(self, module: str, starter_keys: frozenset[str] = frozenset()) -> str:
        """What was skipped, changed or neutralized, for the student ("" if nothing was).
        Skipped statements and IPython lines that are in the course's starter notebook (``starter_keys``)
        are not listed."""
        name = f"{module}{EXTENSION}"
        parts = []
        skipped = tuple(note for note in self.skipped if not (note.key and note.key in starter_keys))
        total = self.skipped_total - (len(self.skipped) - len(skipped))
        if self.mode == "definitions" and total > 0:
            parts.append(f"{name}: only definitions were run (imports, def, class, assignments of "
                         f"constants); these {total} top-level statements were skipped, and "
                         "your functions must not depend on them:")
            parts += _listed(skipped, total)
        elif self.mode == "execute":
            parts.append(f"{name}: every code cell was run in order.")
        if self.mode == "definitions" and self.changed_total:
            parts.append(f"{name}: so that defining your functions and classes runs none of your code, "
                         f"{_plural(self.changed_total, 'part of them was', 'parts of them were')} changed:")
            parts += _listed(self.changed, self.changed_total)
        if self.mode == "definitions" and self.failed_total:
            parts.append(f"{name}: {_plural(self.failed_total, 'definition', 'definitions')} could not be run "
                         "as written:")
            parts += _listed(self.failed, self.failed_total)
        neutralized = tuple(note for note in self.neutralized if IPYTHON_KEY + note.code not in starter_keys)
        neutralized_total = self.neutralized_total - (len(self.neutralized) - len(neutralized))
        if neutralized_total:
            parts.append(f"{name}: IPython commands never run in grading; these {neutralized_total} "
                         "were not run:")
            parts += _listed(neutralized, neutralized_total)
        if self.failed_imports:
            parts.append(f"{name}: these imports failed and were skipped:")
            parts += _listed(self.failed_imports, len(self.failed_imports))
        return "\n".join(parts)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def checked_text(value) -> str:
    """``value`` if it is text (lone surrogates replaced), else TypeError: a field of a worker's reply."""
    if not isinstance(value, str):
        raise TypeError("not text")
    return value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be printed


def checked_count(value) -> int:
    """``value`` if it is a count (an int >= 0, not a bool), else ValueError: a field of a worker's reply."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("not a count")
    return value


def _notes(raw) -> tuple[Note, ...]:
    if not isinstance(raw, list):
        raise TypeError("not a list")
    notes = []
    for entry in raw[:MAX_REPORTED]:
        if not isinstance(entry, dict):
            raise TypeError("not a note")
        kind = entry.get("kind", "")
        if kind and kind not in NOTE_KINDS:
            raise ValueError("unknown note kind")
        key = checked_text(entry.get("key", ""))
        if not re.fullmatch(r"[0-9a-f]{0,16}", key):
            raise ValueError("not a statement key")
        note = Note(cell=checked_count(entry.get("cell")), line=checked_count(entry.get("line")),
                    code=escape(checked_text(entry.get("code", "")), CODE_CHARS), kind=kind,
                    error=escape(checked_text(entry.get("error", "")), 300), key=key,
                    why=escape(checked_text(entry.get("why", "")), 120))
        if note not in notes:  # the same line is listed once
            notes.append(note)
    return tuple(notes)


def _listed(notes: tuple[Note, ...], total: int) -> list[str]:
    lines = []
    for note in notes[:MAX_LISTED]:
        text = f"    cell {note.cell}, line {note.line}: {note.code}"
        if note.kind:
            text += f"   [{NOTE_KINDS[note.kind]}]"
        if note.error:
            text += f"   ({note.error})"
        if note.why:
            text += f"   ({note.why})"
        lines.append(text)
    if total > len(lines):
        lines.append(f"    ... and {total - len(lines)} more")
    return lines
