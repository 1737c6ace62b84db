"""The header lint: every template's email, rendered whole as sent, against what mailbox
providers check (issue 12, part 4).

Each sample (tests/support/template_samples.py), main case and variants, is
rendered by render_email from a row built in memory, with and without a
public URL. What kind of mail each is comes from the table the code uses
(mailer/emails/kinds.py), never from a list kept here.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest

from mailer.emails.kinds import MAIL_KINDS, STOP_CODES, Class, MailKind, mail_kind
from mailer.models import OutboundMessage
from mailer.outbound import new_message_id
from mailer.render import render_email
from mailer.sending import bounce_address
from mailer.settings import Settings
from mailer.tokens import Purpose, read_token
from tests.support.template_samples import DOMAIN, KEY, SAMPLES, Sample

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
PUBLIC_URL = "https://pactmail.example.com"
MAX_LINE = 998  # octets, without the CRLF (RFC 5322 §2.1.1)
CASES = [
    pytest.param(sample, name, context, id=f"{sample.template}-{name}" if name else sample.template)
    for sample in SAMPLES.values()
    for name, context in sample.contexts()
]


def _sent(
    sample: Sample, context: dict[str, object], public_url: str, to: str
) -> tuple[bytes, MailKind]:
    """The bytes render_email writes for this context, and the kind of mail the table says."""
    kind = mail_kind(sample.template, context)
    row = OutboundMessage(
        id=4242,
        idempotency_key="lint",
        template=sample.template,
        to_address=to,
        context=context,
        message_id=new_message_id(DOMAIN),
        # An answer is threaded to what it answers, as ctx.answer does.
        in_reply_to="CAF=original.1@mail.example" if kind.why is Class.ANSWER else None,
        references="<CAF=original.1@mail.example>" if kind.why is Class.ANSWER else "",
        reply_token=sample.reply_token,
    )
    return render_email(row, domain=DOMAIN, now=NOW, public_url=public_url), kind


def _parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


# An internationalised address is written as raw UTF-8 (RFC 6532), headers and all.
@pytest.mark.parametrize("to", ["zoe.mueller@beispiel.example", "jörg@exämple.de"])
@pytest.mark.parametrize("public_url", ["", PUBLIC_URL], ids=["mailto", "public_url"])
@pytest.mark.parametrize(("sample", "name", "context"), CASES)
def test_every_email_passes_the_header_lint(
    sample: Sample, name: str, context: dict[str, object], public_url: str, to: str
) -> None:
    raw, kind = _sent(sample, context, public_url, to)
    message = _parsed(raw)

    # Lines: CRLF only, none too long.
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
    assert max(len(line) for line in raw.split(b"\r\n")) < MAX_LINE

    # Who it is from, and its identity, on the service's domain.
    assert parseaddr(str(message["From"]))[1].rpartition("@")[2] == DOMAIN
    assert "Sender" not in message  # From is our own address: RFC 5322 §3.6.2 asks for none
    assert str(message["Message-ID"]).strip("<>").rpartition("@")[2] == DOMAIN
    assert parsedate_to_datetime(str(message["Date"])) == NOW
    assert message["MIME-Version"] == "1.0"

    # Text and HTML, the one the alternative of the other.
    types = [part.get_content_type() for part in message.walk()]
    assert "multipart/alternative" in types
    assert "text/plain" in types
    assert "text/html" in types

    # RFC 3834 (SPEC §4.8): an answer is auto-replied, everything else auto-generated.
    expected = "auto-replied" if kind.why is Class.ANSWER else "auto-generated"
    assert message["Auto-Submitted"] == expected

    # Bulk: the scheduled mail to everyone, and never an answer.
    assert message.get_all("Precedence", []) == (["bulk"] if kind.bulk else [])

    # A way out of regular mail, and of nothing else.
    unsubscribe = message.get_all("List-Unsubscribe", [])
    post = message.get_all("List-Unsubscribe-Post", [])
    if kind.why is not Class.REGULAR:
        assert unsubscribe == []
        assert post == []
        return
    assert kind.stop is not None
    [header] = unsubscribe
    uris = [uri.strip().strip("<>") for uri in str(header).split(",")]
    mailto = uris[-1]
    assert mailto.startswith("mailto:unsubscribe+")
    local = mailto.removeprefix("mailto:").partition("@")[0]
    token = read_token(KEY, local.partition("+")[2], now=NOW)
    assert token.purpose is Purpose.UNSUBSCRIBE
    assert token.ids[1] == STOP_CODES[kind.stop]
    if public_url:
        assert uris[0] == f"{PUBLIC_URL}/unsubscribe/{local.partition('+')[2]}"
        assert post == ["List-Unsubscribe=One-Click"]
    else:
        assert len(uris) == 1
        assert post == []


@pytest.mark.parametrize(("sample", "name", "context"), CASES)
def test_regular_mail_says_in_words_how_to_stop_it(
    sample: Sample, name: str, context: dict[str, object]
) -> None:
    words = sample.render(context)
    address = str(context.get("unsubscribe", ""))
    if mail_kind(sample.template, context).why is Class.REGULAR:
        assert address
        assert "To get no more" in words.text
        assert address in words.text.replace("\n", "")
        assert f"mailto:{address}?subject=unsubscribe" in words.html
    else:
        assert "To get no more" not in words.text
        assert "unsubscribe+" not in words.text + words.html


def test_the_table_knows_every_template_and_bulk_is_digests_and_summaries() -> None:
    assert set(MAIL_KINDS) == set(SAMPLES)
    assert {name for name, kind in MAIL_KINDS.items() if kind.bulk} == {"digest", "summary"}
    assert all(kind.why is Class.REGULAR for kind in MAIL_KINDS.values() if kind.bulk)


def test_the_return_path_is_on_the_service_domain() -> None:
    # SPF is checked on the envelope sender: the VERP bounce address, which
    # the receiving MTA writes as Return-Path, at the same domain as From.
    settings = Settings(
        domain=DOMAIN,
        listen_host="127.0.0.1",
        listen_port=2525,
        relay=None,
        data_dir=Path("unused"),
        database_url="sqlite://:memory:",
        redis_url=None,
        secret_key=KEY,
    )
    assert bounce_address(settings, 4242, NOW).rpartition("@")[2] == DOMAIN
