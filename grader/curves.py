"""The learning curves a result carries, as HTML for a feedback page (:mod:`grader.feedbackpage`).

The mlp hidden tests attach the curves the student's ``train`` reported (train and
validation loss and accuracy per epoch, with the accuracies the grader measured
itself) through the ``artifacts`` fixture; the batch saves them beside the result
as ``results/<student>.learning_curves.png`` (when the grader has matplotlib) or
``.txt`` (a table), and lists them in ``extra_data.artifacts``. :func:`section`
embeds them: a PNG as a ``data:`` URI image, a table as an inline SVG drawn from its
rows (and the table itself). Nothing is fetched and nothing is invented: a file
that is missing, too large or not what its name says is named, not drawn.
"""

from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path

# Why 4 MiB: a 9x3.8 inch PNG at 80 dpi is about 60 KiB, a table of 1000 epochs about 60 KiB.
MAX_BYTES = 4 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,200}")
_ROW = re.compile(r"\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(\s+\*)?\s*")
_MEASURED = re.compile(r"([A-Za-z][A-Za-z -]*accuracy) (\d+(?:\.\d+)?)%")
COLOURS = {"train": "#3b6fb6", "validation": "#e07b00", "grader": "#222"}
PANEL_W, PANEL_H, MARGIN = 320, 210, 44


def section(*, artifacts: list, folder: Path, stem: str) -> str:
    """HTML for the curves among ``artifacts`` (file names from ``extra_data.artifacts``, only
    ``<stem>.<name>`` files in ``folder`` are read), or "" when there are none."""
    parts = []
    for name in artifacts if isinstance(artifacts, list) else []:
        if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or not name.startswith(stem + "."):
            continue
        path = Path(folder) / name
        shown = html.escape(name)
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_BYTES:
            parts.append(f"<p>The attached file <code>{shown}</code> is missing or too large to show.</p>")
            continue
        data = path.read_bytes()
        if name.endswith(".png") and data.startswith(PNG_SIGNATURE):
            parts.append(f'<img class="nngrade-curves" alt="learning curves" '
                         f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">')
        elif name.endswith(".txt"):
            text = data.decode("utf-8", errors="replace")
            parts.append(svg_of_table(text) + "<details><summary>the numbers</summary>"
                         f'<pre class="nngrade-output">{html.escape(text)}</pre></details>')
        else:
            parts.append(f"<p>The attached file <code>{shown}</code> is not shown here.</p>")
    return "<h2>Learning curves</h2>" + "".join(parts) if parts else ""


def svg_of_table(text: str) -> str:
    """An inline SVG of a ``learning_curves.txt`` table: loss and accuracy per epoch, train and
    validation as reported, the reported best epoch and the grader's own accuracies; "" if no row."""
    rows, best = [], None
    for line in text.splitlines():
        match = _ROW.fullmatch(line)
        if not match:
            continue
        try:
            values = [float(v) for v in match.group(2, 3, 4, 5)]
        except ValueError:
            continue
        rows.append((int(match.group(1)), *values))
        if match.group(6):
            best = int(match.group(1))
    if not rows:
        return ""
    measured = [(name.strip(), float(value) / 100) for name, value in _MEASURED.findall(text)]
    epochs = [row[0] for row in rows]
    loss = _panel(0, "loss", epochs, [row[1] for row in rows], [row[2] for row in rows], best, [])
    accuracy = _panel(PANEL_W, "accuracy", epochs, [row[3] for row in rows], [row[4] for row in rows], best, measured)
    labels = ((MARGIN, "train", "— train (reported)"), (MARGIN + 130, "validation", "— validation (reported)"),
              (MARGIN + 300, "grader", "- - measured by the grader"))
    legend = "".join(f'<text x="{x}" y="{PANEL_H + 12}" font-size="11" fill="{COLOURS[key]}">{label}</text>'
                     for x, key, label in labels)
    return (f'<svg class="nngrade-curves" role="img" aria-label="learning curves" width="{2 * PANEL_W}" '
            f'height="{PANEL_H + 20}" viewBox="0 0 {2 * PANEL_W} {PANEL_H + 20}" '
            f'xmlns="http://www.w3.org/2000/svg">{loss}{accuracy}{legend}</svg>')


def _panel(left: float, title: str, epochs: list[int], train: list[float], validation: list[float],
           best: int | None, measured: list[tuple[str, float]]) -> str:
    finite = [v for v in (*train, *validation, *(value for _, value in measured)) if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    first, last = epochs[0], max(epochs[-1], epochs[0] + 1)
    plot_w, plot_h, top = PANEL_W - MARGIN - 12, PANEL_H - 60, 22

    def x(epoch: float) -> float:
        return left + MARGIN + plot_w * (epoch - first) / (last - first)

    def y(value: float) -> float:
        return top + plot_h * (high - value) / (high - low)

    parts = [f'<text x="{left + MARGIN + plot_w / 2:.1f}" y="14" text-anchor="middle" font-size="12">{title}</text>',
             f'<rect x="{left + MARGIN}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
             f'<text x="{left + MARGIN - 4}" y="{top + 10}" text-anchor="end" font-size="10">{high:.3g}</text>',
             f'<text x="{left + MARGIN - 4}" y="{top + plot_h}" text-anchor="end" font-size="10">{low:.3g}</text>',
             f'<text x="{left + MARGIN}" y="{top + plot_h + 14}" font-size="10">{first}</text>',
             f'<text x="{left + MARGIN + plot_w}" y="{top + plot_h + 14}" text-anchor="end" '
             f'font-size="10">{last}</text>',
             f'<text x="{left + MARGIN + plot_w / 2:.1f}" y="{top + plot_h + 26}" text-anchor="middle" '
             f'font-size="10">epoch</text>']
    if best is not None and first <= best <= last:
        parts.append(f'<line x1="{x(best):.1f}" y1="{top}" x2="{x(best):.1f}" y2="{top + plot_h}" stroke="#aaa">'
                     f"<title>best epoch (reported)</title></line>")
    for name, value in measured:
        if math.isfinite(value):
            parts.append(f'<line x1="{left + MARGIN}" y1="{y(value):.1f}" x2="{left + MARGIN + plot_w}" '
                         f'y2="{y(value):.1f}" stroke="{COLOURS["grader"]}" stroke-dasharray="4 3">'
                         f"<title>{html.escape(name)}, measured by the grader: {value:.1%}</title></line>")
    for key, values in (("train", train), ("validation", validation)):
        points = " ".join(f"{x(e):.1f},{y(v):.1f}" for e, v in zip(epochs, values) if math.isfinite(v))
        parts.append(f'<polyline class="nngrade-curve-{key}" points="{points}" fill="none" '
                     f'stroke="{COLOURS[key]}" stroke-width="1.5"/>')
    return "".join(parts)
