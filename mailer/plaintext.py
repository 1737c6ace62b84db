"""The text part of an email: lines of at most 72 columns, as mail is read in a terminal."""

from __future__ import annotations

import re
import textwrap

TEXT_WIDTH = 72
# What a wrapped line's continuation hangs under: its indentation and a list
# marker ("#12  ", "#12: ", "3. ", "- "), so that a long item stays one item.
_HANG = re.compile(r"[ \t]*(?:(?:#\d+:?|\d+\.|[-*\u2022])[ \t]+)?")


def wrap_lines(text: str, width: int = TEXT_WIDTH) -> str:
    """Each line longer than ``width`` broken at spaces; short lines kept as written.

    Names, subjects and commitments come from people and are any length: this
    is what keeps them within the width. A word longer than the line (a URL,
    a reply address) is never cut, so it is the one thing left wider, alone
    on its line.

    >>> print(wrap_lines("#12  " + "word " * 16 + "end\\n    due: no due date", width=40))
    #12  word word word word word word word
         word word word word word word word
         word word end
        due: no due date
    >>> print(wrap_lines("See https://example.com/a/very/long/path/indeed now", width=20))
    See
    https://example.com/a/very/long/path/indeed
    now
    >>> wrap_lines("-- \\nshort lines stay as written  \\n", width=40)
    '-- \\nshort lines stay as written  \\n'
    """
    return "\n".join(_wrap_line(line, width) for line in text.split("\n"))


def _wrap_line(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    hang = _HANG.match(line)
    prefix = hang.group() if hang else ""
    if len(prefix) > width // 2:  # an indent that deep would leave no room: none then
        prefix = ""
    return "\n".join(
        textwrap.wrap(
            line[len(prefix) :],
            width,
            initial_indent=prefix,
            subsequent_indent=" " * len(prefix),
            break_long_words=False,
            break_on_hyphens=False,  # names such as Núñez-Villalobos stay whole
        )
        or [line]
    )
