"""PACTMAIL_METRICS_LISTEN: Prometheus metrics scraped over HTTP from the running service."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mailer.settings import Settings
from mailer.trust.resolver import TableResolver
from tests.conftest import running_service
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.support.capture import CaptureHandler
from tests.support.service_process import free_port, pactmail_run
from tests.support.settle import all_settled
from tests.support.smtpclient import message, send

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(port: int, request: bytes = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") -> str:
    """The whole HTTP answer, as a scraper reads it over a socket."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return (await reader.read()).decode()
    finally:
        writer.close()
        await writer.wait_closed()


async def samples(port: int) -> Samples:
    """Every sample of a scrape, read by prometheus-client's own parser of the format."""
    answer = await scrape(port)
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK")
    assert "Content-Type: text/plain; version=0.0.4" in head
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_counters_and_gauges_of_a_running_service(
    settings: Settings, db: None, relay: tuple[CaptureHandler, int], dns: TableResolver
) -> None:
    capture, relay_port = relay
    metered = replace(settings, metrics_listen=("127.0.0.1", 0))
    async with running_service(metered, relay_port, dns) as service:
        before = await samples(service.metrics_port)
        reply = await send(
            service.smtp_port,
            "anna@example.com",
            ["commit@pactmail.localhost"],
            message(body=THREE_COMMITMENTS),
        )
        assert reply.code == 250
        await capture.wait_for(1)
        await all_settled()
        # The cron jobs ran as the worker started; wait for the last to record its run.
        async with asyncio.timeout(15):
            while len(crons := await _cron_intervals(service.metrics_port)) < 6:
                await asyncio.sleep(0.05)
        after = await samples(service.metrics_port)
        not_found = await scrape(service.metrics_port, b"GET /secret HTTP/1.1\r\n\r\n")
        refused = await scrape(service.metrics_port, b"POST /metrics HTTP/1.1\r\n\r\n")

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Counters: of this process (the test's), so counted as growth.
    assert grew("pactmail_inbound_handled_total", status="processed") == 1
    assert grew("pactmail_outbound_emails_total", result="sent") == 1
    # Gauges: the figures of `pactmail status`.
    assert value(after, "pactmail_queue_readable") == 1
    assert value(after, "pactmail_database_readable") == 1
    assert ("pactmail_queue_jobs", ()) in after
    assert value(after, "pactmail_inbound_messages", status="received") == 0
    assert value(after, "pactmail_outbound_messages", status="pending") == 0
    assert crons["sweep"] == 15
    assert crons["retention"] == 3600
    assert value(after, "pactmail_needs_operator") == 0
    assert ("process_cpu_seconds_total", ()) in after  # prometheus-client's own, per process
    assert not_found.startswith("HTTP/1.1 404")
    assert refused.startswith("HTTP/1.1 405")


async def _cron_intervals(port: int) -> dict[str, float]:
    return {
        dict(labels)["job"]: sample
        for (name, labels), sample in (await samples(port)).items()
        if name == "pactmail_cron_interval_seconds"
    }


async def test_pactmail_run_serves_them_where_the_setting_says(tmp_path: Path) -> None:
    port = free_port()
    async with pactmail_run(tmp_path, PACTMAIL_METRICS_LISTEN=f"127.0.0.1:{port}") as service:
        reply = await send(
            service.port, "anna@example.com", ["commit@pactmail.localhost"], message()
        )
        assert reply.code == 250
        await service.wait_for_line(lambda line: " outbound 1 " in line)
        found = await samples(port)
    assert value(found, "pactmail_inbound_handled_total", status="processed") == 1
    assert value(found, "pactmail_outbound_emails_total", result="sent") == 1
    assert value(found, "pactmail_queue_readable") == 1  # the embedded Redis


async def test_a_metrics_port_taken_costs_the_metrics_not_the_mail(
    settings: Settings,
    db: None,
    relay: tuple[CaptureHandler, int],
    dns: TableResolver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        metered = replace(settings, metrics_listen=("127.0.0.1", port))
        with caplog.at_level(logging.ERROR, logger="workers.service"):
            async with running_service(metered, relay[1], dns) as service:
                reply = await send(
                    service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], message()
                )
                assert reply.code == 250
                await relay[0].wait_for(1)
    [error] = [record.getMessage() for record in caplog.records if record.name == "workers.service"]
    assert f"metrics not served: cannot listen on 127.0.0.1:{port}" in error
