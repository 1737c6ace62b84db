"""No text from a sender can add a header to the mail the service sends."""

from __future__ import annotations

import pytest

from tests.support.capture import CaptureHandler
from tests.support.smtpclient import send
from workers.service import Service

# Encoded words decode to line breaks only after the header is parsed: the
# route by which CVE-2024-6923-style injections reach an outgoing header.
INJECTIONS = {
    "encoded CRLF in subject": "=?utf-8?q?Week_plan=0D=0ABcc:_victim@example.org?=",
    "encoded LF in subject": "=?utf-8?b?" + "V2VlawpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==" + "?=",
    "NUL in subject": "=?utf-8?q?Week=00Bcc:_victim@example.org?=",
}


@pytest.mark.parametrize("subject", INJECTIONS.values(), ids=INJECTIONS.keys())
async def test_subject_cannot_inject_headers(
    service: Service, relay: tuple[CaptureHandler, int], subject: str
) -> None:
    capture, _ = relay
    data = (
        "From: =?utf-8?q?Anna=0D=0ABcc:_victim2@example.org?= <anna@example.com>\r\n"
        "To: commit@pactmail.localhost\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <inject@example.com>\r\n"
        "Date: Wed, 25 Nov 2026 09:30:00 +0100\r\n"
        "\r\n"
        "Finish the report by Friday\r\n"
    ).encode()
    reply = await send(service.smtp_port, "anna@example.com", ["commit@pactmail.localhost"], data)
    assert reply.code == 250
    [sent] = await capture.wait_for(1)
    assert sent.rcpt_tos == ["anna@example.com"]
    headers = sent.message
    assert headers["Bcc"] is None
    assert b"\r\nBcc:" not in sent.data
    assert "victim" not in (headers["To"] or "")
    subject_line = headers["Subject"]
    for character in "\r\n\x00":
        assert character not in subject_line
