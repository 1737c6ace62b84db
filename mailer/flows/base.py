"""What every flow receives and returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from mailer.addresses import Route
from mailer.models import InboundMessage, InboundStatus, OutboundMessage
from mailer.outbound import outbound_row
from mailer.parsing.mime import ParsedMessage
from mailer.settings import Settings


@dataclass(frozen=True)
class Outcome:
    status: InboundStatus
    reason: str


@dataclass(frozen=True)
class FlowContext:
    """One inbound message being processed, inside its database transaction."""

    inbound: InboundMessage
    message: ParsedMessage
    route: Route
    sender: str  # the address answers go to
    settings: Settings
    now: datetime
    connection: BaseDBAsyncClient
    # Emails to send, written by the caller together with the outcome.
    outbox: list[OutboundMessage] = field(default_factory=list)

    async def answer(
        self,
        template: str,
        context: dict[str, object],
        *,
        reply_token: str | None = None,
        key_suffix: str = "",
    ) -> None:
        """Queue an email to the sender, threaded to their message."""
        row = outbound_row(
            key=f"answer:{self.inbound.id}:{template}{key_suffix}",
            template=template,
            to=self.sender,
            context=context,
            domain=self.settings.domain,
            answering=self.inbound,
            answering_message_id=self.message.message_id,
            answering_references=self.message.references,
            reply_token=reply_token,
        )
        self.outbox.append(row)


Flow = Callable[[FlowContext], Awaitable[Outcome]]
