"""Notebook submissions: read in the worker, only definitions run, IPython syntax never reaches a shell."""

import ast
import builtins
import json
import shutil
import zipfile

import nbformat
import numpy as np
import pytest
from conftest import REPO, SHORT_LIMITS, full_marks, scores

from grader import api, course, notebook
from grader.notebookreport import Report
from grader.worker import definition, guard
from grader.worker import notebook as worker_notebook
from grader.worker.cells import neutralize
from grader.worker.plan import make_plan

pytestmark = pytest.mark.filterwarnings("ignore::grader.sandbox.SandboxWarning")

ASSIGNMENTS = course.names(REPO)
REFERENCE = REPO / "solutions" / "layers" / "layers.py"
STARTER = REPO / "assignments" / "layers" / "layers.py"


def code(source):
    return nbformat.v4.new_code_cell(source)


def markdown(source):
    return nbformat.v4.new_markdown_cell(source)


def write(path, cells, **metadata):
    document = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nbformat.write(document, path)
    return path


def grade(submission, assignment="layers", **kwargs):
    kwargs.setdefault("limits", SHORT_LIMITS)
    kwargs.setdefault("seed", 7)
    return api.run(submission=submission, assignment=assignment, course=REPO, **kwargs)


def top_level_cells(path):
    """One code cell per top-level statement of a Python file (its docstring dropped)."""
    source = path.read_text()
    lines = source.splitlines()
    cells = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        cells.append(code("\n".join(lines[start - 1:node.end_lineno])))
    return cells


def completed_notebook(assignment):
    """The assignment's starter notebook (or, if the course has none, one made from the starter
    module) completed with the reference solution as a student would paste it in: each function
    the starter defines gets the reference's code; the reference's other top-level code that the
    notebook lacks (helper functions, imports, constants) goes in a cell after the first code
    cell. A reference that loads another assignment's module by path, under a private name
    (``_layers = _load_dependency("layers")``), gets the student's own import instead
    (``_layers = layers``), since a student's notebook imports their layers.py."""
    starter = REPO / "assignments" / assignment / f"{assignment}.ipynb"
    if starter.is_file():
        document = nbformat.read(starter, as_version=4)
    else:
        document = nbformat.v4.new_notebook(cells=top_level_cells(REPO / "assignments" / assignment / f"{assignment}.py"))
    reference_source = (REPO / "solutions" / assignment / f"{assignment}.py").read_text()
    reference_lines = reference_source.splitlines()
    reference_nodes = ast.parse(reference_source).body

    def segment(node):
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return reference_lines[start - 1:node.end_lineno]

    reference = {n.name: segment(n) for n in reference_nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined, imported = set(), set()
    for cell in document.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        tree = ast.parse(neutralize(cell.source)[0])  # the starter's `!grade local` cell
        for node in tree.body:
            defined |= definition.bound_names(node)
            if isinstance(node, ast.Import):
                imported.update(alias.asname or alias.name for alias in node.names)
        for node in reversed([n for n in tree.body if getattr(n, "name", None) in reference]):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines[start - 1:node.end_lineno] = reference[node.name]
        cell.source = "\n".join(lines)
    extra = []
    for node in reference_nodes:
        if isinstance(node, ast.Expr) or definition.bound_names(node) <= defined:
            continue
        loads = [a.value for a in getattr(node.value, "args", []) if isinstance(a, ast.Constant)] \
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) else []
        if loads and loads[0] in imported:
            extra.append([f"{ast.unparse(node.targets[0])} = {loads[0]}"])
        else:
            extra.append(segment(node))
    if extra:
        first = next(i for i, c in enumerate(document.cells) if c.cell_type == "code")
        document.cells.insert(first + 1, code("\n\n".join("\n".join(lines) for lines in extra)))
    return document


def notebook_submission(folder, assignment, document):
    """A submission folder as a student hands it in: the notebook, plus their own versions of
    the modules the assignment requires (here the reference ones, as `grade validate` does)."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(document, folder / f"{assignment}.ipynb")
    graded = course.load(REPO, assignment)
    required = dict(graded.required_modules())
    imported = {alias.name for cell in document.cells if cell.cell_type == "code"
                for node in ast.parse(neutralize(cell.source)[0]).body if isinstance(node, ast.Import)
                for alias in node.names}
    for other in ASSIGNMENTS:  # another assignment's module the notebook imports: the student's own copy
        module = course.load(REPO, other).module
        if module in imported and other != assignment:
            required.setdefault(module, REPO / "solutions" / other / f"{module}.py")
    for module, dependency in required.items():
        shutil.copyfile(dependency, folder / f"{module}.py")
    return folder


TRAINING_AND_PLOT = [
    markdown("## Training (takes a while)"),
    code("import matplotlib.pyplot as plt\nlosses = []\nwhile True:  # a long training run\n    losses.append(0.0)"),
    code("plt.plot(losses)\nplt.show()"),
]


# -- the neutralizer (pure functions, no worker) ------------------------------------

@pytest.mark.parametrize("line,kind", [
    ("!rm -rf ~", "shell"), ("!pip install torch", "shell"), ("!!ls", "shell"), ("files = !ls", "shell"),
    ("%timeit f(1)", "magic"), ("t = %time f(1)", "magic"), ("%%bash", "cell_magic"),
    ("?np.dot", "ipython"), ("/print 1", "ipython"), (",print a b", "ipython"), ("np.dot?", "help"),
    ("np.dot??  # help please", "help"),
])
def test_ipython_syntax_at_the_start_of_a_line_is_replaced_and_reported(line, kind):
    source, notes = neutralize(f"x = 1\n{line}\ny = 2")
    assert [(n, k) for n, k, _ in notes] == [(2, kind)]
    assert source.splitlines()[0] == "x = 1" and source.count("\n") == 2
    compile(source, "cell", "exec")
    assert "rm" not in source and "pip" not in source and "%" not in source and "?" not in source


def test_a_cell_magic_blanks_the_rest_of_the_cell_and_keeps_line_numbers():
    source, notes = neutralize("%%bash\nrm -rf ~\necho done")
    assert source == "\n\n" and [(n, k) for n, k, _ in notes] == [(1, "cell_magic")]


@pytest.mark.parametrize("source", [
    's = ("%d items"\n     % 3)',                 # % continuing an expression: modulo
    'x = 3 \\\n    % 2',                          # after a backslash continuation
    'doc = """\n!not a shell command\n%not a magic\n"""',  # inside a triple-quoted string
    "flags = [1,\n  2] != [3]",
    "a = 1 != 2",
    "print('what?')",
])
def test_python_that_only_looks_like_ipython_is_left_alone(source):
    assert neutralize(source) == (source, [])


def test_a_magic_inside_a_function_becomes_pass_so_the_function_still_compiles():
    source, notes = neutralize("def f(x):\n    %time g(x)\n    return x")
    assert source == "def f(x):\n    pass\n    return x" and notes[0][:2] == (2, "magic")


@pytest.mark.parametrize("statement,runs", [
    ("import numpy as np", True), ("from math import pi", True), ("def f(x):\n    return g(x)", True),
    ("class Net:\n    pass", True), ("EPS = 1e-12", True), ("SIZES = (2, 3), [4, -5]", True),
    ("A = B = {'lr': 0.1, 'n': 2 ** 3}", True), ("D = EPS * 2", True), ("DTYPE = np.float64", True),
    ("relu = lambda x: np.maximum(0, x)", True), ("x: float = 0.5", True), ('"""a docstring"""', True),
    ("try:\n    import numba\nexcept ImportError:\n    numba = None", True),
    ("train(net)", False), ("print('hi')", False), ("rng = np.random.default_rng(0)", False),
    ("SCALE = np.sqrt(2.0)", False),  # a call: only with the library-call rule (test below)
    ("W = np.zeros((3, 3))", False), ("for i in range(10):\n    pass", False), ("EPS += 1", False),
    ("table[0] = 1", False), ("SQUARES = [i * i for i in (1, 2)]", False), ("X = UNDEFINED + 1", False),
    ("if __name__ == '__main__':\n    main()", False), ("with open('f') as f:\n    pass", False),
    # a class needs its bases and keywords to exist: they are constant expressions or the class is skipped
    ("class Net(np.Base, metaclass=np.Meta):\n    pass", True), ("class Net(make_base()):\n    pass", False),
    ("class Net(metaclass=make_meta()):\n    pass", False),
    ("x: train() = 0.5", True),  # annotations are never evaluated in definitions mode
])
def test_what_counts_as_a_definition(statement, runs):
    known = {"np", "EPS", "g"} | set(dir(builtins))
    stmt = ast.parse(statement).body[0]
    assert definition.is_definition(stmt, known) is runs


@pytest.mark.parametrize("statement,runs", [
    ("SCALE = np.sqrt(2.0)", True), ("EPS = float(np.power(10.0, -12))", True), ("rng = np.random.default_rng(0)", True),
    ("SCALE = np.sqrt(np.pi * 2)", True), ("N = len((1, 2))", True),
    ("SCALE = np.sqrt(UNDEFINED)", False),  # arguments must be constant expressions
    ("SCALE = make_scale()", False),  # the student's own function
    ("SCALE = helpers.scale(2)", False),  # a module of the submission
    ("SCALE = np.sqrt(make_scale())", False), ("UNUSED = np.sqrt(2.0)", False),  # no function reads it
    ("SCALE = print(2)", False), ("SCALE = open('f')", False),  # builtins that are not pure
])
def test_a_library_call_with_constant_arguments_runs_if_a_function_uses_the_name(statement, runs):
    known = {"np", "make_scale", "helpers"} | set(dir(builtins))
    calls = definition.Calls(imported={"np", "helpers"}, student={"make_scale"}, local={"helpers"},
                            needed={"SCALE", "EPS", "rng", "N"})
    stmt = ast.parse(statement).body[0]
    assert definition.is_definition(stmt, known, calls) is runs


def test_a_constant_from_a_library_call_grades_like_the_py_and_a_skipped_one_is_named(tmp_path):
    cells = top_level_cells(REFERENCE)
    relu = next(i for i, c in enumerate(cells) if c.source.startswith("def relu_forward"))
    cells[relu] = code("SCALE = np.sqrt(4.0) / 2\n\ndef relu_forward(x):\n    return np.maximum(0, x) * SCALE, x")
    document = grade(write(tmp_path / "layers.ipynb", cells))
    assert scores(document) == full_marks(document), document["output"]
    assert "SCALE = np.sqrt" not in document["output"]


def test_a_definition_needing_a_skipped_statement_names_it(tmp_path):
    cells = [*top_level_cells(REFERENCE), code("base = make_base()"), code("class Net(base):\n    pass")]
    document = grade(write(tmp_path / "layers.ipynb", cells))
    assert scores(document) == full_marks(document), document["output"]
    n = len(cells)
    assert f"cell {n}, line 1: class Net(base):   (it uses base, set only by cell {n - 1}, line 1, which was skipped)" \
        in document["output"]


def test_a_nameerror_hint_names_the_skipped_statement():
    plan = make_plan([(1, "import numpy as np\nfor i in range(3):\n    STEP = i"), (2, "x = 1")],
                              execute=False, path="/nonexistent/layers.ipynb")
    try:
        exec("STEP", {})
    except NameError as exc:
        hint = guard.unbound_hint(exc, plan.unbound)
    assert hint == ("STEP is set only by cell 1, line 2 (for i in range(3):), which was skipped in "
                    "definitions-only mode: a loop")


def test_a_decorator_and_a_default_that_name_a_skipped_statement_do_not_sink_the_module(tmp_path):
    cells = [*top_level_cells(REFERENCE), code("timer = make_timer()\nCONFIG = load_config()"),
             code("@timer\ndef demo(config=CONFIG):\n    return config")]
    document = grade(write(tmp_path / "layers.ipynb", cells))
    assert scores(document) == full_marks(document), document["output"]
    assert "decorator not applied" in document["output"] and "default value computed" in document["output"]


def test_a_colab_interact_notebook_scores_full_marks(tmp_path):
    cells = [code("!pip install -q ipywidgets\nfrom google.colab import drive\ndrive.mount('/content/drive')"),
             code("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom ipywidgets import interact"),
             *top_level_cells(REFERENCE),
             code("@interact(alpha=(0.0, 1.0))\ndef plot(alpha=0.1):\n    plt.plot(leaky_relu_forward(np.ones(3), alpha)[0])")]
    for execute in (False, True):
        document = grade(write(tmp_path / "layers.ipynb", cells), execute_notebook=execute)
        assert scores(document) == full_marks(document), document["output"]


def test_repeated_skipped_lines_are_listed_once():
    plan = make_plan([(1, "import numpy as np\na = f(); b = f(); c = f(); d = f()")],
                              execute=False, path="/nonexistent/layers.ipynb")
    assert [(n["cell"], n["line"]) for n in plan.skipped] == [(1, 2)]


def test_skipped_statements_of_the_course_starter_notebook_are_not_listed(tmp_path):
    starter = nbformat.read(REPO / "assignments" / "layers" / "layers.ipynb", as_version=4)
    completed = completed_notebook("layers")
    completed.cells.append(code("print('my own demo')"))
    document = grade(notebook_submission(tmp_path / "submission", "layers", completed))
    assert scores(document) == full_marks(document), document["output"]
    demo = next(c.source for c in starter.cells if c.cell_type == "code" and c.source.startswith("# A small demo"))
    assert "x = np.array([[-2.0, 0.0, 3.0]])" in demo  # the starter's demo cell, kept by the student
    assert "these 1 top-level statements were skipped" in document["output"], document["output"]
    assert "print('my own demo')" in document["output"]
    assert "relu_forward(x)" not in document["output"]
    assert "grade local" not in document["output"]  # the starter's own check cell is not the student's


def test_a_report_from_the_worker_is_checked_and_escaped():
    raw = {"mode": "definitions", "skipped": [{"cell": 3, "line": 1, "code": "print('\x1b[2J\u202e')"}],
           "skipped_total": 1, "neutralized": [], "neutralized_total": 0, "failed_imports": [], "problem": None}
    report = Report.from_worker(raw)
    assert "\x1b" not in report.feedback("layers") and "\\x1b" in report.feedback("layers")
    assert "\u202e" not in report.feedback("layers")
    for broken in ({**raw, "mode": "everything"}, {**raw, "skipped": [{"cell": "3", "line": 1, "code": ""}]},
                   {**raw, "problem": {"kind": "score_is_100"}}, {**raw, "skipped_total": -1}, "text", None,
                   {**raw, "failed": [{"cell": 1, "line": 1, "code": "", "kind": "graded_100"}], "failed_total": 1},
                   {**raw, "changed": "all of it", "changed_total": 1}):
        assert Report.from_worker(broken) is None


# -- grading notebooks end to end --------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_starter_notebook_completed_with_the_reference_gets_full_marks(tmp_path, assignment):
    path = notebook_submission(tmp_path / "submission", assignment, completed_notebook(assignment))
    document = grade(path, assignment=assignment)
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert scores(document) == full_marks(document), document["output"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_training_loop_and_a_plot_at_the_bottom_are_skipped_and_listed(tmp_path, assignment):
    completed = completed_notebook(assignment)
    completed.cells += TRAINING_AND_PLOT
    path = notebook_submission(tmp_path / "submission", assignment, completed)
    document = grade(path, assignment=assignment)  # the loop never ends: were it run, import would time out
    assert scores(document) == full_marks(document), document["output"]
    training, plot = len(completed.cells) - 1, len(completed.cells)
    output = document["output"]
    assert f"cell {training}, line 2: losses = []" not in output  # a constant: it is a definition
    assert f"cell {training}, line 3: while True:  # a long training run" in output
    assert f"cell {plot}, line 1: plt.plot(losses)" in output


def test_an_import_that_fails_is_skipped_and_listed_and_the_rest_grades(tmp_path):
    cells = [code("import numpy as np\nimport nngrade_no_such_module as plotting\nfrom math import pi"),
             *top_level_cells(REFERENCE)]
    document = grade(write(tmp_path / "layers.ipynb", cells))
    assert scores(document) == full_marks(document), document["output"]
    assert ("these imports failed and were skipped:\n    cell 1, line 2: import nngrade_no_such_module as "
            "plotting   (No module named 'nngrade_no_such_module')") in document["output"]
    assert "line 3" not in document["output"]
    # --execute: a library the grader lacks (matplotlib, google.colab) is not the student's fault
    executed = grade(write(tmp_path / "layers.ipynb", cells), execute_notebook=True)
    assert scores(executed) == full_marks(executed), executed["output"]
    assert ("layers.ipynb: cell 1 raised ModuleNotFoundError: No module named 'nngrade_no_such_module'; the "
            "grader does not have that library, so the notebook's definitions only were graded.") in executed["output"]


def test_in_execute_mode_an_import_error_of_a_later_cell_also_falls_back_to_the_definitions(tmp_path):
    cells = [*top_level_cells(REFERENCE), code("from google.colab import drive\ndrive.mount('/content/drive')")]
    executed = grade(write(tmp_path / "layers.ipynb", cells), execute_notebook=True)
    assert scores(executed) == full_marks(executed), executed["output"]
    assert f"cell {len(cells)} raised ModuleNotFoundError" in executed["output"]


def test_notebook_alone_in_a_folder_and_in_a_zip_grade_alike(tmp_path):
    write(tmp_path / "alone.ipynb", top_level_cells(REFERENCE))
    folder = tmp_path / "folder" / "hw"
    folder.mkdir(parents=True)
    shutil.copyfile(tmp_path / "alone.ipynb", folder / "layers.ipynb")
    archive = tmp_path / "submission.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "layers.ipynb", "hw/layers.ipynb")
    results = [grade(p) for p in (tmp_path / "alone.ipynb", tmp_path / "folder", archive)]
    assert all(scores(r) == full_marks(r) for r in results)


def test_a_folder_with_both_the_module_and_a_notebook_is_refused_with_a_clear_message(tmp_path):
    shutil.copyfile(REFERENCE, tmp_path / "layers.py")
    write(tmp_path / "layers.ipynb", top_level_cells(REFERENCE))
    document = grade(tmp_path)
    assert document["score"] == 0
    assert "has both layers.py and layers.ipynb; submit only the one you worked in" in document["output"]


def test_invalid_json_is_reported_as_not_a_valid_notebook(tmp_path):
    path = tmp_path / "layers.ipynb"
    path.write_text('{"cells": [{"cell_type": "code", "source": "def f(): pass"}\n')  # cut short
    document = grade(path)
    assert document["score"] == 0 and document["extra_data"]["status"] == "submission_error"
    assert "layers.ipynb is not a valid notebook: it is not valid JSON (line 2, column 1" in document["output"]


def test_a_version_3_notebook_is_reported_as_the_old_format(tmp_path):
    path = tmp_path / "layers.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "code", "language": "python", "input": REFERENCE.read_text(), "outputs": []}]}]}))
    document = grade(path)
    assert document["score"] == 0
    assert "layers.ipynb is in the old notebook format 3" in document["output"]
    assert "save it (that converts it to format 4)" in document["output"]


@pytest.mark.parametrize("minor", [0, 4, 5, 99])
def test_any_v4_minor_version_is_read(tmp_path, minor):
    document = nbformat.v4.new_notebook(cells=top_level_cells(REFERENCE))
    document.nbformat_minor = minor
    raw = json.loads(nbformat.writes(document))
    if minor < 5:
        for cell in raw["cells"]:
            cell.pop("id", None)
    path = tmp_path / "layers.ipynb"
    path.write_text(json.dumps(raw))
    result = grade(path)
    assert scores(result) == full_marks(result), result["output"]


def test_a_notebook_without_code_says_so(tmp_path):
    path = write(tmp_path / "layers.ipynb", [markdown("def affine_forward(x, w, b): ..."), code("   \n")])
    document = grade(path)
    assert document["score"] == 0
    assert "layers.ipynb has no code: none of its code cells holds any" in document["output"]


def test_a_syntax_error_in_cell_7_is_reported_as_cell_7_line_2(tmp_path):
    cells = top_level_cells(REFERENCE)
    cells = [markdown("# Layers"), cells[0], markdown("## affine"), cells[1], cells[2], markdown("## more"),
             code("def broken(x):\n    return x +\n"), *cells[3:]]
    path = write(tmp_path / "layers.ipynb", cells)
    document = grade(path)
    assert document["score"] == 0
    assert "layers.ipynb does not compile: cell 7, line 2: SyntaxError: invalid syntax" in document["output"]
    assert "return x +" in document["output"]
    assert all("cell 7, line 2" in t["output"] for t in document["tests"])


def test_shell_escapes_and_cell_magics_never_run_and_the_feedback_says_so(tmp_path):
    canary = tmp_path / "canary"
    cells = [*top_level_cells(REFERENCE),
             code("!rm -rf ~"),
             code(f"!touch {canary}-shell"),
             code(f"%%bash\ntouch {canary}-bash\nrm -rf ~"),
             code(f"files = !touch {canary}-assigned"),
             code(f"get_ipython().system('touch {canary}-get-ipython')"),
             code(f"%%script sh\ntouch {canary}-script")]
    path = write(tmp_path / "layers.ipynb", cells)
    n = len(cells)
    for execute in (False, True):  # --execute runs every cell; the IPython syntax still never runs
        # subprocess backend: the worker could write tmp_path, so a command that ran would leave its file
        document = grade(path, sandbox_backend="subprocess", execute_notebook=execute)
        assert scores(document) == full_marks(document), document["output"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["layers.ipynb"]
        output = document["output"]
        assert "IPython commands never run in grading; these 6 were not run" in output
        for cell, line in ((n - 5, "!rm -rf ~"), (n - 4, f"!touch {canary}-shell"), (n - 3, "%%bash"),
                           (n - 2, f"files = !touch {canary}-assigned"),
                           (n - 1, f"get_ipython().system('touch {canary}-get-ipython')"), (n, "%%script sh")):
            # (the listing cuts long lines; the canary path's length depends on where pytest runs)
            assert f"cell {cell}, line 1: {line[:60]}" in output, output


def test_stored_outputs_and_metadata_claiming_full_marks_are_ignored(tmp_path):
    claim = code("show_my_score()")
    claim.outputs = [nbformat.v4.new_output("stream", text="score: 100/100\nAll tests passed!\n"),
                     nbformat.v4.new_output("execute_result", data={"text/plain": "{'score': 100}"},
                                            execution_count=1)]
    claim.execution_count = 1
    claim.metadata["nbgrader"] = {"grade": True, "points": 100, "solution": False, "grade_id": "all"}
    path = write(tmp_path / "layers.ipynb", [*top_level_cells(STARTER), claim],
                 nbgrader={"total_points": 100}, kernelspec={"name": "python3", "display_name": "Python 3"})
    document = grade(path)
    assert document["score"] == 0
    assert "100/100" not in json.dumps(document) and "All tests passed" not in json.dumps(document)


def test_a_function_relying_on_skipped_top_level_code_fails_and_the_skip_is_listed(tmp_path):
    cells = top_level_cells(REFERENCE)
    relu = next(i for i, c in enumerate(cells) if c.source.startswith("def relu_forward"))
    cells[relu] = code("def one():\n    return 1.0\n\nSCALE = one()\n\n"
                       "def relu_forward(x):\n    return np.maximum(0, x) * SCALE, x")
    path = write(tmp_path / "layers.ipynb", cells)
    document = grade(path)
    assert scores(document)["relu_forward"] == 0
    item = next(t["output"] for t in document["tests"] if t["extra_data"]["item"] == "relu_forward")
    assert "NameError: name 'SCALE' is not defined" in item
    # the call-time NameError says which skipped statement would have set it, and why it was skipped
    assert f"SCALE is set only by cell {relu + 1}, line 4 (SCALE = one()), which was skipped" in item
    assert f"cell {relu + 1}, line 4: SCALE = one()" in document["output"]
    executed = grade(path, execute_notebook=True)  # --execute runs the call too
    assert scores(executed)["relu_forward"] == full_marks(executed)["relu_forward"], executed["output"]
    assert "every code cell was run in order" in executed["output"]


def test_execute_mode_stops_at_an_exception_and_names_the_cell(tmp_path):
    cells = [*top_level_cells(REFERENCE), markdown("demo"), code("x = 1\nraise ValueError('demo cell broke')")]
    path = write(tmp_path / "layers.ipynb", cells)
    assert scores(grade(path)) == full_marks(grade(path))  # definitions only: the raise never runs
    document = grade(path, execute_notebook=True)
    assert document["score"] == 0
    assert "ValueError: demo cell broke" in document["output"]
    assert f"(in layers.ipynb, cell {len(cells)}, line 2)" in document["output"]


def test_a_runtime_error_in_a_student_function_points_at_its_cell_and_line(tmp_path):
    cells = top_level_cells(REFERENCE)
    relu = next(i for i, c in enumerate(cells) if c.source.startswith("def relu_forward"))
    cells[relu] = code("# relu\n\ndef relu_forward(x):\n    y = x\n    raise KeyError('oops')")
    path = write(tmp_path / "layers.ipynb", cells)
    output = next(t["output"] for t in grade(path)["tests"] if t["extra_data"]["item"] == "relu_forward")
    assert f"(in layers.ipynb, cell {relu + 1}, line 5, in relu_forward)" in output
    assert "raise KeyError('oops')" in output


def test_in_execute_mode_jupyters_display_exists_and_does_nothing(tmp_path):
    cells = [*top_level_cells(REFERENCE), code("out, _ = relu_forward(np.ones(2))\ndisplay(out)\nprint(out)")]
    document = grade(write(tmp_path / "layers.ipynb", cells), execute_notebook=True)
    assert scores(document) == full_marks(document), document["output"]
    assert "display" not in json.dumps([t["output"] for t in document["tests"]])


# -- definitions mode runs none of the student's code (issue 9, gap 13) -------------
# Each notebook below holds the reference solution plus one construct that, were it
# run while the notebook is defined, would loop forever: today's code hits the import
# timeout and zeroes every item; a construct that is not run costs nothing.

FOREVER = "def train_forever(*args, **kwargs):\n    while True:\n        pass\n"


def hostile(tmp_path, *cells, execute=False, helpers=None):
    """Grade the reference solution followed by ``cells`` (subprocess backend, short limits)."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for name, source in (helpers or {}).items():
        (folder / name).write_text(source)
    everything = [*top_level_cells(REFERENCE), *cells]
    write(folder / "layers.ipynb", everything)
    return grade(folder, sandbox_backend="subprocess", execute_notebook=execute), len(everything)


def assert_full_marks(document):
    assert document["extra_data"]["status"] == "graded", document["extra_data"]["grader_errors"]
    assert scores(document) == full_marks(document), document["output"]


def test_a_decorator_of_the_students_own_is_not_applied_and_the_function_is_kept(tmp_path):
    document, n = hostile(tmp_path, code(FOREVER + "\n\n@train_forever\ndef warm_up(x):\n    return x"))
    assert_full_marks(document)
    assert (f"cell {n}, line 6: @train_forever   [decorator not applied: only a decorator from an import "
            "is applied]") in document["output"]


def test_a_decorator_whose_import_failed_is_dropped_and_the_function_is_kept(tmp_path):
    document, n = hostile(tmp_path, code("from nngrade_no_such_widgets import interact\n\n"
                                         "@interact\ndef explore(x=1.0):\n    return x"))
    assert_full_marks(document)
    output = document["output"]
    assert f"cell {n}, line 1: from nngrade_no_such_widgets import interact" in output
    assert (f"cell {n}, line 3: @interact   [defined without its decorators]   "
            "(NameError: name 'interact' is not defined)") in output


def test_a_library_decorator_with_constant_arguments_is_applied(tmp_path):
    relu = ("import dataclasses\n\n@dataclasses.dataclass(frozen=True)\nclass Slope:\n    value: float = 1.0\n\n"
            "def relu_forward(x):\n    return np.maximum(Slope(0.0).value, x), x")  # Slope(0.0) needs the dataclass
    document, _ = hostile(tmp_path, code(relu))
    assert_full_marks(document)
    assert "decorator" not in document["output"]


def test_a_library_decorator_that_calls_the_function_at_definition_is_not_applied(tmp_path):
    document, n = hostile(tmp_path, code("import timeit\n\n@timeit.timeit\ndef benchmark():\n    while True:\n"
                                         "        pass"))
    assert_full_marks(document)
    assert (f"cell {n}, line 3: @timeit.timeit   [defined without its decorators]   (applying them would "
            "run your code: benchmark)") in document["output"]


def test_a_default_value_that_trains_is_computed_only_when_the_argument_is_missing(tmp_path):
    cells = [code(FOREVER),
             code("def fine_tune(x, steps=train_forever()):\n    return x\n\n"
                  "def relu_forward(x, floor=np.zeros(())):\n    return np.maximum(floor, x), x")]
    document, n = hostile(tmp_path, *cells)
    assert_full_marks(document)  # relu_forward's default is computed at each call: it still works
    assert (f"cell {n}, line 1: def fine_tune(x, steps=train_forever()):   [default value computed when "
            "the function is called without it, not when it is defined]") in document["output"]


def test_annotations_are_never_evaluated(tmp_path):
    cells = [code(FOREVER),
             code("def relu_forward(x: train_forever()) -> train_forever():\n    return np.maximum(0, x), x\n\n"
                  "SIZE: train_forever() = 3\n\nclass Config:\n    lr: train_forever() = 0.1")]
    document, n = hostile(tmp_path, *cells)
    assert_full_marks(document)
    assert f"cell {n}" not in document["output"]  # nothing was skipped or changed


def test_a_class_body_keeps_its_definitions_and_drops_the_rest(tmp_path):
    net = ('class Net:\n    """A tiny net."""\n    SCALE = 2.0\n    W = train_forever()\n    for i in range(3):\n'
           '        pass\n\n    def forward(self, x):\n        return x * self.SCALE\n\n'
           "def relu_forward(x):\n    return np.maximum(0, x) * (Net().forward(1.0) / 2.0), x")
    document, n = hostile(tmp_path, code(FOREVER), code(net))
    assert_full_marks(document)
    output = document["output"]
    assert f"cell {n}, line 4: W = train_forever()   [removed from its class body: not a definition]" in output
    assert f"cell {n}, line 5: for i in range(3):   [removed from its class body: not a definition]" in output


@pytest.mark.parametrize("hook,line,culprit", [
    ("class Slow(type):\n    def __new__(mcls, name, bases, namespace):\n        while True:\n            pass\n\n"
     "class Net(metaclass=Slow):\n    pass", "line 6: class Net(metaclass=Slow):", "Slow.__new__"),
    ("class Base:\n    def __init_subclass__(cls, **kwargs):\n        while True:\n            pass\n\n"
     "class Net(Base):\n    pass", "line 6: class Net(Base):", "Base.__init_subclass__"),
    ("class Base:\n    def __class_getitem__(cls, item):\n        while True:\n            pass\n\n"
     "class Net(Base[int]):\n    pass", "line 6: class Net(Base[int]):", "Base.__class_getitem__"),
], ids=["metaclass", "init_subclass", "class_getitem"])
def test_a_class_whose_creation_would_run_student_code_is_skipped_and_listed(tmp_path, hook, line, culprit):
    document, n = hostile(tmp_path, code(hook))
    assert_full_marks(document)
    assert f"cell {n}, {line}   [skipped: defining it would run your code]   ({culprit})" in document["output"]


def test_a_helper_objects_set_name_hook_is_not_run_by_a_class_body(tmp_path):
    helper = "class Field:\n    def __set_name__(self, owner, name):\n        while True:\n            pass\n\nFIELD = Field()\n"
    document, n = hostile(tmp_path, code("from my_fields import FIELD\n\nclass Record:\n    value = FIELD"),
                          helpers={"my_fields.py": helper})
    assert_full_marks(document)
    assert (f"cell {n}, line 3: class Record:   [skipped: defining it would run your code]   "
            "(Field.__set_name__)") in document["output"]


def test_a_constant_that_reads_a_property_of_a_student_metaclass_is_skipped_and_listed(tmp_path):
    meta = ("class Meta(type):\n    @property\n    def size(cls):\n        while True:\n            pass\n\n"
            "class Config(metaclass=Meta):\n    pass\n\nSIZE = Config.size")
    document, n = hostile(tmp_path, code(meta))
    assert_full_marks(document)
    assert f"cell {n}, line 10: SIZE = Config.size   [skipped: defining it would run your code]   (Meta.size)" \
        in document["output"]


def test_a_helper_module_runs_at_import_as_for_a_py_but_its_functions_never_run_in_definitions(tmp_path):
    helper = ("import numpy as np\nFLOOR = float(np.zeros(()))  # top-level code: runs at import\n\n"
              "def register(f):\n    while True:\n        pass\n")
    cell = ("import my_helpers\n\n@my_helpers.register\ndef relu_forward(x):\n"
            "    return np.maximum(my_helpers.FLOOR, x), x")
    document, n = hostile(tmp_path, code(cell), helpers={"my_helpers.py": helper})
    assert_full_marks(document)
    assert (f"cell {n}, line 3: @my_helpers.register   [defined without its decorators]   (applying them "
            "would run your code: register)") in document["output"]


def test_a_helper_module_that_never_finishes_importing_is_skipped_and_the_rest_grades(tmp_path):
    document, n = hostile(tmp_path, code("import slow_helpers"),
                          helpers={"slow_helpers.py": "while True:\n    pass\n"})
    assert_full_marks(document)
    assert (f"layers.ipynb: cell {n}, line 1 (import slow_helpers) did not finish within 1.5 s; it was "
            "skipped and the notebook's other definitions were run again without it") in document["output"]



# -- --execute: a cell that never finishes (or kills the process) costs no item -----

def test_in_execute_mode_a_cell_that_never_finishes_falls_back_to_definitions_only(tmp_path):
    document, n = hostile(tmp_path, markdown("## training"), code("losses = []\nwhile True:\n    losses.append(0)"),
                          execute=True)
    assert_full_marks(document)
    assert (f"layers.ipynb: cell {n} did not finish within 1.5 s; graded the notebook's definitions only"
            in document["output"])
    assert f"cell {n}, line 2: while True:" in document["output"]  # listed as skipped, as in the default mode
    assert "every code cell was run in order" not in document["output"]


def test_in_execute_mode_a_cell_that_kills_the_process_falls_back_to_definitions_only(tmp_path):
    document, n = hostile(tmp_path, code("import os\nos._exit(3)"), execute=True)
    assert_full_marks(document)
    assert (f"layers.ipynb: cell {n} crashed the process running it (the worker process exited with code 3); "
            "graded the notebook's definitions only") in document["output"]


def test_in_execute_mode_an_exception_still_stops_the_run(tmp_path):
    """Only a timeout or a crash falls back: an exception is the notebook's own error, as in Jupyter."""
    document, n = hostile(tmp_path, code("raise ValueError('broken demo')"), execute=True)
    assert document["score"] == 0 and "ValueError: broken demo" in document["output"]


def test_after_the_fallback_a_restarted_worker_runs_definitions_only(tmp_path):
    import time

    from grader.proxy import StudentProxy

    write(tmp_path / "layers.ipynb", [*top_level_cells(REFERENCE), code("while True:\n    pass")])
    sandbox = notebook.NotebookSandbox(submission_dir=tmp_path, limits=SHORT_LIMITS, backend="subprocess",
                                       execute=True)
    proxy = StudentProxy(sandbox=sandbox, module="layers", limits=SHORT_LIMITS)
    try:
        proxy.load()
        assert sandbox.execute is False and "graded the notebook's definitions only" in notebook.feedback(sandbox, "layers")
        proxy._worker.kill()  # as after a call that timed out: the next call starts a fresh worker
        started = time.monotonic()
        out, _ = proxy.relu_forward(np.array([-1.0, 2.0]))
        assert out.tolist() == [0.0, 2.0]
        assert time.monotonic() - started < SHORT_LIMITS.import_timeout  # the endless cell was not run again
    finally:
        proxy.close()


def test_a_notebook_that_hangs_in_three_definitions_fails_after_two_restarts_naming_the_cell(tmp_path):
    helpers = {f"slow{i}.py": "while True:\n    pass\n" for i in range(3)}
    limits = SHORT_LIMITS.replace(import_timeout=1.0)
    folder = tmp_path / "submission"
    folder.mkdir()
    for name, source in helpers.items():
        (folder / name).write_text(source)
    write(folder / "layers.ipynb", [*top_level_cells(REFERENCE), code("import slow0\nimport slow1\nimport slow2")])
    document = grade(folder, sandbox_backend="subprocess", limits=limits)
    n = len(top_level_cells(REFERENCE)) + 1
    assert document["score"] == 0 and document["extra_data"]["status"] == "submission_error"
    assert (f"layers.ipynb: cell {n}, line 3 (import slow2) did not finish within the import time limit (an "
            "infinite loop or a long computation?), after 2 restarts of the import") in document["output"]


def test_a_notebook_with_more_definitions_than_can_be_listed_is_refused_with_a_message(tmp_path):
    """The trusted side drives the import one unit at a time from a list the worker sends; that
    list stays far below the protocol's cap on a message's JSON (here: the worker side alone)."""
    import types

    cells = [code("\n".join(f"X{i} = {i}" for i in range(worker_notebook.MAX_UNITS + 1)))]
    write(tmp_path / "layers.ipynb", cells)
    worker = types.SimpleNamespace(submission_dir=str(tmp_path))
    reply = worker_notebook.import_notebook(worker, {"module": "layers", "notebook_step": "plan"})
    report = Report.from_worker(reply["notebook"])
    assert report.problem_text("layers") == (f"layers.ipynb has {worker_notebook.MAX_UNITS + 1} top-level definitions (or "
                                             f"cells, with --execute); at most {worker_notebook.MAX_UNITS} can be graded")
