"""Queueing outbound mail: a row first, in the caller's transaction; sending is a job."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer.headers import header_safe
from mailer.models import InboundMessage, OutboundMessage


async def queue_email(
    *,
    key: str,
    template: str,
    to: str,
    context: dict[str, object],
    domain: str,
    answering: InboundMessage | None = None,
    answering_message_id: str | None = None,
    answering_references: Sequence[str] = (),
    reply_token: str | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> OutboundMessage:
    """Write the outbound row for one email; the same key never makes two.

    ``answering_*`` give the threading headers: the message answered and the
    thread it belongs to.
    """
    row = outbound_row(
        key=key,
        template=template,
        to=to,
        context=context,
        domain=domain,
        answering=answering,
        answering_message_id=answering_message_id,
        answering_references=answering_references,
        reply_token=reply_token,
    )
    # The key is unique in the database: a second row for it fails the caller's
    # transaction, which is what makes a re-run of the same work harmless.
    await row.save(using_db=connection)
    return row


def outbound_row(
    *,
    key: str,
    template: str,
    to: str,
    context: dict[str, object],
    domain: str,
    answering: InboundMessage | None = None,
    answering_message_id: str | None = None,
    answering_references: Sequence[str] = (),
    reply_token: str | None = None,
) -> OutboundMessage:
    """The outbound row for one email, not yet saved (see queue_email)."""
    references = [*answering_references]
    if answering_message_id and answering_message_id not in references:
        references.append(answering_message_id)
    return OutboundMessage(
        idempotency_key=key,
        template=template,
        to_address=header_safe(to),
        context=context,
        message_id=new_message_id(domain, reply_token),
        in_reply_to=answering_message_id,
        # RFC 5322 keeps References growing; the last few are plenty to thread.
        references=" ".join(f"<{ref}>" for ref in references[-10:]),
        reply_token=reply_token,
        inbound=answering,
    )


def new_message_id(domain: str, reply_token: str | None = None) -> str:
    """A fresh Message-ID (without angle brackets) at our domain.

    It carries the reply token, if any: a reply that reaches us without the
    ``+TOKEN`` (some systems rewrite plus addresses) still names it in its
    In-Reply-To or References.
    """
    middle = f"{reply_token}." if reply_token else ""
    return f"pm.{middle}{secrets.token_hex(12)}@{domain}"


def token_in_message_id(message_id: str, domain: str) -> str | None:
    """The reply token a Message-ID of ours carries, if any.

    >>> token_in_message_id("pm.m-1-2-abc.0f3a@d.example", "d.example")
    'm-1-2-abc'
    >>> token_in_message_id("pm.0f3a@d.example", "d.example") is None
    True
    """
    local, _, at = message_id.strip().strip("<>").lower().rpartition("@")
    parts = local.split(".")
    if at != domain or len(parts) != 3 or parts[0] != "pm":
        return None
    return parts[1]
