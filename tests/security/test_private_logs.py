"""No log line holds a full address or a reply token, whoever logs it (SPEC §7)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from mailer.logs import DATABASE_LOGGERS, QUEUE_LOGGER, SMTP_LOGGER, configure_logging
from tests.integration.test_invitations import invite
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

PEOPLE = ["anna@example.com", "bob@example.org", "carol@elsewhere.example"]
# What is left of an address once masked: "a***" or "reply+…".
_LOCAL_PART = re.compile(r"([^\s<>'\"(),:;\[\]]+)@[\w\[-]")


@pytest.fixture(params=[False, True], ids=["default", "PACTMAIL_LOG_SMTP=1"])
def logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[bool]:
    """DEBUG on the root logger, configured as `pactmail` configures it; undone after."""
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    filters = {handler: list(handler.filters) for handler in root.handlers}
    levels = {
        name: logging.getLogger(name).level
        for name in [SMTP_LOGGER, QUEUE_LOGGER, *DATABASE_LOGGERS]
    }
    smtp_filters = list(logging.getLogger(SMTP_LOGGER).filters)
    log_smtp: bool = request.param
    configure_logging("DEBUG", log_smtp=log_smtp)
    yield log_smtp
    logging.getLogger(SMTP_LOGGER).filters[:] = smtp_filters
    for handler, kept in filters.items():
        handler.filters[:] = kept
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_no_address_or_token_reaches_a_log_record(
    logs: bool,
    caplog: pytest.LogCaptureFixture,
    service: Service,
    relay: tuple[CaptureHandler, int],
) -> None:
    capture, _ = relay
    invitation = await invite(service, capture)  # commit@ with bob in Cc
    confirmation = next(m for m in capture.messages if m.rcpt_tos == ["anna@example.com"])
    tokens = [
        address.split("+", 1)[1].split("@")[0]
        for address in (confirmation.message["Reply-To"], invitation.message["Reply-To"])
    ]
    reply_to = confirmation.message["Reply-To"]
    await send(
        service.smtp_port,
        "anna@example.com",
        [reply_to.upper()],  # a mail system changed its case: still a credential
        message(to=reply_to, body="done 1\n", message_id="<done@example.com>"),
    )
    await capture.wait_for(3)
    head, mac, binding = tokens[0].rsplit("-", 2)  # the first MAC is checked at RCPT
    forged = f"reply+{head}-{mac[:-4]}aaaa-{binding}@pactmail.localhost"
    tokens.append(forged.split("+")[1].split("@")[0])
    refused = await send(
        service.smtp_port,
        "carol@elsewhere.example",
        [forged, "carol@elsewhere.example"],
        message(sender="carol@elsewhere.example"),
    )
    assert refused.code == 550

    records = caplog.get_records("setup") + caplog.get_records("call")
    lines = [record.getMessage() + "\n" + (record.exc_text or "") for record in records]
    assert any("process_inbound" in line for line in lines)  # arq's job lines were there
    # Our own lines name people masked, and say enough to follow what happened.
    assert any("RCPT reply+\u2026@pactmail.localhost refused: 550 5.7.1" in line for line in lines)
    assert any("RCPT c***@elsewhere.example refused: 550 5.7.1" in line for line in lines)
    for line in lines:
        for secret in PEOPLE + tokens:
            assert secret.lower() not in line.lower(), line
        for local_part in _LOCAL_PART.findall(line):
            assert local_part.endswith(("***", "+\u2026")), line
    smtp_lines = [r.getMessage().lower() for r in records if r.name == SMTP_LOGGER]
    if logs:  # smtplib writes "rcpt TO:"; the address is the upper-cased one sent
        assert any("rcpt to:<reply+\u2026@pactmail.localhost>" in line for line in smtp_lines)
        assert any("mail from:<a***@example.com>" in line for line in smtp_lines)
    else:
        assert not [r for r in records if r.name == SMTP_LOGGER and r.levelno < logging.WARNING]
