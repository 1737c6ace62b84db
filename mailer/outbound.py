"""Queueing outbound mail: a row first, in the caller's transaction; sending is a job."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer.emails import Email, Forgotten, MyData
from mailer.emails.kinds import Class, mail_kind
from mailer.headers import header_safe
from mailer.models import InboundMessage, OutboundMessage

# Emails whose row, once sent, keeps nothing of what they said: the export
# of a person's data ("my data"), and the goodbye to someone who asked to be
# forgotten, whose row keeps not even the address.
CONTEXT_DROPPED_AFTER_SENDING = frozenset({Forgotten.template, MyData.template})
ADDRESS_DROPPED_AFTER_SENDING = frozenset({Forgotten.template})


async def queue_email(
    *,
    key: str,
    email: Email,
    to: str,
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
        email=email,
        to=to,
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
    email: Email,
    to: str,
    domain: str,
    answering: InboundMessage | None = None,
    answering_message_id: str | None = None,
    answering_references: Sequence[str] = (),
    reply_token: str | None = None,
    unsubscribe: str = "",
) -> OutboundMessage:
    """The outbound row for one email, not yet saved (see queue_email).

    ``unsubscribe``: the address that stops this kind of mail (mailer/stops.py),
    for regular mail; render.py writes it into the List-Unsubscribe header.
    """
    regular = mail_kind(email.template, vars(email)).why is Class.REGULAR
    if regular != bool(unsubscribe):
        # Regular mail never goes without its way out, and nothing else has one.
        wrong = "missing" if regular else "given"
        raise ValueError(f"{email.template}: unsubscribe address {wrong}")
    context = email.context()
    if unsubscribe:
        context["unsubscribe"] = unsubscribe
    references = [*answering_references]
    if answering_message_id and answering_message_id not in references:
        references.append(answering_message_id)
    return OutboundMessage(
        idempotency_key=key,
        template=email.template,
        to_address=header_safe(to),
        context=context,
        message_id=new_message_id(domain),
        in_reply_to=answering_message_id,
        # RFC 5322 keeps References growing; the last few are plenty to thread.
        references=" ".join(f"<{ref}>" for ref in references[-10:]),
        reply_token=reply_token,
        inbound=answering,
    )


def new_message_id(domain: str) -> str:
    """A fresh, random Message-ID (without angle brackets) at our domain.

    It carries nothing else: a Message-ID travels in every reply, Cc and
    forward, so a credential in it would reach anyone those reach. A reply
    is matched to what it answers by looking the ID up (mailer/flows/reply.py).
    """
    return f"pm.{secrets.token_hex(16)}@{domain}"
