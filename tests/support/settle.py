"""Waiting for the service to have nothing left to do: a condition, not a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from mailer.models import InboundMessage, InboundStatus, OutboundMessage, OutboundStatus

_UNSENT = [OutboundStatus.PENDING.value, OutboundStatus.DATA_SENT.value]


async def all_settled(timeout: float = 15.0) -> None:
    """Wait until every stored message is processed and every email it caused has gone."""
    async with asyncio.timeout(timeout):
        while (
            await InboundMessage.filter(status=InboundStatus.RECEIVED.value).exists()
            or await OutboundMessage.filter(status__in=_UNSENT).exists()
        ):
            await asyncio.sleep(0.05)


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Wait until ``condition()`` is true."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)
