"""``pactmail inbound``: an operator lists the mail set aside and runs it again, once."""

from __future__ import annotations

import asyncio
import subprocess

from mailer.models import Commitment, InboundMessage, InboundStatus
from mailer.settings import Settings
from tests.support.capture import CaptureHandler
from tests.support.cli import ROOT, beside_service_env, cli_command, cli_env
from tests.support.smtpclient import BORDER_ID, message, through_border
from workers.service import Service


async def operator(settings: Settings, relay_port: int, *args: str) -> tuple[int, str]:
    """``pactmail inbound ARGS`` as an operator runs it: exit status and output."""
    env = {
        **cli_env(settings, relay_port),
        "PACTMAIL_TRUSTED_AUTHSERV_ID": BORDER_ID,
        "PACTMAIL_TRUSTED_RELAYS": "127.0.0.1/32",
    }
    process = await asyncio.create_subprocess_exec(
        *cli_command("inbound", *args), env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def stored(status: InboundStatus, error: str, number: int) -> InboundMessage:
    data = through_border(
        message(body=f"Task {number} by Friday\n", message_id=f"<set-aside{number}@example.com>")
    )
    return await InboundMessage.create(
        peer="127.0.0.1:40000",
        mail_from="anna@example.com",
        rcpt_tos=["commit@pactmail.localhost"],
        content=data,
        size=len(data),
        status=status.value,
        attempts=5 if status is InboundStatus.QUARANTINED else 1,
        error=error,
    )


async def test_set_aside_mail_is_listed_and_run_again_once(
    db: None, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    capture, relay_port = relay
    quarantined = await stored(InboundStatus.QUARANTINED, "parsing took over 20 s; stopped", 1)
    failed = await stored(
        InboundStatus.FAILED,
        "Traceback (most recent call last):\n  File \"x\", line 1\nKeyError: 'due'\n",
        2,
    )
    done = await stored(InboundStatus.PROCESSED, "", 3)

    status, listing = await operator(settings, relay_port)
    assert status == 1  # something waits for an operator
    lines = listing.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:2] == [str(failed.id), failed.received_at.strftime("%Y-%m-%d")]
    assert "failed" in lines[0]
    assert "KeyError: 'due'" in lines[0]
    assert "quarantined" in lines[1]
    assert "5 tries" in lines[1]
    assert "parsing took over 20 s" in lines[1]
    assert "a***@example.com" in listing
    assert "anna@" not in listing

    status, report = await operator(
        settings, relay_port, "--retry", str(quarantined.id), str(done.id)
    )
    assert status == 1  # one of the two was not set aside
    assert f"{quarantined.id}: processed: 1 commitment(s) published" in report
    assert f"{done.id}: not quarantined or failed; left alone" in report
    [confirmation] = await capture.wait_for(1)
    assert confirmation.rcpt_tos == ["anna@example.com"]
    row = await InboundMessage.get(id=quarantined.id)
    assert (row.status, row.attempts, row.error) == ("processed", 1, "")

    status, report = await operator(settings, relay_port, "--retry", str(failed.id))
    assert status == 0
    status, listing = await operator(settings, relay_port)
    assert (status, listing) == (0, "no inbound mail waits for an operator\n")
    # Run again, each once: no second set of commitments, no second confirmation.
    status, _ = await operator(settings, relay_port, "--retry", str(quarantined.id))
    assert status == 1
    assert await Commitment.all().count() == 2
    await capture.wait_for(2)
    assert len(capture.messages) == 2


async def test_a_retry_beside_a_running_service_is_done_by_the_service(
    service: Service, relay: tuple[CaptureHandler, int], settings: Settings
) -> None:
    """SPEC §6: the command asks the service through its queue; its worker writes."""
    capture, relay_port = relay
    quarantined = await stored(InboundStatus.QUARANTINED, "parsing took over 20 s; stopped", 1)
    env = beside_service_env(settings, relay_port)
    process = await asyncio.create_subprocess_exec(
        *cli_command("inbound", "--retry", str(quarantined.id)),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0
    assert output.decode().splitlines() == [
        f"{quarantined.id}: processed: 1 commitment(s) published, 0 partner(s) invited",
        "(by the running service)",
    ]
    [confirmation] = await capture.wait_for(1)
    assert confirmation.rcpt_tos == ["anna@example.com"]
