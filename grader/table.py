"""The per-item table printed by the CLI for a result document."""

from __future__ import annotations

import click

from grader.terminal import clean

STATUS_STYLE = {"passed": ("PASS", "green"), "failed": ("FAIL", "red"), "grader_error": ("ERROR", "yellow")}


def render(document: dict, *, color: bool) -> str:
    """The result as a text table: item, points, status, then each failure's message indented."""
    tests = document["tests"]
    width = max([len(t["name"]) for t in tests] + [4])
    lines = [f"  {'item'.ljust(width)}  {'points':>9}  status"]
    for test in tests:
        outcome = test["extra_data"]["outcome"]
        label, colour = STATUS_STYLE[outcome]
        points = f"{test['score']:g}/{test['max_score']:g}"
        status = click.style(label, fg=colour, bold=True) if color else label
        lines.append(f"  {test['name'].ljust(width)}  {points:>9}  {status}")
        if outcome != "passed":
            # Feedback quotes student output and names: no escape sequence reaches the terminal.
            lines += ["      " + clean(line) for line in test["output"].splitlines()]
    extra = document["extra_data"]
    lines.append("")
    lines.append(f"  score: {document['score']:g}/{extra['max_score']:g}   "
                 f"seed: {extra['seed']}   sandbox: {extra['sandbox']}   "
                 f"time: {document['execution_time']:.2f} s")
    if extra["status"] == "grader_error":
        lines.append("  grader errors (not the student's fault):")
        lines += ["    " + clean((e.splitlines() or [""])[0]) for e in extra["grader_errors"]]
    return "\n".join(lines)
