"""The report of ``grade audit`` (an audit document, ``schemas/audit.schema.json``) for people to read.

:func:`text` is what ``grade audit`` prints on the terminal; the HTML page with the
kill matrix is :func:`grader.auditpage.html`, which shares the helpers here.

Both are pure functions of the document. Every text in it is plain text
(diffs quote source code, messages quote check output): :func:`html` escapes
all of it, :func:`text` shows control characters as visible escapes so that no
string in the document can write escape sequences to the terminal. Both accept
documents with fields missing (they show what is there).
"""

from __future__ import annotations

import math
import re
import textwrap

# ANSI colors of the text report (only with color=True).
_GREEN, _RED, _YELLOW, _BOLD, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"
WIDTH = 100  # lines of the text report are cut to this many characters (diffs excepted)

# States of a cell of the kill matrix, and their fill in the SVG.
KILLED, SURVIVED, COLLATERAL, OUT_OF_SCOPE, UNJUDGED = (
    "killed", "survived", "collateral", "not in scope", "unjudged")
FILLS = {
    KILLED: "#43a047",
    SURVIVED: "#e53935",
    COLLATERAL: "#fb8c00",
    OUT_OF_SCOPE: "#eeeeee",
    UNJUDGED: "url(#hatch-unjudged)",
}
_LEGEND = (
    (KILLED, "expected and lost: the tests caught the change"),
    (SURVIVED, "expected but not lost: the change went unnoticed"),
    (COLLATERAL, "collateral: lost an item outside its scope"),
    (OUT_OF_SCOPE, "neither expected nor lost"),
    (UNJUDGED, "unjudged: could not be graded or probed"),
)
CELL = 12  # px per matrix cell (the rect is one px smaller: a white grid line)

# C0/C1 controls, DEL, line separators and bidi controls (as grader.terminal); \t and \n kept separately.
_BIDI = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_EXCEPT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------

def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def _clean(value: object, *, keep_lines: bool = False) -> str:
    """``value`` as printable text: control characters as visible escapes (newlines kept if asked)."""
    text = "" if value is None else str(value)
    return (_UNSAFE_EXCEPT_LINES if keep_lines else _UNSAFE).sub(_visible, text.expandtabs(4) if keep_lines else text)


def _cut(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters, ending in "…" when cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[:width - 1] + "…"


def _wrap(text: str, indent: str, *, max_lines: int = 3) -> list:
    """``text`` (one paragraph) wrapped to WIDTH with ``indent``, at most ``max_lines`` lines, ending "…" if cut."""
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent, max_lines=max_lines,
                         placeholder=" …", break_on_hyphens=False) or [indent.rstrip()]


def _percent(value: float | None) -> str:
    """0.667 -> "67%"; never shows 100% or 0% for a value that is not exactly 1 or 0; None -> "-"."""
    if value is None or not isinstance(value, (int, float)) or math.isnan(value):
        return "-"
    p = 100 * value
    shown = f"{p:.0f}%"
    if shown == "100%" and value < 1:
        shown = f"{math.floor(p * 10) / 10:.1f}%"
    elif shown == "0%" and value > 0:
        shown = f"{math.ceil(p * 10) / 10:.1f}%"
    return shown


def _number(value: object) -> str:
    """Points and scores: 10 -> "10", 2.5 -> "2.5"."""
    return f"{value:g}" if isinstance(value, (int, float)) else "-"


def _sci(value: object) -> str:
    """A tolerance or relative error: 1e-06 -> "1e-06", None -> "-"."""
    return f"{value:.2g}" if isinstance(value, (int, float)) else "-"


def _count(part: object, whole: object) -> str:
    return f"{part if part is not None else 0}/{whole if whole is not None else 0}"


def _mutants_by_id(document: dict) -> dict:
    return {m.get("id"): m for m in document.get("mutants") or []}


def _surviving_ids(document: dict) -> list:
    """Ids of surviving mutants: those the items list, then any other mutant with status survived."""
    seen: dict = {}
    for item in document.get("items") or []:
        for mutant_id in item.get("survivors") or []:
            seen.setdefault(mutant_id, None)
    for mutant in document.get("mutants") or []:
        if mutant.get("status") == "survived":
            seen.setdefault(mutant.get("id"), None)
    return list(seen)


def _survived_items(document: dict, mutant_id: str) -> list:
    """Items whose survivors list ``mutant_id``."""
    return [item.get("id", "") for item in document.get("items") or [] if mutant_id in (item.get("survivors") or [])]


def _summary_line(summary: dict) -> str:
    return summary.get("line") or ("audit passed" if summary.get("passed") else "audit failed")


def _diff_kind(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return None


def _cell_state(mutant: dict, item_id: str) -> str:
    if mutant.get("status") == "unjudged":
        return UNJUDGED
    expected = item_id in (mutant.get("expected") or [])
    lost = item_id in (mutant.get("lost") or [])
    if expected:
        return KILLED if lost else SURVIVED
    return COLLATERAL if lost else OUT_OF_SCOPE


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

def text(document: dict, *, diffs: bool = True, color: bool = False) -> str:
    """The audit as ``grade audit`` prints it (no trailing newline).

    A header, a table of the rubric items (recall, precision, mistakes caught,
    PASS/FAIL and why), the surviving mutants (with their diffs if ``diffs``),
    the correct variants rejected, the catalogued mistakes that were not ok, the
    tolerances found tight or loose, the warnings, and the summary line last.
    ``color``: ANSI colors for PASS/FAIL and diff lines; otherwise plain text.
    """
    def paint(code: str, value: str) -> str:
        return f"{code}{value}{_RESET}" if color else value

    summary = document.get("summary") or {}
    thresholds = document.get("thresholds") or {}
    items = document.get("items") or []
    lines: list[str] = []

    # Header.
    head = f"Audit of {_clean(document.get('assignment', '?'))}"
    extras = [f"nngrade {_clean(document['grader_version'])}" if document.get("grader_version") else "",
              f"seed {document['seed']}" if document.get("seed") is not None else ""]
    extras = [e for e in extras if e]
    if extras:
        head += f" ({', '.join(extras)})"
    lines.append(_cut(head + f": {summary.get('mutants', 0)} mutants", WIDTH))
    seconds = summary.get("seconds")
    lines.append(_cut(
        f"  {summary.get('killed', 0)} killed, {summary.get('survived', 0)} survived, "
        f"{summary.get('equivalent', 0)} equivalent, {summary.get('unjudged', 0)} unjudged; "
        f"{summary.get('variants', 0)} correct variants, {summary.get('mistakes', 0)} catalogued mistakes"
        + (f"; {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""), WIDTH))
    if thresholds:
        lines.append(_cut(
            f"  passes with recall >= {_percent(thresholds.get('min_recall'))}, "
            f"precision >= {_percent(thresholds.get('min_precision'))}, "
            f"at least {thresholds.get('min_mutants', 0)} judged mutants", WIDTH))

    # Item table.
    lines.append("")
    ids = [_clean(item.get("id", "")) for item in items]
    id_width = min(max([4] + [len(i) for i in ids]), 28)
    header = (f"{'item':<{id_width}}  {'points':>6}  {'killed':>7}  {'recall':>6}  "
              f"{'accepted':>8}  {'precision':>9}  {'mistakes':>8}  verdict")
    lines.append(header)
    for item, item_id in zip(items, ids):
        row = (f"{_cut(item_id, id_width):<{id_width}}  {_number(item.get('points')):>6}  "
               f"{_count(item.get('killed'), item.get('mutants')):>7}  {_percent(item.get('recall')):>6}  "
               f"{_count(item.get('accepted'), item.get('variants')):>8}  {_percent(item.get('precision')):>9}  "
               f"{_count(item.get('mistakes_caught'), item.get('mistakes')):>8}  ")
        passed = bool(item.get("passed"))
        verdict = "PASS" if passed else "FAIL"
        # Problems follow the verdict, one per line, aligned under the first (below the row if no room).
        indent = len(row) + len(verdict) + 1
        if WIDTH - indent < 24:
            indent = 4
        wrapped = [line for problem in item.get("problems") or []
                   for line in textwrap.wrap(_clean(problem), WIDTH - indent, max_lines=2, placeholder=" …")]
        first = wrapped.pop(0) if wrapped and indent > 4 else ""
        lines.append((row + paint(_GREEN if passed else _RED, verdict) + " " + first).rstrip())
        lines += [" " * indent + line for line in wrapped]
    if not items:
        lines.append("(no rubric items)")

    # Surviving mutants, per item; each diff is shown once.
    mutants = _mutants_by_id(document)
    with_survivors = [item for item in items if item.get("survivors")]
    if with_survivors:
        lines += ["", "Surviving mutants"]
        shown: set = set()
        for item in with_survivors:
            survivors = item.get("survivors") or []
            lines.append(_cut(f"  {_clean(item.get('id', ''))}: {len(survivors)} of {item.get('mutants', 0)} "
                              f"mutants survive", WIDTH))
            for mutant_id in survivors:
                mutant = mutants.get(mutant_id) or {}
                where = f"{_clean(mutant.get('function', '?'))}:{mutant.get('line', '?')}" if mutant else "not listed"
                lines.append(_cut(f"    {_clean(mutant_id)}  [{where}]  {_clean(mutant.get('description', ''))}",
                                  WIDTH))
                if not diffs or not mutant.get("diff"):
                    continue
                if mutant_id in shown:
                    lines.append("      (diff shown above)")
                    continue
                shown.add(mutant_id)
                for diff_line in _clean(mutant["diff"], keep_lines=True).rstrip("\n").split("\n"):
                    kind = _diff_kind(diff_line)
                    if color and kind in ("add", "del"):
                        diff_line = paint(_GREEN if kind == "add" else _RED, diff_line)
                    lines.append("      " + diff_line)

    # Correct variants that lost items.
    rejected = [(item, r) for item in items for r in item.get("rejected") or []]
    if rejected:
        lines += ["", "Correct variants rejected"]
        for item, r in rejected:
            lines.append(_cut(f"  {_clean(item.get('id', ''))}: {_clean(r.get('variant', ''))}", WIDTH))
            message = _clean(r.get("message", ""), keep_lines=True).split("\n")
            for part in (m.strip() for m in message[:4]):
                if part:
                    lines += _wrap(part, "      ")

    # Catalogued mistakes not caught exactly.
    wrong = [m for m in document.get("mistakes") or [] if not m.get("ok")]
    if wrong:
        lines += ["", "Catalogued mistakes not graded as expected"]
        for mistake in wrong:
            expected = ", ".join(_clean(i) for i in mistake.get("expected") or []) or "nothing"
            lost = ", ".join(_clean(i) for i in mistake.get("lost") or []) or "nothing"
            line = _cut(f"  FAIL {_clean(mistake.get('name', ''))}: should lose {expected}; lost {lost}", WIDTH)
            lines.append(line.replace("FAIL", paint(_RED, "FAIL"), 1))
            if mistake.get("detail"):
                lines += _wrap(_clean(mistake["detail"]), "      ")

    # Tolerances worth a look.
    flagged = [t for t in document.get("tolerances") or [] if t.get("verdict") in ("tight", "loose")]
    if flagged:
        lines += ["", "Tolerances"]
        for row in flagged:
            verdict = row.get("verdict", "")
            line = (f"  {verdict:<5} {_clean(row.get('test', ''))} [{_clean(row.get('check', ''))}]: "
                    f"rtol {_sci(row.get('rtol'))}, noise {_sci(row.get('noise'))}, "
                    f"nearest bug {_sci(row.get('nearest_bug'))}")
            line = _cut(line, WIDTH)
            if color:
                line = line.replace(verdict, paint(_YELLOW, verdict), 1)
            lines.append(line)
            if row.get("note"):
                lines += _wrap(_clean(row["note"]), "        ", max_lines=2)

    warnings = document.get("warnings") or []
    if warnings:
        lines += ["", "Warnings"]
        for warning in warnings:
            lines += textwrap.wrap(_clean(warning), WIDTH, initial_indent="  - ", subsequent_indent="    ",
                                   max_lines=4, placeholder=" …") or ["  -"]

    lines.append("")
    line = _clean(_summary_line(summary))
    lines.append(paint(_GREEN if summary.get("passed") else _RED, line) if color else line)
    return "\n".join(lines)
