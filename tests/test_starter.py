"""`grade starter`: the starter module and notebook come from the annotated solution. Markers
(both spellings) turn solution code into prompts and NotImplementedError, module-level blocks
vanish, wrong markers are refused with the solution's file and line, the bundled starters are
exactly what their solutions generate, and a stale or leaking committed starter is reported."""

import ast
import json
import shutil

import nbformat
import pytest
from conftest import REPO

from grader import course, markers, starter

ASSIGNMENTS = ["layers", "losses", "optim", "mlp"]

ANNOTATED = '''"""Doc."""

import numpy as np

# BEGIN SOLUTION
# trusted
def _double(x):
    return 2 * x
# END SOLUTION


def f(x):
    """F."""
    # BEGIN PROMPT
    # TODO: double x.
    # END PROMPT
    # BEGIN SOLUTION
    y = _double(x)
    return y
    # END SOLUTION
'''


def stripped(source: str) -> str:
    return markers.strip(source, path="sol.py").source


def test_solution_block_in_a_function_becomes_its_prompt_then_a_not_implemented_raise():
    assert stripped(ANNOTATED) == '''"""Doc."""

import numpy as np


def f(x):
    """F."""
    # TODO: double x.
    raise NotImplementedError("f is not implemented yet")
'''


def test_nbgrader_triple_hash_markers_with_trailing_spaces_work_the_same():
    nbgrader = ANNOTATED.replace("# BEGIN", "### BEGIN").replace("# END", "### END")
    nbgrader = nbgrader.replace("SOLUTION\n", "SOLUTION  \n")
    assert stripped(nbgrader) == stripped(ANNOTATED)


def test_a_prompt_with_code_is_shown_and_gets_no_raise_and_starter_lines_become_code():
    source = ('def g(cache):\n    """G."""\n    # BEGIN PROMPT\n    x = cache\n    # STARTER: import math\n'
              '    # END PROMPT\n\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n')
    result = markers.strip(source, path="sol.py")
    assert result.source == 'def g(cache):\n    """G."""\n    x = cache\n    import math\n'
    assert result.raised == {}


def test_a_module_level_prompt_takes_the_place_of_its_removed_solution_block():
    source = ('import numpy as np\n\n# BEGIN PROMPT\n# STARTER: import layers\n# END PROMPT\n# BEGIN SOLUTION\n'
              'layers = None\n# END SOLUTION\n\nA = 1\n')
    assert stripped(source) == "import numpy as np\n\nimport layers\n\nA = 1\n"


def test_marker_text_inside_a_string_is_not_a_marker():
    source = 'TEMPLATE = """\n# BEGIN SOLUTION\n"""\n'
    assert stripped(source) == source


def test_notebook_blocks_become_notebook_cells_and_never_module_code():
    source = ANNOTATED + "\n\n# BEGIN NOTEBOOK\n# %% [markdown]\n# ## Try it\n# %%\n# print(f(1))\n# END NOTEBOOK\n"
    result = markers.strip(source, path="sol.py")
    assert result.source == stripped(ANNOTATED)
    assert result.notebook == (("markdown", "## Try it"), ("code", "print(f(1))"))


BODY = 'def f():\n    """F."""\n'


@pytest.mark.parametrize("source, line, words", [
    (BODY + "    # BEGIN SOLUTION\n    return 1\n", 3, "never closed"),
    (BODY + "    return 1\n    # END SOLUTION\n", 4, "no `# BEGIN SOLUTION` before it"),
    (BODY + "    # BEGIN SOLUTION\n    # BEGIN PROMPT\n    return 1\n    # END SOLUTION\n", 4, "cannot nest"),
    (BODY + "    # BEGIN PROMPT\n    return 1\n    # END SOLUTION\n", 5, "closes the PROMPT block"),
    (BODY + "    # BEGIN SOLUTION\n    return 1\n# END SOLUTION\n", 5, "not indented like"),
    (BODY + "    # BEGIN PROMPT\n    # TODO\n    # END PROMPT\n    return 1\n", 3, "not followed by a SOLUTION block"),
    ("if True:\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", 2, "does not parse"),
    (BODY + "    # Begin Solution\n    return 1\n", 3, "looks like a marker"),
    (BODY + "    # BEGIN NOTEBOOK\n    # x\n    # END NOTEBOOK\n    return 1\n", 3, "not at module level"),
    ("# BEGIN NOTEBOOK\nx = 1\n# END NOTEBOOK\n", 2, "holds code"),
])
def test_wrong_markers_are_refused_naming_the_solution_file_and_line(source, line, words):
    with pytest.raises(markers.StarterError) as caught:
        markers.strip(source, path="sol.py")
    assert str(caught.value).startswith(f"sol.py:{line}: "), str(caught.value)
    assert words in str(caught.value)
    assert isinstance(caught.value, starter.StarterError)


@pytest.fixture(scope="module")
def bundled():
    root = REPO
    return {name: course.load(root, name) for name in ASSIGNMENTS}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_each_bundled_starter_is_what_its_solution_generates_and_passes_every_check(bundled, name):
    assert starter.check(bundled[name]) == []


def test_grade_starter_check_passes_on_every_bundled_assignment_and_fails_on_a_stale_one(copied):
    from click.testing import CliRunner

    from grader.cli import main

    runner = CliRunner()
    for name in ASSIGNMENTS:
        result = runner.invoke(main, ["starter", "-a", name, "--check", "--course", str(REPO)])
        assert result.exit_code == 0, result.output
    root = copied.root  # a copy of the layers assignment
    stale = root / "assignments" / "layers" / "layers.py"
    stale.write_text(stale.read_text() + "\n# edited by hand\n")
    result = runner.invoke(main, ["starter", "-a", "layers", "--check", "--course", str(root)])
    assert result.exit_code == 1 and "grade starter -a layers" in result.output


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_generated_starter_keeps_the_solutions_docstring_and_functions_and_raises_where_marked(bundled, name):
    made = starter.generate(bundled[name])
    solution = ast.parse(bundled[name].solution.read_text())
    module = ast.parse(made.module_source)
    assert ast.get_docstring(module) == ast.get_docstring(solution)
    after_docstring = made.module_source.splitlines()[module.body[0].end_lineno:]
    assert after_docstring[:2] == ["", starter.HEADER.format(name=name)]
    ours = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    theirs = {n.name: n for n in solution.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    assert list(ours) == list(theirs)
    for function, node in ours.items():
        assert ast.unparse(node.args) == ast.unparse(theirs[function].args)
        assert ast.unparse(node.body[-1]) == f"raise NotImplementedError('{function} is not implemented yet')"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_generated_notebook_is_valid_deterministic_and_ends_with_grade_local(bundled, name):
    made = starter.generate(bundled[name])
    assert made == starter.generate(bundled[name])
    document = nbformat.reads(made.notebook, as_version=4)
    nbformat.validate(document)
    assert [cell.id for cell in document.cells] == [f"cell-{i:04d}" for i in range(1, len(document.cells) + 1)]
    assert document.cells[0].source.startswith("# Assignment: ")
    assert document.cells[-1].cell_type == "code" and document.cells[-1].source.endswith("\n!grade local")
    assert "timestamp" not in made.notebook and all(not cell.get("outputs") for cell in document.cells)


def cell_before(document, function: str) -> str:
    """The markdown cell right before the code cell defining ``function``."""
    for index, cell in enumerate(document.cells):
        if cell.cell_type == "code" and f"\ndef {function}(" in "\n" + cell.source:
            return document.cells[index - 1].source
    raise AssertionError(function)


def test_handout_sections_go_before_the_function_they_are_about_and_the_rest_into_the_intro(bundled):
    layers = nbformat.reads(starter.generate(bundled["layers"]).notebook, as_version=4)
    assert cell_before(layers, "relu_forward").startswith("## Activation functions")
    assert "### At a kink" in cell_before(layers, "relu_forward") and "### ReLU" in cell_before(layers, "relu_forward")
    assert cell_before(layers, "leaky_relu_forward").startswith("### Leaky ReLU")
    assert cell_before(layers, "relu_backward").startswith("### `relu_backward(dout, cache)`")
    assert "## Rules" in layers.cells[1].source and "## What to implement" in layers.cells[1].source
    optim = nbformat.reads(starter.generate(bundled["optim"]).notebook, as_version=4)
    assert cell_before(optim, "step_decay").startswith("## Learning-rate schedules")
    assert cell_before(optim, "sgd").startswith("## Update rules")
    mlp = nbformat.reads(starter.generate(bundled["mlp"]).notebook, as_version=4)
    assert "## Experiments (not graded)" in mlp.cells[-4].source and "import mlp_data" in mlp.cells[-3].source
    assert "import layers" in mlp.cells[2].source and "HISTORY_KEYS = " in mlp.cells[2].source


@pytest.fixture()
def copied(tmp_path):
    """A course holding a copy of the layers assignment: rubric, solution, starters, handout."""
    for relative in ["rubrics/layers/rubric.json", "solutions/layers/layers.py", "assignments/layers/layers.py",
                     "assignments/layers/layers.ipynb", "assignments/layers/README.md"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relative, tmp_path / relative)
    return course.load(tmp_path, "layers")


def test_write_rewrites_only_the_files_that_differ(copied):
    assert starter.write(copied) == []
    copied.starter_notebook.write_text("{}")
    assert starter.write(copied) == [copied.starter_notebook]
    assert starter.check(copied) == []


def test_a_stale_committed_starter_is_reported_with_the_command_that_regenerates_it(copied):
    copied.starter.write_text(copied.starter.read_text().replace("# TODO: elementwise max(0, x)", "# TODO: max"))
    assert starter.check(copied) == [
        "assignments/layers/layers.py: differs from what the annotated solution solutions/layers/layers.py "
        "generates: run `grade starter -a layers`"]


def test_a_notebook_without_a_function_of_the_module_is_reported(copied):
    document = json.loads(copied.starter_notebook.read_text())
    document["cells"] = [cell for cell in document["cells"] if "def tanh_backward(" not in "".join(cell["source"])]
    copied.starter_notebook.write_text(json.dumps(document))
    assert starter.check(copied)[1:] == [
        "assignments/layers/layers.ipynb: does not define the same functions as assignments/layers/layers.py: "
        "tanh_backward()"]


def test_a_solution_line_in_the_starter_is_reported_with_both_line_numbers(copied):
    text = copied.starter.read_text()
    copied.starter.write_text(text.replace('    raise NotImplementedError("relu_forward is not implemented yet")',
                                           "    out = np.maximum(0, x)\n    cache = x\n    return out, cache"))
    problems = starter.check(copied)
    solution_line = copied.solution.read_text().splitlines().index("    out = np.maximum(0, x)") + 1
    starter_line = copied.starter.read_text().splitlines().index("    out = np.maximum(0, x)") + 1
    assert (f"assignments/layers/layers.py:{starter_line}: holds line {solution_line} of the solution "
            "(solutions/layers/layers.py) outside a PROMPT block: out = np.maximum(0, x)") in problems
    assert any("relu_forward() does not raise NotImplementedError" in problem for problem in problems)


def test_a_starter_missing_a_function_or_changing_its_signature_is_reported(copied):
    text = copied.starter.read_text().replace("def leaky_relu_forward(x, alpha=0.01):", "def leaky_relu_forward(x):")
    copied.starter.write_text(text.replace("def softmax(x):", "def soft_max(x):"))
    problems = starter.check(copied)
    assert any("leaky_relu_forward(x) is not the solution's leaky_relu_forward(x, alpha=0.01)" in p for p in problems)
    assert any(p.startswith("assignments/layers/layers.py: has no function softmax() of the solution "
                            "(solutions/layers/layers.py:") for p in problems)


def test_a_notebook_leaking_solution_code_is_reported_with_its_cell(copied):
    document = json.loads(copied.starter_notebook.read_text())
    for cell in document["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "def softmax(" in text:
            cell["source"] = text.replace("    raise NotImplementedError", "    exps = np.exp(shifted)\n    raise "
                                          "NotImplementedError")
    copied.starter_notebook.write_text(json.dumps(document))
    problems = starter.check(copied)
    assert any(p.startswith("assignments/layers/layers.ipynb: cell ") and "exps = np.exp(shifted)" in p
               for p in problems)


def test_wrong_markers_in_the_solution_are_the_one_problem_check_reports(copied):
    copied.solution.write_text(copied.solution.read_text().replace("    # END PROMPT\n", "", 1))
    (problem,) = starter.check(copied)
    assert problem.startswith("solutions/layers/layers.py:") and "cannot nest" in problem
