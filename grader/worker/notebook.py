"""Notebook (``.ipynb``) submissions: turned into the student's module inside the worker.

UNTRUSTED SIDE (:mod:`grader.worker`): imports only modules of :mod:`grader.worker`.
A notebook is never converted or run in the trusted process. The staged
``<module>.ipynb`` is read, converted and run by the worker (:func:`import_notebook`,
called from :meth:`grader.worker.server.Worker.op_import`), under the same sandbox and
limits as a ``.py`` file. What comes back is plain data: the list of functions,
as for a ``.py`` file, and a *report* of what was skipped or neutralized, which
the trusted side checks and escapes (:class:`grader.notebookreport.Report`) before it
shows it. The trusted half, which drives the import and words the feedback, is
:mod:`grader.notebook`.

Reading
    As JSON, notebook format 4 (any minor version; nbformat is not imported). Invalid JSON, a
    format 3 notebook, a notebook without code and a malformed cell each get
    their own message. Only the ``source`` of code cells is used: stored
    outputs (even one that prints "score: 100/100"), execution counts, cell
    and notebook metadata (``nbgrader`` points, kernelspec) are ignored;
    points come only from the rubric.

Cell numbers
    ``cell 7`` is the 7th cell from the top of the notebook, markdown cells
    included; ``line 2`` is the line within that cell. Syntax errors, skipped
    statements and tracebacks all use this form.

What runs: mode ``definitions`` (the default)
    Only the *definitions* among each cell's top-level statements run, in
    notebook order, and defining them runs none of the student's own code, so a
    notebook that trains for ten minutes at the bottom still grades in seconds.
    ``docs/notebooks.md`` has the table of every construct and why. A definition is:

    * ``import`` and ``from ... import`` (an import that fails with
      ImportError, e.g. ``import matplotlib`` where it is not installed, is
      skipped and reported instead of failing the whole notebook). A helper
      module of the submission (``import my_helpers``) runs its top-level code,
      as it would for a ``.py`` submission that imports it;
    * ``def`` and ``async def``, changed so that defining them runs nothing of
      the student's: a decorator is applied only if it is a name or attribute
      chain from an import (``@njit``, ``@functools.cache``; also
      ``staticmethod``, ``classmethod``, ``property`` and ``@x.setter``), or a
      call of one with constant arguments (``@dataclass(frozen=True)``); others
      are dropped and reported. A default value that is not a constant
      expression (``out=np.zeros(3)``) is computed when the function is called
      without it, not at the ``def`` (reported). Annotations are never
      evaluated (PEP 563: they are kept as text);
    * ``class``, if its bases and keywords (``metaclass=``) are constant
      expressions, with the same rules for its decorators and methods; its
      body keeps only definitions (methods, constant assignments, docstrings,
      nested classes); any other statement in it is removed and reported;
    * an assignment of a *constant expression* to plain names
      (``EPS = 1e-12``, ``SIZES = (2, 3)``, ``D = H * W``, ``DTYPE = np.float64``,
      ``relu = lambda x: ...``): literals, names already defined by an earlier
      definition (or builtins), attribute and subscript access on those,
      operators, containers, conditional expressions, f-strings and lambdas;
      **no calls** and no comprehensions. ``x: T = value`` likewise;
    * an assignment whose value calls a library function with constant arguments
      (``SCALE = np.sqrt(2.0)``), if a function or class of the notebook reads a name
      it assigns (:class:`grader.worker.definition.Calls`, ``docs/notebooks.md``);
    * ``if``/``try`` statements whose conditions are constant expressions and
      whose every branch holds only definitions (``try: import numba``
      ``except ImportError: numba = None``);
    * ``pass`` and bare string literals.

    Everything else at top level (calls such as a training run, ``plt.plot``
    or ``print``, loops, ``with``, augmented assignments, assignments of call
    results such as ``rng = np.random.default_rng(0)``) is skipped and listed
    in the feedback with its cell, line and first line of code.

    While a definition runs, a guard (:class:`grader.worker.guard.Guard`, a trace function)
    refuses to enter any *function* of the student's, from the notebook or a
    ``.py`` of the submission, unless a helper module's own import called it.
    What would run one anyway (a metaclass, ``__init_subclass__``, a property
    of a metaclass read by a "constant", ``__set_name__``, ``__class_getitem__``,
    a library decorator that calls the function, ``@interact``) is caught: a
    def or class is then defined without its decorators, or else skipped; both
    are reported. A definition that raises is skipped and reported too; the
    rest of the notebook still runs.

What runs: mode ``execute`` (``--execute``)
    Every code cell runs in order, as "Run All" would, with ``__name__`` set
    to ``"__main__"`` while the cells run. An exception stops the run there
    and is the submission's error, as an exception at import is for a ``.py``.

Steps, time limit and restarts
    The import runs one unit at a time (a definition, or in execute mode a
    cell: :func:`import_notebook`), all within the import time limit. If one
    does not finish in time, or crashes the worker, a fresh worker imports the
    notebook again: in execute mode it is graded on its definitions only ("cell
    12 did not finish within 10 s; graded the notebook's definitions only"); in
    definitions mode that one definition is skipped. At most
    :data:`grader.notebook.MAX_IMPORT_RESTARTS` restarts, each with the import time
    limit (:class:`grader.notebook.NotebookSandbox`); later workers import the same way.

IPython syntax, in both modes
    Line magics (``%time``), cell magics (``%%bash``: the rest of the cell),
    shell escapes (``!rm -rf ~``, ``files = !ls``), help (``x?``, ``?x``) and
    the other IPython escapes (``/f x``, ``,f a b``, ``;f a b``) at the start
    of a logical line never reach a shell: the line becomes ``pass`` (line
    numbers stay as they were) and is reported. ``get_ipython()`` is a stub
    whose every method does nothing; its calls are reported too. ``display()``
    exists, as in Jupyter, and does nothing.
"""

from __future__ import annotations

import dataclasses
import linecache
import os
import sys
import types

from grader.worker.cells import NotebookProblem, read_cells
from grader.worker.guard import Guard, run_definition, unbound_hint
from grader.worker.jupyter import JUPYTER_NAMES
from grader.worker.plan import Plan, Unit, make_plan
from grader.worker.rewrite import DEFERRED, Deferred

MODES = ("definitions", "execute")
# Why: a report names what was skipped; past 50 entries more lines only bury the first ones.
MAX_REPORTED = 50
EXTENSION = ".ipynb"
# Why: the plan reply lists every unit (about 16 bytes each without code) and must stay far
# below the protocol's cap on the JSON part of a message; no real notebook comes near.
MAX_UNITS = 20_000
MAX_QUOTED_UNITS = 2000  # above this many units, the plan reply quotes no code (it stays small)
UNIT_CHARS = 60  # characters of a unit's code quoted in the plan reply


def _remember_sources(plan: Plan) -> None:
    for filename, source in plan.sources.items():
        # Why: tracebacks of the student's functions show their code, cell and line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def run_unit(unit: Unit, namespace: dict, *, execute: bool, guard: Guard, report: dict) -> None:
    """Run one unit: in execute mode a whole cell, whose exceptions propagate; else one
    definition (:func:`grader.worker.guard.run_definition`)."""
    if not execute:
        run_definition(unit, namespace, guard, report)
        return
    name = namespace["__name__"]
    namespace["__name__"] = "__main__"  # as in Jupyter, where "Run All" runs in __main__
    try:
        exec(unit.code, namespace)
    finally:
        namespace["__name__"] = name


@dataclasses.dataclass
class _Session:
    """A notebook being imported in this worker, between the steps of ``import``."""

    name: str
    plan: Plan
    module: types.ModuleType
    report: dict
    execute: bool
    guard: Guard


def _capped(report: dict) -> dict:
    """The report as sent: each list cut to MAX_REPORTED entries, with its total."""
    out = dict(report)
    for key in ("skipped", "changed", "neutralized", "failed", "failed_imports"):
        out[key] = report[key][:MAX_REPORTED]
    for key in ("changed", "neutralized", "failed"):
        out[f"{key}_total"] = len(report[key])
    return out


def import_notebook(worker, message: dict) -> dict:
    """The worker's ``import`` operation for ``<module>.ipynb``; sets ``worker.module``.

    The reply is the one for a ``.py`` file (``ok``: the public callables, or
    ``error``) plus ``notebook``: the report, plain data, checked by
    :class:`grader.notebookreport.Report`.

    The trusted side asks in steps (``notebook_step``), so that it knows which cell
    or definition was running should one never finish: ``plan`` reads and plans the
    notebook and answers ``units`` ([cell, line, code] of each); ``run`` runs unit
    ``notebook_unit`` and answers ``ran`` (or the error that stops the import);
    ``finish`` answers as above. Without ``notebook_step`` all three happen at once."""
    step = message.get("notebook_step")
    if step == "run":
        return _run_step(worker, message.get("notebook_unit"))
    if step == "finish":
        return _finish(worker)
    reply = _start(worker, message)
    if step == "plan" or "error" in reply:
        return reply
    for index in range(len(worker.notebook_session.plan.units)):
        reply = _run_step(worker, index)
        if "error" in reply:
            return reply
    return _finish(worker)


def _start(worker, message: dict) -> dict:
    name = message["module"]
    path = os.path.join(worker.submission_dir, name + EXTENSION)
    execute = message.get("notebook_execute") is True
    report: dict = {"mode": MODES[1] if execute else MODES[0], "skipped": [], "skipped_total": 0, "changed": [],
                    "neutralized": [], "failed_imports": [], "failed": [], "problem": None}
    try:
        with open(path, "rb") as f:
            data = f.read()
        plan = make_plan(read_cells(data), execute=execute, path=path)
        if len(plan.units) > MAX_UNITS:
            raise NotebookProblem("too_large", str(len(plan.units)))
    except (NotebookProblem, OSError, MemoryError) as exc:
        problem = exc if isinstance(exc, NotebookProblem) else NotebookProblem("unreadable", type(exc).__name__)
        report["problem"] = problem.as_dict()
        where = [{"file": f"{name}{EXTENSION}, cell {problem.cell}", "line": problem.line, "function": "",
                  "code": problem.code.strip()[:200]}] if problem.cell else []
        error = {"kind": "syntax" if problem.kind == "syntax" else "notebook", "type": "NotebookError",
                 "message": f"{problem.kind}: {problem.detail}"[:2000], "where": where}
        return {"error": error, "notebook": _capped(report)}
    report.update(skipped=plan.skipped, skipped_total=len(plan.skipped), changed=plan.changed,
                  neutralized=plan.neutralized)
    # Appended, not prepended, as for a .py: helper modules import, numpy is never shadowed.
    if worker.submission_dir not in sys.path:
        sys.path.append(worker.submission_dir)
    module = types.ModuleType(name)
    module.__file__ = path
    vars(module).update(JUPYTER_NAMES)
    if not execute:
        vars(module)[DEFERRED] = Deferred()
    sys.modules[name] = module
    _remember_sources(plan)
    worker.notebook_session = _Session(name=name, plan=plan, module=module, report=report, execute=execute,
                                       guard=Guard(worker.submission_dir, path, plan.unbound))
    # The code of each unit is quoted only for a notebook of a sane size (the reply stays small).
    quote = len(plan.units) <= MAX_QUOTED_UNITS
    return {"units": [[u.cell, u.line, u.text[:UNIT_CHARS] if quote else ""] for u in plan.units]}


def _run_step(worker, index) -> dict:
    session = getattr(worker, "notebook_session", None)
    if session is None or not isinstance(index, int) or not 0 <= index < len(session.plan.units):
        return {"error": {"kind": "protocol", "type": "", "message": f"no notebook unit {index!r}", "where": []}}
    try:
        run_unit(session.plan.units[index], session.module.__dict__, execute=session.execute, guard=session.guard,
                 report=session.report)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
        return {**worker.error("import", exc), "notebook": _capped(session.report)}
    return {"ran": index}


class _Hinting:
    """What the worker calls into when some names were bound only by skipped statements: the
    module, whose functions, when a call raises NameError for one of those names, add to its
    message where the skipped statement is and why it was skipped."""

    def __init__(self, module: types.ModuleType, unbound: dict):
        self._module, self._unbound = module, unbound

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if not isinstance(value, types.FunctionType):
            return value
        unbound = self._unbound

        def call(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except NameError as exc:
                hint = unbound_hint(exc, unbound)
                if hint and exc.args and isinstance(exc.args[0], str) and hint not in exc.args[0]:
                    exc.args = (f"{exc.args[0]} ({hint})", *exc.args[1:])
                raise

        return call


def _finish(worker) -> dict:
    session = getattr(worker, "notebook_session", None)
    if session is None:
        return {"error": {"kind": "protocol", "type": "", "message": "no notebook is being imported", "where": []}}
    module = session.module
    worker.module = _Hinting(module, session.guard.unbound) if session.guard.unbound else module
    functions = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                       and JUPYTER_NAMES.get(n) is not v)
    return {"ok": functions, "notebook": _capped(session.report)}
