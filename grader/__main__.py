"""``python -m grader ...``: the ``grade`` command (:mod:`grader.cli`), for when the script is not on PATH.

The only module besides the ``grade`` entry point that imports the CLI (tests/test_boundary.py checks it).
"""

from grader.cli import main

if __name__ == "__main__":
    main()
