"""The untrusted side: the code that runs in the sandboxed worker process.

Everything under this package runs next to student code, which may tamper with it
(monkeypatch numpy, these modules, anything), so nothing it sends back is a verdict.
It imports nothing of the trusted grader: only :mod:`grader.protocol` (the wire
format) and :mod:`grader.lifeline` (die with the parent), which are shared;
``tests/test_boundary.py`` checks it.

- :mod:`grader.worker.server`: the entry point (``main``), the request loop, rlimits;
- :mod:`grader.worker.notebook`: a ``.ipynb`` submission imported in steps, built on
  :mod:`~grader.worker.cells` (read, neutralize IPython syntax), :mod:`~grader.worker.definition`
  (what counts as a definition, and how defining it runs none of the student's code),
  :mod:`~grader.worker.plan` (what runs), :mod:`~grader.worker.guard` (run a definition
  without entering the student's functions) and :mod:`~grader.worker.jupyter` (Jupyter's
  built-in names, as stubs).

This file imports nothing: the trusted side reads :mod:`grader.worker.cells` for the
course's starter notebook without loading the worker's request loop.
"""
