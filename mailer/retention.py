"""Raw inbound mail is deleted PACTMAIL_RETENTION_DAYS after it was processed (SPEC §7).

Only the bytes go: the row that says what became of the message (status,
reason, size, Message-ID, deduplication key) stays. There is no column for
it: emptied content with a size above nought is what "deleted" looks like.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import cast

from tortoise.functions import Length

from mailer.models import InboundMessage, InboundStatus
from mailer.settings import Settings

# Rows per statement: a long backlog is worked off in short statements, none
# of which holds the table (or, on SQLite, the whole database) for long.
BATCH = 500


def content_deleted(inbound: InboundMessage) -> bool:
    """The raw bytes of this message were deleted after the retention period.

    >>> content_deleted(InboundMessage(content=b"", size=1200))
    True
    >>> content_deleted(InboundMessage(content=b"", size=0))  # received empty
    False
    """
    return not inbound.content and inbound.size > 0


async def delete_old_raw_mail(
    settings: Settings, now: datetime, *, seconds: float, batch: int = BATCH
) -> int:
    """Empty the content of messages processed before the retention period; how many.

    Works through the table by id, ``batch`` rows a statement, for at most
    about ``seconds``; what is left waits for the next run. Mail still
    waiting to be processed is never touched, and running twice changes
    nothing the second time.
    """
    cutoff = now - timedelta(days=settings.retention_days)
    deadline = time.monotonic() + seconds
    deleted, after = 0, 0
    while True:
        ids = cast(
            list[int],
            await InboundMessage.filter(id__gt=after, processed_at__lt=cutoff)
            .exclude(status=InboundStatus.RECEIVED.value)
            .annotate(kept=Length("content"))
            .filter(kept__gt=0)
            .order_by("id")
            .limit(batch)
            .values_list("id", flat=True),
        )
        if not ids:
            return deleted
        # The conditions again: a message sent back to be processed meanwhile keeps its bytes.
        deleted += (
            await InboundMessage.filter(id__in=ids, processed_at__lt=cutoff)
            .exclude(status=InboundStatus.RECEIVED.value)
            .update(content=b"")
        )
        after = ids[-1]
        if len(ids) < batch or time.monotonic() > deadline:
            return deleted
