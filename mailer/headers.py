"""Header values we build from user text: nothing may inject a header."""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\r\n\x00\u2028\u2029\x85]+")
MAX_HEADER_TEXT = 200


def header_safe(value: str, limit: int = MAX_HEADER_TEXT) -> str:
    r"""A single-line header value: line breaks and NUL folded into a space.

    >>> header_safe("Hello\r\nBcc: victim@example.com")
    'Hello Bcc: victim@example.com'
    """
    return _BREAKS.sub(" ", value).strip()[:limit]


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
