"""Outbound mail DKIM-signed with the keys `pactmail dkim-keygen` made, as a receiver checks it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer import emails
from mailer.outbound import queue_email
from mailer.sending import send_batch
from mailer.settings import Settings
from tests.conftest import DOMAIN, running_service
from tests.support.capture import CaptureHandler
from tests.support.cli import ROOT, cli_command
from tests.support.dkimsigning import printed_records, verified
from tests.support.smtpclient import message, send
from workers.cli import dkim_keygen
from workers.service import Service

SELECTOR = "pm2026"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The keys of `pactmail dkim-keygen`, and the DNS records it printed."""
    data_dir = tmp_path_factory.mktemp("keys")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PACTMAIL_")}
    env.update(
        PACTMAIL_DATA_DIR=str(data_dir), PACTMAIL_DOMAIN=DOMAIN, PACTMAIL_DKIM_SELECTOR=SELECTOR
    )
    first = subprocess.run(
        cli_command("dkim-keygen"),
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    records = printed_records(first.stdout)
    assert sorted(records) == [
        f"{SELECTOR}-ed25519._domainkey.{DOMAIN}",
        f"{SELECTOR}-rsa._domainkey.{DOMAIN}",
    ]
    # Again (in this process: the same function): the keys are kept, the same records printed.
    again, status = dkim_keygen(Settings.from_env(env), force=False)
    assert (status, "kept the keys there" in again) == (0, True)
    assert printed_records(again) == records
    return data_dir / "dkim", records


@pytest.fixture
def signing(settings: Settings, made: tuple[Path, dict[str, str]]) -> Settings:
    shutil.copytree(made[0], settings.data_dir / "dkim")
    return replace(settings, dkim_selector=SELECTOR)


@pytest.fixture
async def signing_service(
    signing: Settings, db: None, relay: tuple[CaptureHandler, int]
) -> AsyncIterator[Service]:
    async with running_service(signing, relay[1]) as running:
        yield running


async def test_mail_through_the_relay_verifies_against_the_printed_records(
    signing_service: Service,
    relay: tuple[CaptureHandler, int],
    made: tuple[Path, dict[str, str]],
) -> None:
    capture, _ = relay
    _, records = made
    await send(signing_service.smtp_port, "anna@example.com", [f"help@{DOMAIN}"], message())
    [sent] = await capture.wait_for(1)
    assert verified(sent.data, records) == [True, True]  # Ed25519, then RSA
    head, _, body = sent.data.partition(b"\r\n\r\n")
    middle = len(body) // 2
    changed = body[:middle] + (b"A" if body[middle : middle + 1] != b"A" else b"B")
    assert verified(head + b"\r\n\r\n" + changed + body[middle + 1 :], records) == [False, False]


async def test_the_outbox_folder_keeps_the_signed_mail(
    signing: Settings, db: None, made: tuple[Path, dict[str, str]]
) -> None:
    row = await queue_email(key="k", email=emails.Help(), to="anna@example.com", domain=DOMAIN)
    await send_batch([row.id], signing, datetime.now(UTC), seconds=10)
    [written] = list(signing.outbox_dir.glob("*.eml"))
    assert verified(written.read_bytes(), made[1]) == [True, True]


async def test_unset_nothing_is_signed(service: Service, relay: tuple[CaptureHandler, int]) -> None:
    capture, _ = relay
    await send(service.smtp_port, "anna@example.com", [f"help@{DOMAIN}"], message())
    [sent] = await capture.wait_for(1)
    assert b"DKIM-Signature" not in sent.data
