"""How much one message may ask of the parsers, checked before the costly work.

The limits are generous for real mail (a long forwarded thread has a few
thousand lines; a message with attachments, tens of MIME parts) and small
enough that a message within them is read in well under a second. A message
over one is not read: its sender is told, in plain words, what was too much.
"""

from __future__ import annotations

from mailer.parsing.mime import ParsedMessage

# Counted in the raw bytes, before the standard parser builds its tree of
# parts (200,000 parts took it 40 s): lines opening with "--" are the
# boundaries, and base64 never starts a line with "-".
MAX_MIME_PARTS = 2_000
# Lines of text in the body and in the messages attached to it; the
# forward and commitment readers go line by line.
MAX_LINES = 10_000


def raw_over_cap(raw: bytes) -> str | None:
    """What is too much in the raw bytes, in words; None when they are within the caps.

    >>> raw_over_cap(b"Subject: hi\\r\\n\\r\\n" + b"--b\\r\\n\\r\\nx\\r\\n" * 3) is None
    True
    >>> raw_over_cap(b"\\r\\n--b" * 2_001)
    'it has more than 2,000 parts'
    """
    if raw.count(b"\n--") > MAX_MIME_PARTS:
        return f"it has more than {MAX_MIME_PARTS:,} parts"
    return None


def text_over_cap(message: ParsedMessage) -> str | None:
    """What is too much in the message's text, in words; None when it is within the caps."""
    lines = message.text.count("\n") + sum(
        attached.text.count("\n") for attached in message.attached_messages
    )
    if lines > MAX_LINES:
        return f"it has more than {MAX_LINES:,} lines"
    return None
