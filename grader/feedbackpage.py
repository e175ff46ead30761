"""One offline HTML feedback page per student (``grade batch --feedback``), rendered with nbconvert.

Like nbgrader's ``generate_feedback``: a notebook is built here and rendered by
nbconvert's ``HTMLExporter`` (``lab`` template, its CSS embedded, every script dropped):

1. a header: score / max, status, late penalty, the result's own output (its notes),
   the table of items and, for mlp, the learning curves the hidden tests attached
   (:mod:`grader.curves`);
2. the student's code: a notebook's cells, a ``.py`` module split into cells at its
   top-level definitions, or for a folder or zip the graded module; after each cell
   that defines functions, the results of the rubric items about them (score / max,
   passed or failed, and the message and hint the result already carries);
3. the items tied to no function the student's code defines.

Function to cell. The functions an item is about are its ``audit_scope``'s functions,
else the reference solution's public function its id starts with (``affine_backward_dw``
-> ``affine_backward``), else those sharing its id's first word (``sigmoid_edge_cases``
-> ``sigmoid_forward``, ``sigmoid_backward``). A code cell defines the names its
top-level ``def``, ``class`` and assignments bind (read with :mod:`ast`, or for a
cell that does not parse, such as one with IPython syntax, from lines that start
with ``def``/``class``); the last cell defining a name wins, as it would when run.
An item goes after the last cell defining one of its functions, or to the end.

Safety. The submission is hostile data and TAs open the pages. Nothing is executed or
imported: a notebook is read as JSON and only each cell's type and source are kept
(outputs, attachments and metadata dropped; a raw cell shown as text). Rendered markdown
is cleaned by :func:`grader.sanitizer.clean` (a short allowlist of tags, links only to
``#``/http/https/mailto, images only ``data:``), code is only highlighted (Pygments
escapes every character of it; the template skips nbconvert's second bleach pass there,
most of the render time), and every string of the result is escaped. The page carries a
Content-Security-Policy forbidding scripts and remote loads, the template drops
require.js, MathJax, mermaid and widget scripts, and :func:`grader.sanitizer.check_page`
refuses a page that still holds a script, an event-handler attribute, a frame, form or
remote load. Only what the result document shows the student is shown: items of
visibility ``hidden`` are counted, not listed, and ``extra_data.grader_errors`` (for the
staff) is left out.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import html
import json
import re
import tempfile
from pathlib import Path

from grader import curves, terminal
from grader.course import Assignment
from grader.sanitizer import CSP, check_page, clean
from grader.status import status_of, submission_problem
from grader.storage import write_atomically
from grader.submission import SubmissionError, stage

# Why: a notebook with its outputs may be large, but its code never is; beyond these the
# page would take long to render and longer to read.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_SOURCE_CHARS = 1_000_000
MAX_CELLS = 2000
_DEF_LINE = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_TEMPLATE_NAME = "nngrade_feedback.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head -%}
<meta http-equiv="Content-Security-Policy" content="{{ resources.nngrade_csp }}">
{{ super() }}
{%- endblock html_head -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style type="text/css">{{ resources.nngrade_css }}</style>{%- endblock extra_css -%}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline"><div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
</div></div>
{%- endblock input %}
{% block markdowncell scoped %}
{%- if 'nngrade_html' in cell.metadata -%}
<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">{{ cell.metadata.nngrade_html }}</div>
{%- else -%}{{ super() }}{%- endif -%}
{% endblock markdowncell %}
"""
_CSS = """
.nngrade-feedback { font-family: sans-serif; border: 2px solid #3b6fb6; border-radius: 6px; background: #f4f7fc;
  margin: 0.5em 0 1.2em 0; padding: 0.4em 1em; }
.nngrade-feedback h2, .nngrade-feedback h3 { margin: 0.3em 0; }
.nngrade-item { margin: 0.5em 0; }
.nngrade-passed .nngrade-mark { color: #1a7f37; font-weight: bold; }
.nngrade-failed .nngrade-mark { color: #b42318; font-weight: bold; }
.nngrade-output { white-space: pre-wrap; background: #fff; border: 1px solid #ddd; padding: 0.4em; margin: 0.2em 0; }
.nngrade-feedback table { border-collapse: collapse; } .nngrade-feedback td, .nngrade-feedback th {
  border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
.nngrade-score { font-size: 140%; font-weight: bold; }
tr.nngrade-failed td { color: #b42318; }
"""
_STATUS = {"graded": "graded",
           "submission_error": "not graded: the submission could not be graded",
           "grader_error": "GRADER ERROR: some items could not be graded (not your fault; the course staff "
                           "will look at it)"}


@dataclasses.dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    source: str


def _text(value: object) -> str:
    """Text from a result or a submission as HTML: control and bidi characters shown, markup escaped."""
    return html.escape(terminal.clean(value, keep_lines=True))


def _points(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else _text(value)


# -- the student's code as cells -------------------------------------------------------------------
def module_cells(source: str) -> list[Cell]:
    """A module split into code cells at its top-level definitions (with their decorators and
    the comment lines just above them); one cell if it does not parse."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [Cell("code", source)]
    starts = {0, len(lines)}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            starts.add(first)
    bounds = sorted(starts)
    chunks = ("\n".join(lines[a:b]).strip("\n") for a, b in zip(bounds, bounds[1:]))
    return [Cell("code", chunk) for chunk in chunks if chunk.strip()]


def notebook_cells(data: bytes) -> list[Cell]:
    """A notebook's cells, type and source only; raises ValueError saying why it cannot be read."""
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("it is not a readable notebook (not UTF-8 JSON)") from None
    if not isinstance(raw, dict) or raw.get("nbformat") != 4 or not isinstance(raw.get("cells"), list):
        raise ValueError("it is not a notebook of format 4")
    cells = []
    for cell in raw["cells"]:
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            continue
        kind = cell.get("cell_type")
        if kind == "raw":  # nbconvert would pass a raw HTML cell through: shown as text instead
            kind, source = "markdown", f"<pre>{html.escape(source)}</pre>"
        if kind in ("code", "markdown"):
            cells.append(Cell(kind, source))
    return cells


def submission_cells(submission: Path, module: str) -> tuple[list[Cell], str]:
    """(cells of the graded module, a note for the page when they cannot all be shown)."""
    submission = Path(submission)
    if submission.is_symlink():
        return [], "Your code is not shown: the submission is a link."
    with tempfile.TemporaryDirectory(prefix="nngrade-feedback-") as tmp:
        try:
            staged = stage(submission, module=module, into=Path(tmp))
        except SubmissionError as exc:
            return [], f"Your code is not shown: {exc}"
        path = staged.staged / f"{module}.{'ipynb' if staged.notebook else 'py'}"
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], f"Your code is not shown: {path.name} is over {MAX_FILE_BYTES // 2**20} MiB."
        data = path.read_bytes()
    if not staged.notebook:
        cells = module_cells(data.decode("utf-8", errors="replace"))
    else:
        try:
            cells = notebook_cells(data)
        except ValueError as exc:
            return [], f"Your code is not shown: {path.name}: {exc}."
    kept, total = [], 0
    for cell in cells[:MAX_CELLS]:
        total += len(cell.source)
        if total > MAX_SOURCE_CHARS:
            break
        kept.append(cell)
    note = "" if len(kept) == len(cells) else f"Only the first {len(kept)} of {len(cells)} cells are shown."
    return kept, note


# -- which items go after which cell ---------------------------------------------------------------
def reference_functions(solution: Path) -> list[str]:
    """The public functions and classes of the reference solution (read, never imported)."""
    try:
        tree = ast.parse(Path(solution).read_text("utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not node.name.startswith("_")]


def item_functions(item_id: str, audit_scope: tuple[str, ...], functions: list[str]) -> list[str]:
    """The functions a rubric item is about (see the module docstring); [] for none (``inputs``)."""
    if audit_scope:
        return list(dict.fromkeys(e.split(".")[0] for e in audit_scope if e != "inputs" and ":" not in e))
    matches = sorted((f for f in functions if item_id == f or item_id.startswith(f + "_")), key=len, reverse=True)
    if matches:
        return matches[:1]
    stem = item_id.split("_")[0]
    return [f for f in functions if f == stem or f.startswith(stem + "_")]


def definitions(source: str) -> set[str]:
    """Names a code cell's top-level statements define (def, class, assignment to a name)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(_DEF_LINE.findall(source))  # IPython syntax or a typo: definitions by their first line
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def placements(cells: list[Cell], items: dict[str, list[str]]) -> tuple[dict[int, list[str]], list[str]]:
    """({cell index: item ids placed after it}, item ids for the end); ``items``: {item id: functions}."""
    defined: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell.kind == "code":
            defined.update(dict.fromkeys(definitions(cell.source), index))
    after: dict[int, list[str]] = {}
    rest = []
    for item_id, functions in items.items():
        where = [defined[f] for f in functions if f in defined]
        if where:
            after.setdefault(max(where), []).append(item_id)
        else:
            rest.append(item_id)
    return after, rest


# -- HTML of the results ---------------------------------------------------------------------------
def _item_html(test: dict, anchor: str) -> str:
    outcome = test["extra_data"].get("outcome", test["status"])
    mark = {"passed": "passed", "failed": "failed"}.get(outcome, "not graded (grader error)")
    kind = "nngrade-passed" if outcome == "passed" else "nngrade-failed"
    return (f'<div class="nngrade-item {kind}" id="{anchor}"><span class="nngrade-mark">{mark}</span> '
            f'<strong>{_text(test["name"])}</strong>: {_points(test["score"])} / {_points(test["max_score"])} '
            f'points<pre class="nngrade-output">{_text(test.get("output", ""))}</pre></div>')


def _header_html(document: dict, *, title: str, student: str, curves_html: str, hidden: int,
                 anchors: dict[str, str], note: str) -> str:
    extra = document["extra_data"]
    status = status_of(document)
    said = _STATUS.get(status, _text(status))
    if status == "submission_error":
        said += f": {_text(submission_problem(document))}"
    late = extra.get("late") or {}
    late_html = ""
    if late.get("penalty_percent"):
        late_html = (f"<p>Late by {_points(late['days_late'])} day(s) (submitted {_text(late['submitted_at'])}, "
                     f"due {_text(late['due'])}): {_points(late['penalty_percent'])}% of "
                     f"{_points(late['raw_score'])} points, {_points(late['penalty_points'])} points deducted.</p>")
    rows = "".join(f'<tr class="nngrade-{"passed" if t["status"] == "passed" else "failed"}">'
                   f'<td><a href="#{anchors[t["extra_data"]["item"]]}">{_text(t["name"])}</a></td>'
                   f'<td>{_points(t["score"])} / {_points(t["max_score"])}</td><td>{_text(t["status"])}</td></tr>'
                   for t in document["tests"] if t["extra_data"]["item"] in anchors)
    hidden_html = f"<p>{hidden} more item(s) are not shown here.</p>" if hidden else ""
    note_html = f"<p><strong>{_text(note)}</strong></p>" if note else ""
    return (f'<div class="nngrade-feedback" id="nngrade-summary"><h1>{_text(title)}</h1>'
            f"<p>Feedback for <strong>{_text(student)}</strong></p>"
            f'<p class="nngrade-score">{_points(document["score"])} / {_points(extra.get("max_score", "?"))} points'
            f"</p><p>Status: {said}</p>{late_html}"
            f'<h2>From the grader</h2><pre class="nngrade-output">{_text(document.get("output", ""))}</pre>'
            f"<h2>Items</h2><table><tr><th>item</th><th>points</th><th>status</th></tr>{rows}</table>"
            f"{hidden_html}{note_html}{curves_html}</div>")


def _results_html(heading: str, tests: list[dict], anchors: dict[str, str]) -> str:
    return (f'<div class="nngrade-feedback" data-nngrade="results"><h3>{heading}</h3>'
            + "".join(_item_html(t, anchors[t["extra_data"]["item"]]) for t in tests) + "</div>")


# -- rendering, cleaning, checking -----------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _exporter():
    import jinja2
    from nbconvert import HTMLExporter

    class FeedbackExporter(HTMLExporter):
        @jinja2.pass_context
        def markdown2html(self, context, source):
            return clean(super().markdown2html(context, source))

    return FeedbackExporter(template_name="lab", template_file=_TEMPLATE_NAME, sanitize_html=False,
                            extra_loaders=[jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})], embed_images=False,
                            exclude_anchor_links=True, exclude_input_prompt=True, exclude_output_prompt=True)


def render(*, document: dict, assignment: Assignment, submission: Path, artifacts_dir: Path, stem: str,
           functions: list[str] | None = None) -> str:
    """The feedback page of one student's result ``document`` (see the module docstring);
    ``stem`` is the name of their result file without ``.json`` (their artifacts start with it)."""
    import nbformat

    if functions is None:
        functions = reference_functions(assignment.solution)
    scopes = {item.id: item.audit_scope for item in assignment.rubric.items}
    shown = [t for t in document["tests"] if t.get("visibility") != "hidden"]
    anchors = {t["extra_data"]["item"]: f"nngrade-item-{n}" for n, t in enumerate(shown, start=1)}
    by_item = {t["extra_data"]["item"]: t for t in shown}
    cells, note = submission_cells(submission, assignment.module)
    after, rest = placements(cells, {i: item_functions(i, scopes.get(i, ()), functions) for i in by_item})
    curves_html = curves.section(artifacts=document["extra_data"].get("artifacts", []), folder=artifacts_dir,
                                 stem=stem)
    header = _header_html(document, title=f"Feedback: {assignment.rubric.title}",
                          student=document["extra_data"].get("student_id", stem), curves_html=curves_html,
                          hidden=len(document["tests"]) - len(shown), anchors=anchors, note=note)

    def results(html_text: str):
        return nbformat.v4.new_markdown_cell(source="", metadata={"nngrade_html": html_text})

    notebook = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "pygments_lexer": "python3"}})
    notebook.cells.append(results(header))
    for index, cell in enumerate(cells):
        make = nbformat.v4.new_code_cell if cell.kind == "code" else nbformat.v4.new_markdown_cell
        notebook.cells.append(make(source=cell.source))
        if index in after:
            tests = [by_item[i] for i in after[index]]
            about = [f for f in dict.fromkeys(f for i in after[index] for f in item_functions(
                i, scopes.get(i, ()), functions)) if f in definitions(cell.source)]
            heading = "Results for " + ", ".join(f"<code>{_text(f)}</code>" for f in about)
            notebook.cells.append(results(_results_html(heading, tests, anchors)))
    if rest:
        notebook.cells.append(results(_results_html(
            "Other results (not about a function defined above)", [by_item[i] for i in rest], anchors)))
    page, _ = _exporter().from_notebook_node(notebook, resources={
        "metadata": {"name": f"Feedback: {assignment.name} ({stem})"}, "nngrade_csp": CSP, "nngrade_css": _CSS})
    check_page(page)
    return page


def write_pages(*, folder: Path, assignment: Assignment, artifacts_dir: Path,
                students: list[tuple[str, Path, dict]]) -> list[str]:
    """Write ``folder/<stem>.html`` for each (stem, submission, result document); returns one
    warning per page that could not be written (its old page, if any, is removed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    functions = reference_functions(assignment.solution)
    warnings = []
    for stem, submission, document in students:
        path = folder / f"{stem}.html"
        try:
            write_atomically(path, render(document=document, assignment=assignment, submission=submission,
                                          artifacts_dir=artifacts_dir, stem=stem, functions=functions))
        except Exception as exc:  # one page never stops the batch: the results and grades stand
            path.unlink(missing_ok=True)
            student = terminal.clean(document.get("extra_data", {}).get("student_id", stem))
            warnings.append(f"FEEDBACK PAGE NOT WRITTEN for {student} (a grader problem; the result and grades "
                            f"are unaffected): {type(exc).__name__}: {terminal.clean(str(exc))[:300]}")
    return warnings
