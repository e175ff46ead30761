"""nngrade: an autograder for neural-network coursework.

The trusted side (cli -> api -> grading -> result) never imports student code;
only :mod:`grader.worker`, started by :mod:`grader.sandbox`, does.
"""

__version__ = "0.1.0"
