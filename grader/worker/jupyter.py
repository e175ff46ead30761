"""The names Jupyter provides without an import, as stubs that do nothing (worker side).

UNTRUSTED SIDE (:mod:`grader.worker`). Imports nothing of the grader's.
"""

from __future__ import annotations


class _NoIPython:
    """Stands in for IPython's shell in grading: every method does nothing and returns None."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None

    def __repr__(self) -> str:
        return "<no IPython shell: grading runs plain Python>"


def _get_ipython() -> _NoIPython:
    return _NoIPython()


def _display(*objects, **options) -> None:
    """Jupyter's display(): there is nothing to show in grading."""


# Names Jupyter provides without an import; in grading they do nothing.
JUPYTER_NAMES = {"get_ipython": _get_ipython, "display": _display}
