"""The parse step: messages read in worker processes, in time bounds; a stuck one is killed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from mailer import reading
from mailer.models import InboundMessage
from mailer.parsing.prepare import ParseJob, Prepared
from mailer.reading import MessageTooHardToParse, ParseFailed, Reader
from tests.support import slow_parse

PLAIN = b"From: anna@example.com\r\nSubject: plans\r\n\r\nRun 5 km by Friday\r\n"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def job(content: bytes, route: str | None = "commit") -> ParseJob:
    return ParseJob(content, "pactmail.localhost", "anna@example.com", route, NOW)


def marked(marker: bytes) -> bytes:
    return PLAIN.replace(b"Run 5 km", marker + b" Run 5 km")


@pytest.fixture
async def reader() -> AsyncIterator[Reader]:
    one = Reader(processes=1, timeout=1.0, budget=30.0, parse=slow_parse.parse_or_misbehave)
    yield one
    await one.close()


async def test_every_message_is_read_in_order_with_its_flow_readings(reader: Reader) -> None:
    results = await reader.read_all([job(PLAIN), job(PLAIN.replace(b"plans", b"more plans"))])
    assert [r.message.subject for r in results if isinstance(r, Prepared)] == [
        "plans",
        "more plans",
    ]
    first = results[0]
    assert isinstance(first, Prepared)
    # What the commit@ flow used to parse on the event loop, read here.
    assert [(d.text, str(d.due)) for d in first.drafts] == [("Run 5 km by Friday", "2026-11-27")]
    assert first.text == "Run 5 km by Friday"


async def test_the_processes_are_kept_for_the_next_batches(reader: Reader) -> None:
    for _ in range(3):
        await reader.read_all([job(PLAIN)])
    assert reader.started == 1


async def test_a_pool_started_ahead_reads_with_the_processes_it_started() -> None:
    two = Reader(processes=2, timeout=1.0, budget=30.0)
    try:
        await two.start()
        assert two.started == 2
        await two.start()  # up already: nothing more
        results = await asyncio.gather(*(two.read_all([job(PLAIN)]) for _ in range(4)))
    finally:
        await two.close()
    assert all(isinstance(reading, Prepared) for [reading] in results)
    assert two.started == 2


async def test_a_message_the_parser_is_stuck_on_is_killed_and_the_rest_go_on(
    reader: Reader,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await reader.read_all([job(PLAIN), job(marked(slow_parse.HANG)), job(PLAIN)])
    assert isinstance(results[0], Prepared)
    assert isinstance(results[1], MessageTooHardToParse)
    assert isinstance(results[2], Prepared)
    assert loop.time() - started < 10  # one time bound, not the hang
    assert reader.started == 2  # the stuck process was replaced


async def test_a_parser_error_or_a_dead_process_fails_that_message_alone(reader: Reader) -> None:
    results = await reader.read_all(
        [job(marked(slow_parse.FAIL)), job(PLAIN), job(marked(slow_parse.DIE)), job(PLAIN)]
    )
    assert isinstance(results[0], ParseFailed)
    assert "cannot read this one" in str(results[0])
    assert isinstance(results[1], Prepared)
    assert isinstance(results[2], ParseFailed)
    assert "ended" in str(results[2])
    assert isinstance(results[3], Prepared)
    with pytest.raises(ParseFailed, match="cannot read"):
        await reader.read_one(job(marked(slow_parse.FAIL)))


async def test_each_message_has_its_own_time_and_slow_ones_are_not_failed() -> None:
    reader = Reader(processes=1, timeout=1.0, parse=slow_parse.parse_or_misbehave)
    try:
        results = await reader.read_all([job(marked(slow_parse.SLOW)) for _ in range(6)])
    finally:
        await reader.close()
    assert all(isinstance(result, Prepared) for result in results)


async def test_past_the_batch_budget_the_rest_are_left_for_the_next_run() -> None:
    reader = Reader(processes=1, timeout=0.3, budget=0.5, parse=slow_parse.parse_or_misbehave)
    try:
        results = await reader.read_all([job(marked(slow_parse.HANG)) for _ in range(5)])
    finally:
        await reader.close()
    stuck = [r for r in results if isinstance(r, MessageTooHardToParse)]
    assert 1 <= len(stuck) <= 3  # each given up after its own 0.3 s
    assert results[len(stuck) :] == [None] * (5 - len(stuck))  # not read, not failed


async def test_a_deleted_message_is_not_sent_to_be_read() -> None:
    gone = InboundMessage(id=7, mail_from="a@example.com", rcpt_tos=[], content=b"", size=1200)
    with pytest.raises(reading.RawMailDeleted):
        reading.job_for(gone, "pactmail.localhost", "commit", NOW)


async def test_the_event_loop_stays_free_while_a_message_is_parsed(reader: Reader) -> None:
    loop = asyncio.get_running_loop()
    await reader.read_all([job(PLAIN)])  # the pool is up
    parsing = asyncio.ensure_future(reader.read_all([job(marked(slow_parse.HANG))]))
    worst = 0.0
    while not parsing.done():
        before = loop.time()
        await asyncio.sleep(0.01)
        worst = max(worst, loop.time() - before - 0.01)
    assert isinstance((await parsing)[0], MessageTooHardToParse)
    assert worst < 0.1
