"""Addresses and reply tokens are masked in whatever is logged (SPEC §7)."""

from __future__ import annotations

import logging
import sys

import pytest

from mailer import addresses
from mailer import redact as redaction
from mailer.redact import RedactingFilter, mask_address, redact

TOKEN = "v-c-9l-1ceo-4bihuqsjewe2atjy-2zpl5rpu4idgw"  # as mailer.tokens.make_token writes one


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("anna@example.org", "a***@example.org"),
        ("anna+lists@example.org", "a***@example.org"),
        ("Anna.Keller@Example.ORG", "A***@Example.ORG"),
        (f"reply+{TOKEN}@pactmail.localhost", "reply+…@pactmail.localhost"),
        (f"REPLY+{TOKEN.upper()}@PACTMAIL.LOCALHOST", "REPLY+…@PACTMAIL.LOCALHOST"),
        (f"bounce+{TOKEN}@pactmail.localhost", "bounce+…@pactmail.localhost"),
        (f"<reply+{TOKEN}@pactmail.localhost>", "<reply+…@pactmail.localhost>"),
        ("<anna@example.org>", "<a***@example.org>"),
        ("ånna@bücher.example", "å***@bücher.example"),
        ("用户@例子.广告", "用***@例子.广告"),
        ("anna@xn--bcher-kva.example", "a***@xn--bcher-kva.example"),
        ('"anna keller"@example.org', '"a***"@example.org'),
        ("anna@[192.0.2.1]", "a***@[192.0.2.1]"),
        (f"reply+{TOKEN}", "reply+…"),
        (f"unsubscribe+{TOKEN[:-3]}", "unsubscribe+…"),  # cut off: no domain, no full form
        (TOKEN, "v-…"),
        (f"'{TOKEN.upper()}'", "'V-…'"),
    ],
)
def test_one_address_or_token(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert mask_address(text) == shown
    assert redact(shown) == shown  # masking twice changes nothing


def test_every_token_address_of_ours_is_masked() -> None:
    assert set(addresses.TOKEN_PREFIXES) == redaction.TOKEN_PREFIXES


def test_inside_longer_text() -> None:
    text = (
        f"('127.0.0.1', 5012) >> b'RCPT TO:<Reply+{TOKEN.upper()}@pactmail.localhost>'; "
        "From: Anna Keller <anna+work@example.org>, Cc: bob@example.com,carol@example.net."
    )
    assert redact(text) == (
        "('127.0.0.1', 5012) >> b'RCPT TO:<Reply+…@pactmail.localhost>'; "
        "From: Anna Keller <a***@example.org>, Cc: b***@example.com,c***@example.net."
    )


def test_text_without_addresses_is_unchanged() -> None:
    for text in [
        "12 @ 3",
        "user@",
        "@decorator",
        "a + b",
        "replying+thanks",
        "123e4567-e89b-12d3-a456-426614174000",
        "x-mailer-header-line-here",
        "",
    ]:
        assert redact(text) == text


def test_the_filter_masks_message_arguments_and_traceback() -> None:
    try:
        raise ValueError(f"refused: <reply+{TOKEN}@pactmail.localhost>")
    except ValueError:
        record = logging.LogRecord(
            "arq.worker",
            logging.INFO,
            __file__,
            1,
            "send to %s failed: %r",
            ("anna@example.org", ["bob@example.com"]),
            exc_info=sys.exc_info(),
        )
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert record.getMessage() == "send to a***@example.org failed: ['b***@example.com']"
    assert "refused: <reply+…@pactmail.localhost>" in formatted
    assert TOKEN not in formatted
    assert "anna@" not in formatted
    assert RedactingFilter().filter(record)  # a second handler's filter changes nothing
    assert record.getMessage() == "send to a***@example.org failed: ['b***@example.com']"


def test_a_malformed_logging_call_does_not_raise() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s to %s", ("anna@x.org",), None)
    assert RedactingFilter().filter(record)
    assert "a***@x.org" in record.getMessage()
    assert "anna@" not in record.getMessage()
