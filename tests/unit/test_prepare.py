"""What the parse step reads for the flows, and the caps it applies before the costly work."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.parsing.caps import MAX_LINES, MAX_MIME_PARTS
from mailer.parsing.forwards import MAX_ACTIONS
from mailer.parsing.prepare import ParseJob, prepare
from tests.support.crafted import forwarded_note_with_bullets, message_with_parts
from tests.support.smtpclient import message

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def job(raw: bytes, route: str, *, headers_only: bool = False) -> ParseJob:
    return ParseJob(
        raw, "pactmail.localhost", "anna@example.com", route, NOW, headers_only=headers_only
    )


def test_a_forwarded_note_is_read_with_its_action_items_in_the_senders_zone() -> None:
    read = prepare(job(forwarded_note_with_bullets(3), "notes"))
    assert read.forward is not None
    assert read.forward.coach_address == "carla@coach.example"
    assert [item.text for item in read.actions] == [f"Item {n} by Friday" for n in range(3)]
    assert read.zone == "+01:00"  # the Date header's offset: the member's until they name one


def test_action_items_stop_at_their_cap_without_reading_the_rest() -> None:
    started = time.perf_counter()
    read = prepare(job(forwarded_note_with_bullets(MAX_LINES - 20), "notes"))
    assert len(read.actions) == MAX_ACTIONS
    assert read.over_cap is None
    assert time.perf_counter() - started < 5  # was a minute on the event loop


def test_200000_bullets_are_over_the_line_cap_and_not_read() -> None:
    read = prepare(job(forwarded_note_with_bullets(200_000), "notes"))
    assert read.over_cap == f"it has more than {MAX_LINES:,} lines"
    assert read.forward is None
    assert read.message.text == ""
    assert read.message.from_address == "anna@example.com"  # enough to answer


def test_200000_parts_are_over_the_parts_cap_before_the_parser_sees_them() -> None:
    started = time.perf_counter()
    read = prepare(job(message_with_parts(200_000), "commit"))
    assert read.over_cap == f"it has more than {MAX_MIME_PARTS:,} parts"
    assert read.message.from_address == "anna@example.com"
    assert read.message.message_id == "parts@example.com"
    assert time.perf_counter() - started < 5  # the standard parser alone took 40 s


def test_a_message_within_the_caps_has_all_its_parts_read() -> None:
    read = prepare(job(message_with_parts(MAX_MIME_PARTS - 10), "commit"))
    assert read.over_cap is None


def test_headers_only_reads_no_body() -> None:
    read = prepare(job(forwarded_note_with_bullets(3), "notes", headers_only=True))
    assert read.message.subject == "Fwd: Our session"
    assert read.message.text == ""
    assert read.forward is None


def test_a_members_reply_has_the_days_of_its_move_and_away_commands_read() -> None:
    reply = message(
        to="reply+token@pactmail.localhost",
        subject="Re: your commitments",
        body="move 3 to Friday\naway until Dec 20\n\nOn Monday, pactmail wrote:\n> move 9 to May\n",
    )
    read = prepare(job(reply, "reply"))
    assert read.zone == "+01:00"
    assert {phrase: str(day) for phrase, day in read.days.items()} == {
        "Friday": "2026-11-27",
        "Dec 20": "2026-12-20",
    }


BOUNCES = Path(__file__).resolve().parents[1] / "data" / "bounces"
AUTO_REPLIES = sorted(path.name for path in BOUNCES.glob("*autoreply*.eml"))


def test_a_report_to_a_return_path_is_read_in_the_parse_step() -> None:
    read = prepare(job((BOUNCES / "postfix_5.1.1_address_rejected.eml").read_bytes(), "bounce"))
    assert read.report is not None
    assert [(r.address, r.status) for r in read.report.recipients] == [
        ("kijitora@example.co.jp", "5.1.1")
    ]
    assert prepare(job(message(), "commit")).report is None


@pytest.mark.parametrize("name", AUTO_REPLIES)
def test_every_auto_reply_of_the_corpus_to_a_reply_address_is_not_answered(name: str) -> None:
    read = prepare(job((BOUNCES / name).read_bytes(), "reply"))
    assert read.message.auto_reply_reason is not None


@pytest.mark.parametrize(
    ("route", "subject"),
    [
        ("reply", "Re: Was this you? Please confirm your message to pactmail"),
        ("reply", "Re: Out of office next week?"),
        ("commit", "Out of office: what I finish before I go"),
    ],
)
def test_a_person_s_subject_is_not_taken_for_a_robot_s(route: str, subject: str) -> None:
    read = prepare(job(message(subject=subject), route))
    assert read.message.auto_reply_reason is None


def test_a_vacation_subject_alone_marks_an_answer_to_a_reply_address() -> None:
    read = prepare(job(message(subject="Automatic reply: Your digest"), "reply"))
    assert read.message.auto_reply_reason == "auto-reply subject"
