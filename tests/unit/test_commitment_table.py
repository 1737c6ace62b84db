"""Only commitments are commitments: the table of messages in tests/data/commitment_table.toml.

Each message is read as the commit@ flow reads it (MIME, new text, partner lines,
commitments), without a database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest

from mailer.parsing.mime import read_message
from mailer.parsing.newtext import new_text
from mailer.parsing.prepare import read_publication
from mailer.timezones import offset_name, zone_from_name

DATA = Path(__file__).parent.parent / "data"
TABLE: dict[str, Any] = tomllib.loads((DATA / "commitment_table.toml").read_text("utf-8"))
SENT = "Wed, 25 Nov 2026 09:30:00 +0100"
DOMAIN = "pactmail.localhost"


@dataclass(frozen=True)
class Case:
    """One message of the table and the commitments it must give."""

    name: str
    client: str
    language: str
    sender: str
    cc: tuple[str, ...]
    subject: str
    text: str | None
    html: str | None
    file: str | None
    commitments: list[tuple[str, str]]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Case:
        return cls(
            name=row["name"],
            client=row["client"],
            language=row["language"],
            sender=row.get("from", TABLE["senders"][row["language"]]),
            cc=tuple(row.get("cc", ())),
            subject=row.get("subject", "My week"),
            text=row.get("text"),
            html=row.get("html"),
            file=row.get("file"),
            commitments=[(text, due) for text, due in row["commitments"]],
        )

    def raw(self) -> bytes:
        """The message as it reaches commit@."""
        if self.file and self.file.endswith(".eml"):
            return (DATA / self.file).read_bytes()
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = f"commit@{DOMAIN}"
        if self.cc:
            message["Cc"] = ", ".join(self.cc)
        message["Subject"] = self.subject
        message["Date"] = SENT
        message["Message-ID"] = f"<{self.name}@example.com>"
        if self.html is not None:
            message.set_content(self.html, subtype="html")
        else:
            body = (DATA / self.file).read_text("utf-8") if self.file else self.text
            message.set_content(body or "")
        return message.as_bytes(policy=SMTP)


CASES = [Case.from_row(row) for row in TABLE["case"]]


def commitments_of(case: Case) -> list[tuple[str, str]]:
    """The commitments the commit@ flow would publish for a new member."""
    message = read_message(case.raw(), own_domain=DOMAIN)
    assert message.date is not None
    assert message.from_address is not None
    _, drafts = read_publication(
        message,
        new_text(message.text),
        member=message.from_address,
        own_domain=DOMAIN,
        sent_at=message.date,
        zone=zone_from_name(offset_name(message.date)),
    )
    return [(draft.text, draft.due.isoformat() if draft.due else "") for draft in drafts]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_message_gives_exactly_its_commitments(case: Case) -> None:
    assert commitments_of(case) == case.commitments


def test_the_table_covers_clients_languages_and_list_styles() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    assert {"en", "de", "fr", "es"} <= {case.language for case in CASES}
    clients = " ".join(case.client for case in CASES)
    for client in ("Gmail", "Outlook", "Apple Mail", "iOS Mail", "Thunderbird"):
        assert client in clients
    bodies = [case.text or "" for case in CASES]
    for marker in ("   - ", "\n1. ", "\n1) ", "\n- ", "\n* ", "\n• ", "\t•\t", "·  "):
        assert any(marker in body for body in bodies), marker
