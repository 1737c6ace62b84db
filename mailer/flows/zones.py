"""``time zone NAME`` by reply: a person names their zone, for good."""

from __future__ import annotations

from mailer.flows.base import FlowContext
from mailer.models import Person
from mailer.timezones import known_zone


async def name_zone(ctx: FlowContext, person: Person, written: str) -> str:
    """Set the zone ``written`` names; the line that tells them what happened.

    A named zone is kept (``timezone_confirmed``): the offsets of later mail
    no longer move it, and daylight saving follows the zone's own rules.
    """
    name = known_zone(written)
    if name is None:
        return (
            f"We do not know the time zone \u201c{written}\u201d: write it as region and "
            "city, such as Europe/Berlin or America/New_York."
        )
    await (
        Person.filter(id=person.id)
        .using_db(ctx.connection)
        .update(timezone=name, timezone_confirmed=True)
    )
    person.timezone, person.timezone_confirmed = name, True
    return f"Your time zone is now {name}: due dates, digests and summaries follow it."
