"""The HTML page of ``grade audit`` (``audit.html``): a self-contained page (inline CSS, no
script, no external resource) with the kill matrix drawn as an inline SVG: one row per
non-equivalent mutant, one column per rubric item, each cell colored by whether the mutant was
expected to lose the item and whether it did. Every text of the document is escaped. The
terminal report and the helpers both use are in :mod:`grader.auditreport`.
"""

from __future__ import annotations

import html as _html

from grader.auditreport import (  # noqa: F401
    CELL,
    UNJUDGED,
    FILLS,
    _LEGEND,
    _UNSAFE_EXCEPT_LINES,
    _cell_state,
    _count,
    _cut,
    _diff_kind,
    _mutants_by_id,
    _number,
    _percent,
    _sci,
    _summary_line,
    _survived_items,
    _surviving_ids,
    _visible,
)


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
