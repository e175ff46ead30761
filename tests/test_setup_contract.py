"""The set-up contract: the README opens with exactly two commands, and CI runs the second verbatim."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_commands():
    block = re.search(r"```[a-z]*\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_readme_first_block_holds_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert "examples/" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    assert readme_commands()[1] in (REPO / ".ci" / "run").read_text().splitlines()
