"""Header values we build from user text: nothing may inject a header."""

from __future__ import annotations

import re

# Every character str.splitlines() splits on (\n \r \x0b \x0c \x1c-\x1e \x85
# \u2028 \u2029) is whitespace to re's \s, and the email package folds a
# header on each of them (CVE-2024-6923); controls (C0, DEL, C1) are never
# text a header shows. Runs of any of them become one space.
_NOT_ONE_LINE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
MAX_HEADER_TEXT = 200


def one_line(value: str) -> str:
    r"""One line of header text: line breaks, controls and runs of spaces made one space.

    Applied to user text when it is read (names, subjects) and again, by
    header_safe, to every header value we write.

    >>> one_line('Anna\x0bReply-To: evil@example.org')
    'Anna Reply-To: evil@example.org'
    >>> one_line(" Week\u2028\r\n plan\x1b[0m\x9b ")
    'Week plan [0m'
    >>> breaks = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    >>> [len(f"a{char}b".splitlines()) for char in breaks] == [2] * len(breaks)
    True
    >>> one_line(f"a{breaks}b")
    'a b'
    """
    return _NOT_ONE_LINE.sub(" ", value).strip()


def header_safe(value: str, limit: int = MAX_HEADER_TEXT) -> str:
    r"""A single-line header value of at most ``limit`` characters (see one_line).

    >>> header_safe("Hello\r\nBcc: victim@example.com")
    'Hello Bcc: victim@example.com'
    >>> header_safe("Anna\x0bFrom: x@example.org", limit=8)
    'Anna Fro'
    """
    return one_line(value)[:limit].rstrip()


def reply_subject(subject: str) -> str:
    """``Re:`` once, in front of the subject being answered.

    >>> reply_subject("Re: my week")
    'Re: my week'
    >>> reply_subject("")
    'Re: your message'
    """
    clean = header_safe(subject)
    if not clean:
        return "Re: your message"
    return clean if clean.lower().startswith("re:") else f"Re: {clean}"
