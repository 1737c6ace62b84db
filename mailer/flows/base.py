"""What every flow receives and returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer.addresses import Route
from mailer.emails import Email
from mailer.models import InboundMessage, InboundStatus, OutboundMessage, Person
from mailer.outbound import outbound_row
from mailer.parsing.duedates import read_due
from mailer.parsing.mime import ParsedMessage
from mailer.parsing.prepare import Prepared, sent_at
from mailer.reading import Reader, job_for
from mailer.refusals import NotTheOwner, Unproven
from mailer.settings import Settings
from mailer.timezones import zone_from_name
from mailer.tokens import address_key


@dataclass(frozen=True)
class Outcome:
    status: InboundStatus
    reason: str
    # "forget me" was done: the message's own row keeps no key to its sender.
    forgets_sender: bool = False


class Proof(StrEnum):
    """What shows that the sender is who the From: line says (SPEC §7)."""

    NONE = "none"
    AUTHENTICATED = "authenticated"  # DMARC passed, or an aligned DKIM signature verified
    TOKEN = "token"  # noqa: S105 (a reply to a token bound to the From: address)
    CONFIRMED = "confirmed"  # the address confirmed "Was this you?" for this message


@dataclass(frozen=True)
class FlowContext:
    """One inbound message being processed, inside its database transaction.

    The one rule for writing: a flow writes what it makes at once, through
    ``connection``, as any code inside a transaction does, and sends email
    only through ``answer`` and ``tell``. Those queue the email on the
    context: the caller writes the emails of every message in the
    transaction with one statement, after their flows, before the commit
    (a row each costs a round trip: 0.2 ms of CPU against 0.09 in a group
    of 8, on PostgreSQL). No flow reads back an email it is sending.
    Whether the transaction is the message's own or shared with other
    messages (the caller's choice, mailer/processing.py) is no concern of
    the flow's: on any failure the caller rolls everything back and runs it
    again alone.
    """

    inbound: InboundMessage
    reading: Prepared  # everything parsed from it, in the parse step: flows parse nothing costly
    route: Route
    sender: str  # the address answers go to
    settings: Settings
    now: datetime
    connection: BaseDBAsyncClient
    reader: Reader  # the parse step, for a held message or another time zone
    # The emails queued by answer and tell, for the caller to write.
    outbox: list[OutboundMessage] = field(default_factory=list)
    # People already read in this transaction, by address (shared by a group).
    people: dict[str, Person] = field(default_factory=dict)
    proof: Proof = Proof.NONE

    @property
    def message(self) -> ParsedMessage:
        return self.reading.message

    @property
    def proven(self) -> bool:
        return self.proof is not Proof.NONE

    async def day_named(self, phrase: str, zone: str) -> date | None:
        """The day a ``move``/``away`` command's ``phrase`` names, in ``zone``."""
        reading = await self.reading_in_zone(zone)
        if phrase in reading.days:
            return reading.days[phrase]
        # Every flow's commands come from the reply's own words, which the
        # parse step read; were one not to, it is read here (one phrase,
        # at most 2,000 characters: mailer/parsing/commands.py MAX_TEXT).
        return read_due(
            f"by {phrase}", sent_at(self.message.date, self.now), zone_from_name(zone)
        ).due

    async def reading_in_zone(self, zone: str) -> Prepared:
        """The readings with due dates read in ``zone``: as prepared, or by the parse step again."""
        if zone == self.reading.zone:
            return self.reading
        job = job_for(
            self.inbound, self.settings.domain, self.route.kind.value, self.now, zone=zone
        )
        return await self.reader.read_one(job)

    def require_owner(self, owner: str, would: str) -> None:
        """Go on only for ``owner``, proven: ``would`` says what the message would do.

        An unproven sender is asked "Was this you?" first; a proven one
        writing from another address has the owner asked to confirm.
        """
        if not self.proven:
            raise Unproven([would])
        if owner != self.sender:
            raise NotTheOwner(owner)

    async def person(self, email: str) -> Person | None:
        """The person with this address, if known."""
        if email not in self.people:
            found = await Person.filter(email=email).using_db(self.connection).first()
            if found is None:
                return None
            self.people[email] = found
        return self.people[email]

    async def answer(
        self,
        email: Email,
        *,
        reply_token: str | None = None,
        key_suffix: str = "",
        once_a_day: bool = False,
    ) -> bool:
        """Queue an email to the sender, threaded to their message; False if it is not sent.

        An address that has not proven itself gets at most one automatic
        answer of each kind a day, however many messages bear its name;
        ``once_a_day`` holds every address, proven or not, to that.
        """
        key: str | None = f"answer:{self.inbound.id}:{email.template}{key_suffix}"
        if once_a_day or not self.proven:
            kind = "daily" if once_a_day else "unproven"
            key = await self.daily_key(kind, self.sender, email.template)
        if key is None:
            return False
        self._write(
            outbound_row(
                key=key,
                email=email,
                to=self.sender,
                domain=self.settings.domain,
                answering=self.inbound,
                answering_message_id=self.message.message_id,
                answering_references=self.message.references,
                reply_token=reply_token,
            )
        )
        return True

    async def daily_key(self, kind: str, address: str, template: str) -> str | None:
        """The key of today's one email of ``kind`` to ``address``; None if it went already."""
        key = f"{kind}:{address_key(self.settings.secret_key, address)}:{template}:"
        key += self.now.date().isoformat()
        if any(row.idempotency_key == key for row in self.outbox):
            return None
        if await OutboundMessage.filter(idempotency_key=key).using_db(self.connection).exists():
            return None
        return key

    async def tell(
        self,
        to: str,
        email: Email,
        *,
        key: str,
        reply_token: str | None = None,
        thread: tuple[str, ...] = (),
        unsubscribe: str = "",
    ) -> None:
        """Queue an email to someone other than the sender.

        ``key`` makes it once-only: the same key never queues a second email.
        ``thread`` holds Message-IDs of the recipient's own thread, oldest
        first, to answer in; without it the email starts a thread.
        ``unsubscribe``: regular mail's way out (mailer/stops.py).
        """
        self._write(
            outbound_row(
                key=key,
                email=email,
                to=to,
                domain=self.settings.domain,
                answering=self.inbound,
                answering_message_id=thread[-1] if thread else None,
                answering_references=thread[:-1],
                reply_token=reply_token,
                unsubscribe=unsubscribe,
            )
        )

    def _write(self, row: OutboundMessage) -> None:
        # The key is unique: a second email with it fails the transaction
        # when the caller writes it.
        self.outbox.append(row)


Flow = Callable[[FlowContext], Awaitable[Outcome]]
