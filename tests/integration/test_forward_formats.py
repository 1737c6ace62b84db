"""Every forward format we have, sent whole to notes@ over SMTP: the note kept is right.

The corpus forwards (INDEX.md expectations) are the bodies of real clients'
forwards, wrapped here in the member's message with its envelope Subject;
the ``fwd_own_*.eml`` files are whole messages modelled on each client's
output (see tests/data/ATTRIBUTION.md).
"""

from __future__ import annotations

import quopri
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailer.models import CoachingNote
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

DATA = Path(__file__).resolve().parents[1] / "data"
NOTES = "notes@pactmail.localhost"
MSG = "Praesent suscipit egestas hendrerit.\n\nAliquam eget dui dui."


def at(text: str, hours: float = 0) -> datetime:
    """``text`` (ISO, no zone) at UTC+``hours``."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone(timedelta(hours=hours)))


@dataclass(frozen=True)
class Case:
    file: str
    subject: str  # the envelope Subject of a corpus body; unused for whole .eml files
    coach: tuple[str, str]
    title: str
    date: datetime
    body_start: str
    note: str = ""
    sender: str = "anna@example.com"


JOHN = ("John Doe", "john.doe@acme.com")
DANA = ("Dana Coach", "dana@coach.example")
INTEGER = "Integer consequat non purus"
AENEAN = "Aenean quis diam urna."
SESSION = "Our session on Tuesday"

# The member's own message is dated +01:00 (tests.support.smtpclient.message):
# a forwarded date shown without a zone is read in that offset.
CASES = [
    Case("fwd_crisp_gmail_en_with_message.txt", f"Fwd: {INTEGER}", JOHN, INTEGER,
         at("2021-10-27T09:31", 1), AENEAN, MSG),
    Case("fwd_crisp_outlook_live_en_bold_labels.txt", f"FW: {INTEGER}", JOHN, INTEGER,
         at("2021-10-27T15:14", 1), AENEAN, MSG),
    Case("fwd_crisp_new_outlook_2019_de.txt", f"WG: {INTEGER}", JOHN, INTEGER,
         at("2021-10-28T12:46", 1), AENEAN),
    Case("fwd_crisp_apple_mail_fr.txt", f"Fwd: {INTEGER}", JOHN, INTEGER,
         at("2021-10-26T14:25:08", 3), AENEAN),
    Case("fwd_crisp_thunderbird_en_with_message.txt", f"Fwd: {INTEGER}", JOHN, INTEGER,
         at("2021-11-03T15:51:30", 1), AENEAN, MSG),
    Case("fwd_crisp_gmail_en_nested_chain.txt", f"Fwd: {INTEGER}", JOHN, INTEGER,
         at("2023-04-06T16:17", 1), AENEAN, MSG),
    Case("fwd_crisp_mailmate_en.txt", f"Fwd: {INTEGER}", JOHN, INTEGER,
         at("2021-10-27T09:31:00"), AENEAN),
    # Outlook shows the sender by name alone here: there is no address to keep.
    Case("fwd_quotequail_outlook.html.txt", "FW: The subject!", ("John Doe", ""), "The subject!",
         at("2014-07-09T10:27", 1), "Hi Foo,", "Original message\n\nMore text"),
    Case("mime_stdlib_msg_46_groupwise_forward_rfc822.eml", "",
         ("Dr. Sender", "sender@example.net"), "GroupwiseForwardingTest",
         at("2010-02-01T12:18:40", 1), "Testing email forwarding with Groupwise",
         sender="sender@example.net"),
    Case("fwd_own_gmail.eml", "", DANA, SESSION, at("2026-11-24T17:02", 1), "Hi Anna,",
         "Notes from Tuesday's session with Dana."),
    Case("fwd_own_gmail_android_es.eml", "", DANA, SESSION, at("2026-11-24T17:02", 1),
         "Hi Anna,", "Para guardar."),
    Case("fwd_own_outlook_desktop.eml", "", DANA, SESSION, at("2026-11-24T17:02"), "Hi Anna,",
         "Forwarding my coach's notes.\n\nAnna"),
    Case("fwd_own_outlook_attached.eml", "", DANA, SESSION, at("2026-11-24T16:02:11"),
         "Hi Anna,", "See attached, from Dana."),
    Case("fwd_own_apple_mail.eml", "", DANA, SESSION, at("2026-11-24T17:02:11", 1), "Hi Anna,",
         "Worth keeping."),
    Case("fwd_own_ios_mail.eml", "", DANA, SESSION, at("2026-11-24T17:02:11", 1), "Hi Anna,"),
    Case("fwd_own_yahoo.eml", "", DANA, SESSION, at("2026-11-24T17:02:11", 1), "Hi Anna,",
         "Dana's notes from Tuesday."),
    Case("fwd_own_thunderbird_de.eml", "", DANA, SESSION, at("2026-11-24T17:02:11", 1),
         "Hi Anna,", "Zur Ablage."),
]  # fmt: skip


def whole_message(case: Case) -> bytes:
    """What the member's client sends: the file itself, or a corpus body wrapped in a message."""
    path = DATA / case.file
    if path.suffix == ".eml":
        return path.read_bytes()
    body = path.read_text()
    if case.file.endswith(".html.txt"):  # as Outlook sends HTML: quoted-printable, short lines
        html = (
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
        )
        encoded = quopri.encodestring(body.encode()).decode("ascii")
        return message(to=NOTES, subject=case.subject, body=encoded).replace(
            b"Content-Type: text/plain; charset=utf-8", html.encode()
        )
    return message(to=NOTES, subject=case.subject, body=body)


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
async def test_each_forward_format_gives_coach_date_subject_body_and_note(
    service: Service, relay: tuple[CaptureHandler, int], case: Case
) -> None:
    capture, _ = relay
    reply = await send(service.smtp_port, case.sender, [NOTES], whole_message(case))
    assert reply.code == 250
    [kept] = await capture.wait_for(1)
    note = await CoachingNote.get()
    assert (note.coach_name, note.coach_email) == case.coach
    assert note.subject == case.title
    assert note.original_date == case.date
    assert note.body.startswith(case.body_start)
    assert note.member_note == case.note
    text = " ".join(kept.text().split())
    assert f"We have kept the note from {case.coach[0]}" in text
    if case.coach == DANA:  # the same coaching email in every client's wrapping
        assert "1. Draft the budget by Friday due: Fri 27 Nov" in text
        assert "2. Ask Sam for feedback on the launch plan due: no due date" in text
        assert "3. call the bank by Dec 15 due: Tue 15 Dec" in text
        assert "4. You will send me the revised plan in 2 weeks due: Tue 8 Dec" in text
