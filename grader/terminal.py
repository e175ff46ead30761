"""Text that came from students (ids, folder names, e-mails) made safe to print on a terminal.

A student id is chosen by the student (a folder name, a Gradescope e-mail or sid)
and may hold escape sequences: ``"\\x1b[32mALL GRADED OK\\x1b[0m"`` would paint a
fake green verdict on the TA's screen, ``"\\r"`` would overwrite the progress line,
a bidi override would reorder what is read. :func:`clean` shows every such
character as a visible escape (``\\x1b``, ``\\u202e``) instead, so the TA still sees
that the id is odd, and two different ids never print alike.
"""

from __future__ import annotations

import re

# C0 controls (ESC, CR, BEL, backspace, ...), DEL, C1 controls (0x9b is a one-byte CSI),
# Unicode line/paragraph separators and the bidi marks, embeddings, overrides and isolates.
_UNICODE = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_UNICODE}]")
_UNSAFE_EXCEPT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_UNICODE}]")  # keeps \t and \n


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def clean(text: object, *, keep_lines: bool = False) -> str:
    """``text`` as printable text: control characters replaced by visible escapes.

    One line by default (a newline or tab in an id is escaped too, so it cannot
    forge a line of its own); ``keep_lines=True`` keeps newlines and tabs, for
    multi-line feedback.
    """
    pattern = _UNSAFE_EXCEPT_LINES if keep_lines else _UNSAFE
    return pattern.sub(_visible, str(text))
