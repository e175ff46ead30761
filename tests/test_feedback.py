"""Feedback pages (``grade batch --feedback``): one offline page per student, each function's
results right after the cell that defines it, the mlp learning curves inline, and nothing a
student wrote can run or load anything when a TA opens the page."""

import json
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import REFERENCE, REPO, SHORT_LIMITS

from grader import batch, course, feedbackpage, sandbox, sanitizer

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

SECRET = b"test-course-secret"
EXAMPLES = REPO / "examples" / "layers"
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
# Markdown a hostile student writes: each line tries to run, load or hide something.
HOSTILE_MARKDOWN = [
    '# My layers\n<script>document.title = "pwned"; document.body.setAttribute("data-pwned", "1")</script>',
    'A picture <img src="x" onerror="document.body.setAttribute(\'data-pwned\', \'2\')"> and '
    '[click me](javascript:document.body.setAttribute("data-pwned","3")) '
    '<a href="https://example.org/" onclick="alert(1)">a link</a>',
    '<style>body { display: none }</style><iframe src="https://example.org/"></iframe>'
    '<svg onload="alert(1)"><circle r="4"/></svg><form action="https://example.org/"><input name="x"></form>'
    '<meta http-equiv="refresh" content="0; url=https://example.org/"><base href="https://example.org/">',
    '![remote](https://example.org/track.png) ![local](/etc/passwd) <div style="position:fixed">x</div>',
]


def _backend() -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sandbox.SandboxWarning)
        return sandbox.choose_backend("auto")


def run_batch(submissions: Path, out: Path, *, assignment: str = "layers", **kwargs) -> batch.Summary:
    return batch.run(submissions=submissions, assignment=assignment, outdir=out, course_root=REPO,
                     limits=SHORT_LIMITS, backend=_backend(), workers=2, secret=SECRET,
                     **{"resume": False, "feedback": True, **kwargs})


def hostile_notebook(path: Path) -> None:
    """The reference solution as notebook cells, with hostile markdown between them, stored outputs
    that would run a script, a raw HTML cell and metadata naming the page's own results cells."""
    code = feedbackpage.module_cells(REFERENCE.read_text())
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN[0]))
    for index, cell in enumerate(code):
        code_cell = nbformat.v4.new_code_cell(cell.source)
        code_cell.outputs = [nbformat.v4.new_output("display_data", data={
            "text/html": "<script>document.body.setAttribute('data-pwned', '4')</script>",
            "application/javascript": "document.body.setAttribute('data-pwned', '5')"})]
        notebook.cells.append(code_cell)
        if index < 3:
            notebook.cells.append(nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN[index + 1], metadata={
                "nngrade_html": "<script>document.body.setAttribute('data-pwned', '6')</script>"}))
    notebook.cells.append(nbformat.v4.new_raw_cell("<script>document.body.setAttribute('data-pwned', '7')</script>",
                                                   metadata={"raw_mimetype": "text/html"}))
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def layers_class(tmp_path_factory):
    """A graded class with feedback pages: ada (correct .py), edsger (dw transposed in
    affine_backward), grace (a folder with a helper module) and mallory (a hostile notebook)."""
    root = tmp_path_factory.mktemp("feedback")
    submissions = root / "submissions"
    for student, source in {"ada": "ada_correct_vectorized.py", "edsger": "edsger_dw_transposed.py"}.items():
        (submissions / student).mkdir(parents=True)
        shutil.copyfile(EXAMPLES / source, submissions / student / "layers.py")
    shutil.copytree(EXAMPLES / "grace_folder", submissions / "grace")
    hostile_notebook(submissions / "mallory" / "layers.ipynb")
    summary = run_batch(submissions, root / "out")
    return root, summary


def page(out: Path, student: str) -> str:
    return (out / "feedback" / f"{student}.html").read_text("utf-8")


def result(out: Path, student: str) -> dict:
    return json.loads((out / "results" / f"{student}.json").read_text("utf-8"))


class Page(HTMLParser):
    """A page's elements (tag, attributes) and its cells in order: (kind, text), kind ``code``,
    ``markdown`` or ``results`` (a cell the grader added)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.cells, self.depth, self.cell_depth = [], [], 0, None
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if self.cell_depth is None and tag == "div" and "jp-Cell" in classes:
            self.cells.append(["code" if "jp-CodeCell" in classes else "markdown", ""])
            self.cell_depth = self.depth
        elif self.cell_depth is not None and "nngrade-feedback" in classes:
            self.cells[-1][0] = "results"
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.depth -= 1
            if self.cell_depth is not None and self.depth == self.cell_depth:
                self.cell_depth = None

    def handle_data(self, data):
        if self.cell_depth is not None:
            self.cells[-1][1] += data


def dump_dom(path: Path, profile: Path) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]
    return subprocess.run([CHROMIUM, *flags, "--dump-dom", path.as_uri()], capture_output=True, text=True,
                          timeout=120, check=True).stdout


def test_every_student_gets_one_page_named_like_their_result_file(layers_class):
    root, summary = layers_class
    out = root / "out"
    assert summary.warnings == [] and summary.total == 4
    assert sorted(p.stem for p in (out / "feedback").iterdir()) == sorted(p.stem for p in (out / "results").glob(
        "*.json")) == ["ada", "edsger", "grace", "mallory"]


def test_the_correct_submission_shows_full_marks_and_every_item_passed(layers_class):
    root, _ = layers_class
    parsed = Page(page(root / "out", "ada"))
    assert "100 / 100 points" in parsed.cells[0][1] and "Status: graded" in parsed.cells[0][1]
    items = [a["class"].split() for tag, a in parsed.elements if "nngrade-item" in a.get("class", "")]
    assert len(items) == len(result(root / "out", "ada")["tests"])
    assert all("nngrade-passed" in classes for classes in items)


def test_a_folder_submission_shows_the_graded_module_not_its_helpers(layers_class):
    root, _ = layers_class
    code = "".join(text for kind, text in Page(page(root / "out", "grace")).cells if kind == "code")
    assert "def affine_forward(" in code
    assert (EXAMPLES / "grace_folder" / "numerics.py").read_text().strip().splitlines()[0] not in code


@needs_chromium
def test_the_failing_backward_hint_follows_the_cell_defining_it_in_headless_chromium(layers_class, tmp_path):
    root, _ = layers_class
    document = result(root / "out", "edsger")
    failed = [t for t in document["tests"] if t["status"] == "failed"]
    assert [t["extra_data"]["item"] for t in failed] == ["affine_backward_dw"]
    cells = Page(dump_dom(root / "out" / "feedback" / "edsger.html", tmp_path / "profile")).cells
    assert "94 / 100 points" in cells[0][1]
    defining = next(i for i, (kind, text) in enumerate(cells) if kind == "code" and "def affine_backward(" in text)
    hint = next(i for i, (kind, text) in enumerate(cells)
                if i > 0 and kind == "results" and "affine_backward: dw" in text)
    following = next(i for i, (kind, text) in enumerate(cells) if i > defining and kind == "code" and "def " in text)
    assert defining < hint < following
    shown = " ".join(cells[hint][1].split())
    assert "failed affine_backward: dw: 0 / 6 points" in shown
    for line in failed[0]["output"].splitlines():
        assert " ".join(line.split()) in shown, "the result's message and hint, as the student sees them"


def test_the_hostile_notebook_page_keeps_its_code_and_markdown_text_and_passes_the_page_check(layers_class):
    root, _ = layers_class
    markup = page(root / "out", "mallory")
    sanitizer.check_page(markup)
    parsed = Page(markup)
    assert result(root / "out", "mallory")["score"] == 100
    assert "<h1>My layers</h1>" in markup, "ordinary markdown still renders"
    assert any(kind == "code" and "def affine_backward(" in text for kind, text in parsed.cells)
    assert [a["src"] for tag, a in parsed.elements if tag == "img" and "src" in a] == []
    assert [a.get("href") for tag, a in parsed.elements if tag == "a" and not a.get("href", "#").startswith("#")] \
        == ["https://example.org/"], "the javascript: link lost its target"


@needs_chromium
def test_hostile_notebook_markdown_leaves_no_script_or_student_event_handler_in_headless_chromium(layers_class,
                                                                                                   tmp_path):
    root, _ = layers_class
    dom = dump_dom(root / "out" / "feedback" / "mallory.html", tmp_path / "profile")
    parsed = Page(dom)
    tags = {tag for tag, _ in parsed.elements}
    assert not tags & {"script", "iframe", "form", "input", "base", "object", "embed", "link"}
    assert [(tag, name) for tag, attributes in parsed.elements for name in attributes if name.startswith("on")] == []
    assert [a for tag, a in parsed.elements if tag == "body"][0].get("data-pwned") is None, "no student script ran"
    assert "pwned" not in dom.split("</title>")[0]
    policy = [a for tag, a in parsed.elements if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert [a["content"] for a in policy] == [sanitizer.CSP]
    assert all(tag != "meta" or a.get("http-equiv") in (None, "Content-Security-Policy")
               for tag, a in parsed.elements)


def test_resume_rewrites_every_page_from_the_reused_results(layers_class, tmp_path):
    root, _ = layers_class
    shutil.copytree(root, tmp_path / "copy")
    shutil.rmtree(tmp_path / "copy" / "out" / "feedback")
    summary = run_batch(tmp_path / "copy" / "submissions", tmp_path / "copy" / "out", resume=True)
    assert summary.reused == 4 and summary.graded == 0 and summary.warnings == []
    assert sorted(p.name for p in (tmp_path / "copy" / "out" / "feedback").iterdir()) == [
        "ada.html", "edsger.html", "grace.html", "mallory.html"]


def test_a_page_that_cannot_be_rendered_is_a_summary_warning_and_the_batch_goes_on(layers_class, tmp_path,
                                                                                   monkeypatch):
    root, _ = layers_class
    shutil.copytree(root, tmp_path / "copy")
    out = tmp_path / "copy" / "out"
    render = feedbackpage.render

    def broken_for_edsger(**kwargs):
        if kwargs["stem"] == "edsger":
            raise sanitizer.UnsafePage("the rendered page is not safe to open: it has a <script> element")
        return render(**kwargs)

    monkeypatch.setattr(feedbackpage, "render", broken_for_edsger)
    summary = run_batch(tmp_path / "copy" / "submissions", out, resume=True)
    assert [w.split(" (")[0] for w in summary.warnings] == ["FEEDBACK PAGE NOT WRITTEN for edsger"]
    assert "a <script> element" in summary.warnings[0]
    assert json.loads((out / "summary.json").read_text())["warnings"] == summary.warnings
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ada.html", "grace.html", "mallory.html"], \
        "the earlier page of edsger is gone, never left stale"
    assert (out / "grades.csv").is_file() and (out / "report.html").is_file()


def test_an_mlp_page_carries_the_learning_curves_the_hidden_tests_attached(tmp_path):
    submissions = tmp_path / "submissions"
    (submissions / "ada").mkdir(parents=True)
    for module in ("mlp", "layers", "optim"):
        shutil.copyfile(REPO / "solutions" / module / f"{module}.py", submissions / "ada" / f"{module}.py")
    summary = run_batch(submissions, tmp_path / "out", assignment="mlp")
    assert summary.warnings == []
    attached = result(tmp_path / "out", "ada")["extra_data"]["artifacts"]
    assert attached in (["ada.learning_curves.png"], ["ada.learning_curves.txt"])
    parsed = Page(page(tmp_path / "out", "ada"))
    header = parsed.cells[0][1]
    assert "Learning curves" in header
    if attached[0].endswith(".png"):
        assert any(tag == "img" and a["src"].startswith("data:image/png;base64,") for tag, a in parsed.elements)
    else:
        curves = [a["points"].split() for tag, a in parsed.elements if tag == "polyline"]
        assert len(curves) == 4 and all(len(points) == 20 for points in curves), "loss and accuracy, 20 epochs"
        table = (tmp_path / "out" / "results" / attached[0]).read_text()
        assert table.splitlines()[-1].split()[1] in header, "the numbers behind the curves"


# -- the parts, without grading ---------------------------------------------------------------------
def test_a_module_is_split_at_its_top_level_definitions_with_their_decorators_and_comments():
    source = "import numpy as np\n\nSCALE = 2\n\n# the forward pass\n@staticmethod\ndef f(x):\n    return x\n" \
             "\n\nclass C:\n    def g(self):\n        pass\nY = f(1)\n"
    assert [c.source for c in feedbackpage.module_cells(source)] == [
        "import numpy as np\n\nSCALE = 2", "# the forward pass\n@staticmethod\ndef f(x):\n    return x",
        "class C:\n    def g(self):\n        pass\nY = f(1)"]
    assert [c.source for c in feedbackpage.module_cells("def f(:\n  pass\n")] == ["def f(:\n  pass\n"]


def test_items_go_after_the_last_cell_defining_their_functions_and_the_rest_to_the_end():
    assignment = course.load(REPO, "layers")
    functions = feedbackpage.reference_functions(assignment.solution)
    scopes = {item.id: item.audit_scope for item in assignment.rubric.items}
    about = {i: feedbackpage.item_functions(i, scopes[i], functions) for i in
             ("affine_backward_dw", "relu_edge_cases", "sigmoid_edge_cases", "softmax_edge_cases", "inputs_unchanged")}
    assert about == {"affine_backward_dw": ["affine_backward"], "relu_edge_cases": ["relu_backward"],
                     "sigmoid_edge_cases": ["sigmoid_forward", "sigmoid_backward"], "softmax_edge_cases": ["softmax"],
                     "inputs_unchanged": []}
    cells = [feedbackpage.Cell("code", "def affine_backward(d, c):\n    pass"),
             feedbackpage.Cell("markdown", "def sigmoid_forward(x): in prose"),
             feedbackpage.Cell("code", "%timeit x\ndef sigmoid_forward(x):\n    pass"),
             feedbackpage.Cell("code", "sigmoid_backward = lambda d, c: d"),
             feedbackpage.Cell("code", "def affine_backward(d, c):\n    return 1")]
    after, rest = feedbackpage.placements(cells, about)
    assert after == {4: ["affine_backward_dw"], 3: ["sigmoid_edge_cases"]}
    assert rest == ["relu_edge_cases", "softmax_edge_cases", "inputs_unchanged"]


def test_a_notebook_keeps_only_cell_types_and_sources_and_shows_a_raw_cell_as_text():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", outputs=[nbformat.v4.new_output("stream", text="100/100")]),
        nbformat.v4.new_raw_cell("<b>raw</b>")])
    cells = feedbackpage.notebook_cells(nbformat.writes(notebook).encode())
    assert cells == [feedbackpage.Cell("code", "x = 1"),
                     feedbackpage.Cell("markdown", "<pre>&lt;b&gt;raw&lt;/b&gt;</pre>")]
    for data in (b"{", b'{"nbformat": 3, "worksheets": []}', b"\xff"):
        with pytest.raises(ValueError):
            feedbackpage.notebook_cells(data)


def test_cleaned_markdown_keeps_text_links_and_data_images_only():
    dirty = ('<p onclick="x()">hi <a href="javascript:alert(1)">a</a> <a href="java\tscript:alert(1)">b</a> '
             '<a href="https://example.org/" style="color:red">c</a> <img src="https://example.org/t.png" alt="t"> '
             '<img src="data:image/png;base64,iVBORw0KGgo=" alt="ok"><script>alert(1)</script></p>')
    assert sanitizer.clean(dirty) == ('<p>hi <a>a</a> <a>b</a> <a href="https://example.org/">c</a> <img alt="t"> '
                                      '<img src="data:image/png;base64,iVBORw0KGgo=" alt="ok">alert(1)</p>')


@pytest.mark.parametrize("addition, problem", [
    ("<script>1</script>", "a <script> element"),
    ('<div onmouseover="x()"></div>', "an event-handler attribute onmouseover on <div>"),
    ('<img src="https://example.org/t.png">', "an attribute src on <img>"),
    ('<style>@import "https://example.org/a.css";</style>', "a style sheet that loads from outside the page"),
    ('<meta http-equiv="refresh" content="0">', "a <meta http-equiv> other than the page's policy"),
])
def test_the_page_check_refuses_scripts_handlers_and_remote_loads(addition, problem):
    safe = f'<html><head><meta http-equiv="Content-Security-Policy" content="{sanitizer.CSP}"></head><body>'
    sanitizer.check_page(safe + "</body></html>")
    with pytest.raises(sanitizer.UnsafePage, match=problem.replace("(", r"\(").replace(")", r"\)")):
        sanitizer.check_page(safe + addition + "</body></html>")
