"""A way out of regular mail: the unsubscribe address each such email carries, and who
stopped which kind (the kinds and the table of emails: mailer/emails/kinds.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer.addresses import UNSUBSCRIBE_PREFIX
from mailer.emails import Email
from mailer.emails.kinds import STOP_CODES, Stop, mail_kind
from mailer.models import MailStop, OutboundMessage, Person
from mailer.outbound import outbound_row
from mailer.settings import Settings
from mailer.tokens import Purpose, token_for

# Longer than a reply token's: a way out must keep working in mail kept for a
# year. Revoked as every token of the person is, by a new key epoch.
UNSUBSCRIBE_LIFETIME = timedelta(days=400)


def unsubscribe_address(email: Email, person: Person, settings: Settings, now: datetime) -> str:
    """The address that stops the kind of mail ``email`` is, for ``person``; "" for other mail.

    The kind comes from the one table (emails/kinds.py) and is signed into
    the token: an address from a digest can stop digests and nothing else.
    """
    # The fields as they are, not context(): a digest's is costly to build twice.
    stop = mail_kind(email.template, vars(email)).stop
    if stop is None:
        return ""
    token = token_for(
        settings.secret_key,
        Purpose.UNSUBSCRIBE,
        (person.id, STOP_CODES[stop]),
        person,
        now=now,
        lifetime=UNSUBSCRIBE_LIFETIME,
    )
    return f"{UNSUBSCRIBE_PREFIX}+{token}@{settings.domain}"


def regular_mail_to_member(
    email: Email, member: Person, *, key: str, settings: Settings, now: datetime
) -> OutboundMessage:
    """The row of regular mail to a member: a reply to it takes their commands, and it has
    its way out (summaries, news of partners and invitations)."""
    return outbound_row(
        key=key,
        email=email,
        to=member.email,
        domain=settings.domain,
        reply_token=token_for(settings.secret_key, Purpose.MEMBER, (member.id,), member, now=now),
        unsubscribe=unsubscribe_address(email, member, settings, now),
    )


async def who_stopped(
    stop: Stop, person_ids: Iterable[int], connection: BaseDBAsyncClient | None = None
) -> set[int]:
    """Those of ``person_ids`` who stopped ``stop`` (kinds kept in MailStop only)."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    query = MailStop.filter(kind=stop.value, person_id__in=ids)
    if connection is not None:
        query = query.using_db(connection)
    found: list[int] = await query.values_list("person_id", flat=True)  # type: ignore[assignment]
    return set(found)
