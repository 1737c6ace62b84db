"""Parsing in a thread, in time bounds: a stuck message is given up, the rest go on."""

from __future__ import annotations

import threading
import time

import pytest

from mailer import reading
from mailer.models import InboundMessage
from mailer.parsing.mime import ParsedMessage, read_message

PLAIN = b"From: anna@example.com\r\nSubject: plans\r\n\r\nRun 5 km by Friday\r\n"


def stored(content: bytes) -> InboundMessage:
    return InboundMessage(mail_from="anna@example.com", rcpt_tos=[], content=content, size=0)


async def test_every_message_is_read_in_order() -> None:
    rows = [stored(PLAIN), stored(PLAIN.replace(b"plans", b"more plans"))]
    results = await reading.read_all(rows, "pactmail.localhost")
    assert [r.subject for r in results if isinstance(r, ParsedMessage)] == ["plans", "more plans"]


async def test_a_message_the_parser_is_stuck_on_is_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def parse_or_hang(raw: bytes, **options: str) -> ParsedMessage:
        if raw.startswith(b"STUCK"):
            release.wait(10)  # as a parser in a loop would, until the test ends
        return read_message(raw, **options)

    monkeypatch.setattr(reading, "read_message", parse_or_hang)
    monkeypatch.setattr(reading, "PARSE_TIMEOUT_SECONDS", 0.5)
    try:
        results = await reading.read_all(
            [stored(PLAIN), stored(b"STUCK" + PLAIN), stored(PLAIN)], "pactmail.localhost"
        )
    finally:
        release.set()
    assert isinstance(results[0], ParsedMessage)
    assert isinstance(results[1], reading.MessageTooHardToParse)
    assert isinstance(results[2], ParsedMessage)
    assert len(results) == 3


async def test_a_parser_error_is_returned_for_that_message_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def parse_or_fail(raw: bytes, **options: str) -> ParsedMessage:
        if raw.startswith(b"BAD"):
            raise ValueError("cannot read this one")
        return read_message(raw, **options)

    monkeypatch.setattr(reading, "read_message", parse_or_fail)
    results = await reading.read_all([stored(b"BAD" + PLAIN), stored(PLAIN)], "d.example")
    assert isinstance(results[0], ValueError)
    assert isinstance(results[1], ParsedMessage)
    with pytest.raises(ValueError, match="cannot read"):
        await reading.read_one(stored(b"BAD" + PLAIN), "d.example")


async def test_each_message_has_its_own_time_and_slow_ones_are_not_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow(raw: bytes, **options: str) -> ParsedMessage:
        time.sleep(0.3)  # slow, but each well within the bound
        return read_message(raw, **options)

    monkeypatch.setattr(reading, "read_message", slow)
    monkeypatch.setattr(reading, "PARSE_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(reading, "PARSE_BUDGET_SECONDS", 30.0)
    results = await reading.read_all([stored(PLAIN) for _ in range(6)], "d.example")
    assert all(isinstance(result, ParsedMessage) for result in results)


async def test_past_the_batch_budget_the_rest_are_left_for_the_next_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def hang(raw: bytes, **options: str) -> ParsedMessage:
        release.wait(10)
        return read_message(raw, **options)

    monkeypatch.setattr(reading, "read_message", hang)
    monkeypatch.setattr(reading, "PARSE_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(reading, "PARSE_BUDGET_SECONDS", 0.5)
    try:
        results = await reading.read_all([stored(PLAIN) for _ in range(5)], "d.example")
    finally:
        release.set()
    stuck = [r for r in results if isinstance(r, reading.MessageTooHardToParse)]
    assert 1 <= len(stuck) <= 2  # each given up after its own 0.3 s
    assert results[len(stuck) :] == [None] * (5 - len(stuck))  # not read, not failed
