"""What every email's data is, and the one line most emails show a commitment by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import ClassVar

from mailer.occurrences import new_day_for_passed


@dataclass(frozen=True)
class Email:
    """What one email says: the values its template reads, and the template's name.

    Every field is read by the template (tests/unit/test_emails.py checks
    each way) unless ``read_elsewhere`` names it with what reads it.
    """

    template: ClassVar[str]
    # Fields no template reads, by what does: a header, an attachment, code
    # that reads the stored row again. Row types may declare it too.
    read_elsewhere: ClassVar[Mapping[str, str]] = {}

    def context(self) -> dict[str, object]:
        """The email's values as its outbound row stores them: JSON, dates as ISO strings.

        Rows queued long ago render with the same templates: the keys and
        their shapes stay as they are for as long as such rows may wait.
        """
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}


def _plain(value: object) -> object:
    """A value as JSON holds it: what dataclasses.asdict gives, with dates as ISO strings.

    Not asdict itself: in Python 3.11 it deep-copies every string and number
    it meets, which took a third of the time a digest takes to build.
    """
    kind = type(value)
    if kind in _SCALARS:  # most values: first, and by type, the quickest test there is
        return value
    if kind is list:
        return [_plain(item) for item in value]  # type: ignore[attr-defined]
    names = _FIELD_NAMES.get(kind)  # a row type met before: no need to ask what it is
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in fields(kind))
    return names


@dataclass(frozen=True)
class CommitmentLine:
    """A commitment as emails list it (templates/_commitment.*), built by commitment_line."""

    number: int
    text: str
    due: dt.date | None
    recurrence: str | None  # how it repeats, in words: "every Monday"
    # Due before the day it was written down (a coach's "by Friday" of last
    # week): a confirmation offers ``move_to``, the same weekday ahead.
    passed: bool
    move_to: dt.date | None

    @classmethod
    def from_context(cls, stored: Mapping[str, object]) -> CommitmentLine:
        """A line read back from a row queued before (an invitation, for its reminder).

        Rows from before due dates could pass hold no ``passed`` or ``move_to``.
        """
        recurrence = stored.get("recurrence")
        return cls(
            number=int(str(stored["number"])),
            text=str(stored["text"]),
            due=_day(stored.get("due")),
            recurrence=None if recurrence is None else str(recurrence),
            passed=bool(stored.get("passed", False)),
            move_to=_day(stored.get("move_to")),
        )


def commitment_line(
    number: int, text: str, due: dt.date | None, recurrence: str | None, *, today: dt.date
) -> CommitmentLine:
    """The one way a commitment, stored or still a draft, becomes a line of an email.

    ``today`` is the member's: a due date before it has passed, and a new
    day is offered for it ("move N to ..."), never silently overdue.
    """
    if due is None or due >= today:
        return CommitmentLine(number, text, due, recurrence, passed=False, move_to=None)
    return CommitmentLine(
        number, text, due, recurrence, passed=True, move_to=new_day_for_passed(due, today)
    )


def _day(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None
