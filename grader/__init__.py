"""nngrade: an autograder for neural-network coursework.

The trusted side (cli -> api -> grading -> result) never imports student code;
only the worker (the :mod:`grader.worker` package), started by :mod:`grader.sandbox`,
does, and it imports nothing of the trusted side (tests/test_boundary.py checks it).
"""

__version__ = "0.1.0"
