"""The class report: one self-contained HTML file (inline SVG plots, no scripts, no network)."""

from __future__ import annotations

import html
from pathlib import Path

from grader import gradebook, terminal
from grader.course import Assignment
from grader.storage import write_atomically

BAR = "#3b6fb6"
BAR_LOW = "#c0504d"
WIDTH = 640


def _histogram_svg(counts: list[int], max_score: float) -> str:
    height, top, bottom, left = 220, 20, 40, 40
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    peak = max(counts) or 1
    bar_w = plot_w / len(counts)
    parts = [f'<svg id="histogram" role="img" aria-label="score histogram" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">']
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>')
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bar_w
        parts.append(f'<rect class="bar" x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 4:.1f}" '
                     f'height="{h:.1f}" fill="{BAR}"><title>{count} students</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                         f'font-size="11">{count}</text>')
        low = max_score * i / len(counts)
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'font-size="10">{low:g}–{max_score * (i + 1) / len(counts):g}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" font-size="12">'
                 f'score (points)</text></svg>')
    return "".join(parts)


def _pass_rate_svg(items: list[dict]) -> str:
    row, label_w = 24, 260
    height = row * len(items) + 30
    plot_w = WIDTH - label_w - 60
    parts = [f'<svg id="pass-rates" role="img" aria-label="pass rate per item" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, item in enumerate(items):
        y = 10 + i * row
        w = plot_w * item["pass_rate"]
        colour = BAR if item["pass_rate"] >= 0.5 else BAR_LOW
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f'{html.escape(item["title"])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{plot_w}" height="{row - 6}" fill="#eee"/>')
        parts.append(f'<rect class="bar" x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 15}" font-size="12">'
                     f'{100 * item["pass_rate"]:.0f}%</text>')
    parts.append("</svg>")
    return "".join(parts)


def _text(value: str) -> str:
    """Student-chosen text (an id) as HTML text: markup escaped, control and bidi characters shown."""
    return html.escape(terminal.clean(value))


def render(assignment: Assignment, documents: list[dict], summary) -> str:
    data = gradebook.summarize(assignment, documents, summary)
    score = data["score"]
    problems = "".join(
        f"<tr><td>{_text(p['student_id'])}</td><td>{_text(p['kind'])}</td>"
        f"<td>{_text(p['detail'])}</td></tr>" for p in data["problems"]) or \
        '<tr><td colspan="3">none</td></tr>'
    esc = html.escape
    statuses = getattr(summary, "statuses", None) or {}
    submission_errors = statuses.get("submission_error", 0) if isinstance(statuses, dict) else 0
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>nngrade report: {esc(assignment.name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; max-width: 56em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }}
.stats td {{ border: none; padding: 0.1em 1em 0.1em 0; }}
</style></head><body>
<h1>{esc(assignment.rubric.title)}</h1>
<table class="stats">
<tr><td>students</td><td>{data['students']}</td></tr>
<tr><td>mean / median score</td><td>{score['mean']:.1f} / {score['median']:g} of {data['max_score']:g}</td></tr>
<tr><td>grader errors</td><td>{data['grader_errors']}</td></tr>
<tr><td>submission errors</td><td>{submission_errors}</td></tr>
<tr><td>charged a late penalty</td><td>{getattr(summary, "late_students", 0)} ({getattr(summary, "late_points", 0):g} points)</td></tr>
<tr><td>students with timeouts</td><td>{data['timeouts']}</td></tr>
<tr><td>layout</td><td>{esc(data['layout'])}</td></tr>
<tr><td>median grading time</td><td>{data['timings']['median_seconds']:.2f} s</td></tr>
</table>
<h2>Score distribution</h2>
{_histogram_svg(score['histogram']['counts'], data['max_score'])}
<h2>Pass rate per item</h2>
{_pass_rate_svg(data['items'])}
<h2>Grader errors and timeouts</h2>
<table id="problems"><tr><th>student</th><th>kind</th><th>detail</th></tr>{problems}</table>
</body></html>
"""


def write(path: Path, assignment: Assignment, documents: list[dict], summary) -> None:
    write_atomically(path, render(assignment, documents, summary))
