"""The report of ``grade audit`` (an audit document, ``schemas/audit.schema.json``) for people to read.

:func:`text` is what ``grade audit`` prints on the terminal; :func:`html` is a
self-contained page (inline CSS, no script, no external resource) with the kill
matrix drawn as an inline SVG: one row per non-equivalent mutant, one column
per rubric item, each cell colored by whether the mutant was expected to lose
the item and whether it did.

Both are pure functions of the document. Every text in it is plain text
(diffs quote source code, messages quote check output): :func:`html` escapes
all of it, :func:`text` shows control characters as visible escapes so that no
string in the document can write escape sequences to the terminal. Both accept
documents with fields missing (they show what is there).
"""

from __future__ import annotations

import html as _html
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


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

def _e(value: object) -> str:
    """``value`` escaped for HTML text and attribute values."""
    raw = "" if value is None else str(value)
    return _html.escape(_UNSAFE_EXCEPT_LINES.sub(_visible, raw), quote=True)


def _heading(anchor: str | None, label: object) -> str:
    """An h3 naming a mutant, the target of its label's link in the kill matrix."""
    target = f' id="{anchor}"' if anchor else ""
    return f'<h3{target} class="mono">{_e(label)}</h3>'


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}h3{font-size:1em;margin-bottom:.2em}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12px}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{background:#e8f5e9;color:#1b5e20}.fail{background:#ffebee;color:#b71c1c}.na{color:#888}
.warn{background:#fff3e0;color:#e65100}
p.summary{font-size:1.1em;font-weight:bold;padding:.4em .6em}
.meta{color:#555}
pre{background:#fafafa;border:1px solid #eee;padding:.5em;overflow-x:auto;white-space:pre}
pre .add{color:#1b5e20;background:#e8f5e9}pre .del{color:#b71c1c;background:#ffebee}
pre .hunk{color:#6a1b9a}pre .file{color:#555;font-weight:bold}
td.msg{white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.matrix{overflow:auto;max-height:80vh;border:1px solid #eee}
ul.legend{list-style:none;padding:0}ul.legend li{display:inline-block;margin-right:1.5em}
.swatch{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:middle;border:1px solid #ccc}
.swatch.unjudged{background:repeating-linear-gradient(45deg,#bbb 0 2px,#555 2px 4px)}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;fill:#222}
svg text.group{font-weight:bold;fill:#555}svg text.item{font-size:10px}
svg a text{fill:#0d47a1;text-decoration:underline}
"""


def _rate_cell(value: float | None, minimum: float | None) -> str:
    if value is None:
        return '<td class="num na">-</td>'
    ok = minimum is None or value >= minimum
    return f'<td class="num {"pass" if ok else "fail"}">{_e(_percent(value))}</td>'


def _diff_html(diff: str) -> str:
    out = []
    for line in diff.rstrip("\n").split("\n"):
        kind = _diff_kind(line)
        out.append(f'<span class="{kind}">{_e(line)}</span>' if kind else _e(line))
    return "<pre class=\"diff\">" + "\n".join(out) + "</pre>"


def _ids(values: object) -> str:
    return ", ".join(_e(v) for v in values or []) or "&#8212;"


def _matrix(document: dict, anchors: dict) -> str:
    """The kill matrix as an inline SVG (or a sentence when there is nothing to draw)."""
    items = [item.get("id", "") for item in document.get("items") or []]
    rows = [m for m in document.get("mutants") or [] if m.get("status") != "equivalent"]
    if not rows or not items:
        return '<p class="na">No non-equivalent mutant and rubric item to draw.</p>'
    groups: dict = {}
    for mutant in rows:  # grouped by function, in order of first appearance
        groups.setdefault(mutant.get("function", ""), []).append(mutant)

    char = 6.7  # px per character of the 11px monospace labels
    label_chars = min(max(len(str(m.get("id", ""))) for m in rows), 40)
    group_chars = min(max(len(str(f)) for f in groups), 60)
    left = int(max(label_chars * char + 16, group_chars * char + 8, 60))
    item_chars = min(max(len(str(i)) for i in items), 30)
    top = int(item_chars * 6.1 + 12)  # column labels: 10px text, vertical
    group_height = 16
    width = int(left + len(items) * CELL + 8)
    height = top + len(rows) * CELL + len(groups) * group_height + 8

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="kill matrix: mutants by rubric items">',
           '<defs><pattern id="hatch-unjudged" width="4" height="4" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><path d="M0 0h4v4h-4z" fill="#bbbbbb"/>'
           '<path d="M0 0v4" stroke="#555555" stroke-width="2"/></pattern></defs>']
    for col, item_id in enumerate(items):
        x = left + col * CELL + CELL / 2 + 3.5  # the baseline: glyphs rise to its left, centred on the column
        out.append(f'<text class="item" x="{x:.1f}" y="{top - 4}" transform="rotate(-90 {x:.1f} {top - 4})">'
                   f'<title>{_e(item_id)}</title>{_e(_cut(str(item_id), 30))}</text>')
    y = top
    for function, mutants in groups.items():
        y += group_height
        out.append(f'<text class="group" x="2" y="{y - 4}">{_e(_cut(str(function), 60))}</text>')
        out.append(f'<line x1="0" x2="{width}" y1="{y - 15}" y2="{y - 15}" stroke="#dddddd"/>')
        for mutant in mutants:
            mutant_id = str(mutant.get("id", ""))
            label = (f'<text x="{left - 6}" y="{y + CELL - 2}" text-anchor="end">'
                     f'<title>{_e(mutant_id)}: {_e(mutant.get("description", ""))} '
                     f'({_e(mutant.get("status", ""))})</title>{_e(_cut(mutant_id, 40))}</text>')
            anchor = anchors.get(mutant_id)
            out.append(f'<a href="#{anchor}">{label}</a>' if anchor else label)
            for col, item_id in enumerate(items):
                state = _cell_state(mutant, item_id)
                out.append(f'<rect x="{left + col * CELL}" y="{y}" width="{CELL - 1}" height="{CELL - 1}" '
                           f'fill="{FILLS[state]}" class="{state.replace(" ", "-")}">'
                           f'<title>{_e(mutant_id)} \u00d7 {_e(item_id)}: {_e(state)}</title></rect>')
            y += CELL
    out.append("</svg>")
    legend = "".join(f'<li><span class="swatch {state.replace(" ", "-")}"'
                     + ("" if state == UNJUDGED else f' style="background:{FILLS[state]}"')
                     + f'></span>{_e(words)}</li>' for state, words in _LEGEND)
    return f'<ul class="legend">{legend}</ul><div class="matrix">{"".join(out)}</div>'


def html(document: dict) -> str:
    """The audit as one self-contained HTML5 page (inline CSS, no JavaScript, no external resource)."""
    summary = document.get("summary") or {}
    thresholds = document.get("thresholds") or {}
    items = document.get("items") or []
    mutants = document.get("mutants") or []
    by_id = _mutants_by_id(document)
    assignment = document.get("assignment", "?")
    min_recall, min_precision = thresholds.get("min_recall"), thresholds.get("min_precision")

    surviving = _surviving_ids(document)
    unjudged = [m for m in mutants if m.get("status") == "unjudged"]
    anchors = {}
    for index, mutant in enumerate(mutants):
        if mutant.get("id") in surviving or mutant.get("status") == "unjudged":
            anchors[mutant.get("id")] = f"mutant-{index}"

    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Test audit: {_e(assignment)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>Test audit: {_e(assignment)}</h1>",
           f'<p class="summary {"pass" if summary.get("passed") else "fail"}">{_e(_summary_line(summary))}</p>']
    meta = []
    if document.get("grader_version"):
        meta.append(f"nngrade {_e(document['grader_version'])}")
    if document.get("seed") is not None:
        meta.append(f"seed {_e(document['seed'])}")
    if document.get("created"):
        meta.append(f"created {_e(document['created'])}")
    if isinstance(summary.get("seconds"), (int, float)):
        meta.append(f"{summary['seconds']:.1f} s")
    if meta:
        out.append(f'<p class="meta">{" &#183; ".join(meta)}</p>')
    out.append(
        f'<p>{_e(summary.get("mutants", 0))} mutants: {_e(summary.get("killed", 0))} killed, '
        f'{_e(summary.get("survived", 0))} survived, {_e(summary.get("equivalent", 0))} equivalent, '
        f'{_e(summary.get("unjudged", 0))} unjudged. Recall {_e(_percent(summary.get("recall")))}, '
        f'precision {_e(_percent(summary.get("precision")))} over {_e(summary.get("variants", 0))} correct '
        f'variants; {_e(summary.get("mistakes", 0))} catalogued mistakes.</p>')
    if thresholds:
        out.append(f'<p class="meta">An item passes with recall &#8805; {_e(_percent(min_recall))} and precision '
                   f'&#8805; {_e(_percent(min_precision))}; the audit needs at least '
                   f'{_e(thresholds.get("min_mutants", 0))} judged, non-equivalent mutants.</p>')

    # Items.
    out.append("<h2>Rubric items</h2>")
    if items:
        out.append("<table><thead><tr><th>Item</th><th>Points</th><th>Killed</th><th>Recall</th><th>Accepted</th>"
                   "<th>Precision</th><th>Mistakes caught</th><th>Verdict</th></tr></thead><tbody>")
        for item in items:
            caught, expected = item.get("mistakes_caught", 0), item.get("mistakes", 0)
            mistakes_class = "na" if not expected else ("pass" if caught == expected else "fail")
            passed = bool(item.get("passed"))
            problems = "; ".join(str(p) for p in item.get("problems") or [])
            out.append(
                f'<tr><td class="mono">{_e(item.get("id", ""))}</td><td class="num">{_e(_number(item.get("points")))}</td>'
                f'<td class="num">{_e(_count(item.get("killed"), item.get("mutants")))}</td>'
                f'{_rate_cell(item.get("recall"), min_recall)}'
                f'<td class="num">{_e(_count(item.get("accepted"), item.get("variants")))}</td>'
                f'{_rate_cell(item.get("precision"), min_precision)}'
                f'<td class="num {mistakes_class}">{_e(_count(caught, expected))}</td>'
                f'<td class="{"pass" if passed else "fail"}">{"PASS" if passed else "FAIL"}'
                f'{(": " + _e(problems)) if problems else ""}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p class="na">No rubric items.</p>')

    # Kill matrix.
    out.append("<h2>Kill matrix</h2>")
    out.append('<p class="meta">One row per non-equivalent mutant (grouped by the function it changes), one '
               'column per rubric item. Hover a cell for its state; click a label to see the mutant.</p>')
    out.append(_matrix(document, anchors))

    # Surviving mutants.
    if surviving:
        out.append("<h2>Surviving mutants</h2>")
        for mutant_id in surviving:
            mutant = by_id.get(mutant_id) or {}
            anchor = anchors.get(mutant_id)
            out.append(_heading(anchor, mutant_id))
            out.append(f'<p>{_e(mutant.get("description", ""))} &#8212; <code>{_e(mutant.get("function", "?"))}</code>'
                       f' line {_e(mutant.get("line", "?"))}, operator <code>{_e(mutant.get("operator", "?"))}</code>.'
                       f' Survives in: {_ids(_survived_items(document, mutant_id))}; lost: {_ids(mutant.get("lost"))}.'
                       f'</p>')
            if mutant.get("diff"):
                out.append(_diff_html(str(mutant["diff"])))

    # Unjudged mutants.
    if unjudged:
        out.append("<h2>Unjudged mutants</h2>")
        for mutant in unjudged:
            anchor = anchors.get(mutant.get("id"))
            out.append(_heading(anchor, mutant.get("id", "")))
            out.append(f'<p>{_e(mutant.get("description", ""))} &#8212; <code>{_e(mutant.get("function", "?"))}'
                       f'</code> line {_e(mutant.get("line", "?"))}.</p>')
            if mutant.get("detail"):
                out.append(f'<pre>{_e(mutant["detail"])}</pre>')

    # Collateral losses.
    collateral = [m for m in mutants if m.get("status") not in ("equivalent", "unjudged")
                  and set(m.get("lost") or []) - set(m.get("expected") or [])]
    if collateral:
        out.append("<h2>Collateral losses</h2>")
        out.append('<p class="meta">Mutants that lost items outside their scope: the tests of those items '
                   'depend on more than the item.</p>')
        out.append("<table><thead><tr><th>Mutant</th><th>Function</th><th>Expected</th><th>Lost</th>"
                   "<th>Outside its scope</th></tr></thead><tbody>")
        for mutant in collateral:
            outside = [i for i in mutant.get("lost") or [] if i not in (mutant.get("expected") or [])]
            out.append(f'<tr><td class="mono">{_e(mutant.get("id", ""))}</td><td class="mono">'
                       f'{_e(mutant.get("function", ""))}</td><td>{_ids(mutant.get("expected"))}</td>'
                       f'<td>{_ids(mutant.get("lost"))}</td><td class="warn">{_ids(outside)}</td></tr>')
        out.append("</tbody></table>")

    # Correct variants.
    variants = document.get("variants") or []
    out.append("<h2>Correct variants</h2>")
    if variants:
        out.append("<table><thead><tr><th>Variant</th><th>Score</th><th>Lost</th></tr></thead><tbody>")
        for variant in variants:
            lost = variant.get("lost") or []
            out.append(f'<tr><td class="mono">{_e(variant.get("name", ""))}</td>'
                       f'<td class="num {"fail" if lost else "pass"}">{_e(_number(variant.get("score")))} / '
                       f'{_e(_number(variant.get("max_score")))}</td><td>{_ids(lost)}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p class="na">No correct variants in the catalog.</p>')
    rejected = [(item, r) for item in items for r in item.get("rejected") or []]
    if rejected:
        out.append("<h3>Rejected variants</h3>")
        out.append("<table><thead><tr><th>Item</th><th>Variant</th><th>Message of the failing check</th></tr>"
                   "</thead><tbody>")
        for item, r in rejected:
            out.append(f'<tr><td class="mono">{_e(item.get("id", ""))}</td><td class="mono">'
                       f'{_e(r.get("variant", ""))}</td><td class="msg">{_e(r.get("message", ""))}</td></tr>')
        out.append("</tbody></table>")

    # Catalogued mistakes.
    mistakes = document.get("mistakes") or []
    out.append("<h2>Catalogued mistakes</h2>")
    if mistakes:
        out.append("<table><thead><tr><th>Mistake</th><th>Must lose</th><th>Lost</th><th>OK</th><th>Detail</th></tr>"
                   "</thead><tbody>")
        for mistake in mistakes:
            ok = bool(mistake.get("ok"))
            out.append(f'<tr><td class="mono">{_e(mistake.get("name", ""))}</td><td>{_ids(mistake.get("expected"))}'
                       f'</td><td>{_ids(mistake.get("lost"))}</td><td class="{"pass" if ok else "fail"}">'
                       f'{"yes" if ok else "no"}</td><td class="msg">{_e(mistake.get("detail", ""))}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p class="na">No catalogued mistakes.</p>')

    # Tolerances.
    tolerances = document.get("tolerances") or []
    out.append("<h2>Tolerances</h2>")
    if tolerances:
        out.append('<p class="meta">noise: largest relative error of correct solutions; nearest bug: smallest '
                   'relative error of a killed mutant. Tight: rtol &lt; 100 &#215; noise; loose: nearest bug '
                   '&lt; 10 &#215; rtol.</p>')
        out.append("<table><thead><tr><th>Test</th><th>Check</th><th>rtol</th><th>Noise</th><th>Nearest bug</th>"
                   "<th>Verdict</th><th>Note</th></tr></thead><tbody>")
        verdict_class = {"ok": "pass", "tight": "fail", "loose": "warn", "unmeasured": "na"}
        for row in tolerances:
            verdict = row.get("verdict", "")
            out.append(f'<tr><td class="mono">{_e(row.get("test", ""))}</td><td class="mono">{_e(row.get("check", ""))}'
                       f'</td><td class="num">{_e(_sci(row.get("rtol")))}</td><td class="num">'
                       f'{_e(_sci(row.get("noise")))}</td><td class="num">{_e(_sci(row.get("nearest_bug")))}</td>'
                       f'<td class="{verdict_class.get(verdict, "na")}">{_e(verdict)}</td>'
                       f'<td>{_e(row.get("note", ""))}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p class="na">No comparison was observed.</p>')

    warnings = document.get("warnings") or []
    if warnings:
        out.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")

    out += ["</body>", "</html>", ""]
    return "\n".join(out)
