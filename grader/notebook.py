"""Notebook (``.ipynb``) submissions, trusted side: drive the worker's import, word the feedback.

TRUSTED SIDE. A notebook is never converted or run in this process: the worker reads,
plans and runs it (:mod:`grader.worker.notebook`, whose docstring says what runs in each
mode, and why). Here :class:`NotebookSandbox` passes the mode to its workers, and has the
import run one unit at a time (:mod:`grader.notebookimport`), restarting a worker when a
unit never finishes; the worker's report is checked and escaped
(:class:`grader.notebookreport.Report`); :func:`problem` and :func:`feedback` give the
student's words. Only the course's own starter notebook is read here (:func:`starter_keys`).
"""

from __future__ import annotations

import ast
import functools

from grader.failure import escape
from grader.notebookimport import Interrupted, MissingLibrary, NotebookWorker
from grader.notebookreport import IPYTHON_KEY, Report
from grader.sandbox import Sandbox
from grader.worker.cells import NotebookProblem, neutralize, read_cells, statement_key
from grader.worker.notebook import EXTENSION
from grader.workerprocess import WorkerProcess, WorkerTimeout

# Why 2: each restart waits out the import time limit once more; two bound a notebook's
# import to three times that limit (the fallback from --execute plus one definition that
# never finishes, or two such definitions), and more are rarely of any use.
MAX_IMPORT_RESTARTS = 2


class NotebookSandbox(Sandbox):
    """A :class:`Sandbox` for a notebook submission: its workers are told the mode
    with each ``import`` request and the first report they send back is kept.

    The import runs in steps, one unit (a definition, or in execute mode a cell) at a
    time, so that when one never finishes or crashes the worker, the grader knows which:
    in execute mode the notebook is then graded on its definitions only; in definitions
    mode that definition is skipped. Either way a fresh worker imports the notebook again
    (at most :data:`MAX_IMPORT_RESTARTS` times per submission, each with the import time
    limit), and every later worker (after a call that timed out) imports it the same way."""

    def __init__(self, *, execute: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.execute = execute
        self.report: Report | None = None
        self.fallback = ""  # why --execute fell back to the definitions (trusted text), or ""
        self.interrupted: list[str] = []  # definitions skipped because they never finished (trusted text)
        self.skipped_units: set[int] = set()
        self.import_restarts = 0  # workers restarted while importing (not counted by the proxy)
        self.import_timeouts = 0
        self.stopped = ""  # why the import failed after the last restart (trusted text), or ""

    @classmethod
    def like(cls, sandbox: Sandbox, *, execute: bool) -> "NotebookSandbox":
        return cls(submission_dir=sandbox.submission_dir, limits=sandbox.limits, backend=sandbox.backend,
                   hidden_paths=sandbox.hidden_paths, execute=execute)

    def start(self) -> NotebookWorker:
        return NotebookWorker(self)

    def start_plain(self) -> WorkerProcess:
        """A worker as a :class:`Sandbox` starts it (the notebook worker wraps one)."""
        return Sandbox.start(self)

    def recover(self, stop: Interrupted, timeout: float) -> bool:
        """Decide what to do about a unit that did not finish; False: give up (the import fails)."""
        if self.import_restarts >= MAX_IMPORT_RESTARTS:
            return False
        self.import_restarts += 1
        if isinstance(stop.cause, WorkerTimeout):
            self.import_timeouts += 1
            what = f"did not finish within {timeout:g} s"
        else:
            what = f"crashed the process running it ({escape(str(stop.cause), 300)})"
        if self.execute:
            self.execute = False
            self.fallback = f"cell {stop.cell} {what}; graded the notebook's definitions only."
        else:
            self.skipped_units.add(stop.index)
            code = f" ({stop.code})" if stop.code else ""
            self.interrupted.append(f"cell {stop.cell}, line {stop.line}{code} {what}; it was skipped and the "
                                    "notebook's other definitions were run again without it.")
        return True

    def failure(self, module: str, stop: Interrupted) -> str:
        """Why the import failed, once no more restarts are allowed (for the student)."""
        where = f"cell {stop.cell}" + (f", line {stop.line}" if not self.execute else "")
        code = f" ({stop.code})" if stop.code and not self.execute else ""
        if isinstance(stop.cause, WorkerTimeout):
            self.stopped = (f"{module}{EXTENSION}: {where}{code} did not finish within the import time limit "
                            f"(an infinite loop or a long computation?), after {self.import_restarts} restarts "
                            "of the import")
        else:
            self.stopped = (f"{module}{EXTENSION}: {where}{code} crashed the process running it "
                            f"({escape(str(stop.cause), 300)}), after {self.import_restarts} restarts of the import")
        return self.stopped

    def starter_keys(self, module: str) -> frozenset[str]:
        """Keys of the top-level statements of the course's own starter notebook
        (``assignments/<a>/<module>.ipynb`` of the course whose ``solutions/`` the worker may not see)."""
        for hidden in self.hidden_paths:
            if hidden.name == "solutions":
                for starter in sorted((hidden.parent / "assignments").glob(f"*/{module}{EXTENSION}")):
                    return starter_keys(str(starter))
        return frozenset()

    def fall_back(self, stop: MissingLibrary) -> None:
        """--execute: a cell's import failed (a library the grader lacks): grade the definitions only."""
        self.execute = False
        self.fallback = (f"cell {stop.cell} raised {stop.error}; the grader does not have that library, so "
                         "the notebook's definitions only were graded.")

    def feedback(self, module: str) -> str:
        """Notes for the result's output: the fallback, interrupted definitions, the report's notes."""
        name = f"{module}{EXTENSION}"
        parts = [f"{name}: {self.fallback}"] if self.fallback else []
        parts += [f"{name}: {text}" for text in self.interrupted]
        if self.report is not None:
            parts.append(self.report.feedback(module, self.starter_keys(module)))
        return "\n".join(part for part in parts if part)


@functools.lru_cache(maxsize=16)
def starter_keys(path: str) -> frozenset[str]:
    """:func:`statement_key` of each top-level statement of a notebook of the course (trusted)."""
    keys = set()
    try:
        with open(path, "rb") as f:
            cells = read_cells(f.read())
    except (OSError, NotebookProblem):
        return frozenset()
    for _, source in cells:
        plain, commands = neutralize(source)
        keys.update(IPYTHON_KEY + text for _, _, text in commands)  # the starter's own `!grade local`
        try:
            tree = ast.parse(plain)
        except (SyntaxError, ValueError):
            continue
        keys.update(statement_key(stmt) for stmt in tree.body)
    return frozenset(keys)


def problem(sandbox, module: str, message: str) -> str:
    """Why the submission could not be graded: ``message`` (the proxy's words), or for a
    notebook the report's own words, else ``message`` naming the notebook, not a .py."""
    if not isinstance(sandbox, NotebookSandbox):
        return message
    if sandbox.stopped:
        return sandbox.stopped
    if sandbox.report is not None and sandbox.report.problem is not None:
        return sandbox.report.problem_text(module)
    return message.replace(f"{module}.py", f"{module}{EXTENSION}")


def feedback(sandbox, module: str) -> str:
    """Notes on skipped, changed and neutralized code to add to the result's output ("" if none)."""
    return sandbox.feedback(module) if isinstance(sandbox, NotebookSandbox) else ""
