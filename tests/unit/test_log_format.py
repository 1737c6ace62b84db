"""PACTMAIL_LOG_FORMAT=json: one object a line, its fields masked as the text is."""

from __future__ import annotations

import json
import logging
import sys

from mailer.logs import JsonFormatter, fields
from mailer.redact import RedactingFilter


def record(text: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("mailer.activity", logging.INFO, __file__, 1, text, args, None)
    for name, value in fields(**extra).items():
        setattr(made, name, value)
    return made


def test_fields_and_message_are_masked_even_without_the_handler_filter() -> None:
    line = JsonFormatter().format(
        record("inbound %d from %s", 7, "anna@example.com", sender="anna@example.com", ms=3)
    )
    entry = json.loads(line)
    assert entry["message"] == "inbound 7 from a***@example.com"
    assert (entry["sender"], entry["ms"], entry["logger"], entry["level"]) == (
        "a***@example.com",
        3,
        "mailer.activity",
        "INFO",
    )
    assert "\n" not in line


def test_a_line_break_or_a_field_named_like_a_standard_one_stays_inside_one_object() -> None:
    logged = record("first\nsecond\u2028third\x85", message="forged", level="forged")
    RedactingFilter().filter(logged)
    [line] = JsonFormatter().format(logged).splitlines()
    entry = json.loads(line)
    assert entry["message"] == "first\nsecond\u2028third\x85"
    assert entry["level"] == "INFO"


def test_a_traceback_is_one_field() -> None:
    try:
        raise ValueError("bob@example.org is not here")
    except ValueError:
        logged = logging.LogRecord(
            "mailer.processing", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    [line] = JsonFormatter().format(logged).splitlines()
    entry = json.loads(line)
    assert "ValueError: b***@example.org is not here" in entry["exception"]
