"""Replies as people type them: numbered lines, signatures, closings, overlapping commands."""

from __future__ import annotations

from mailer.models import VerdictKind
from mailer.parsing.commands import Action, Audience, read
from mailer.parsing.newtext import new_text
from mailer.parsing.verdicts import read_link_reply, without_sign_off

BOB = frozenset({"bob", "bob stone", "b"})


def test_a_numbered_line_not_understood_is_quoted_back_not_added_to_the_last_note() -> None:
    """The line "3 not ok" after "2 OK" is no part of #2's note: it is quoted back."""
    reading = read("1 OK\n2 OK\n3 not ok", Audience.PARTNER)
    notes = {c.number: c.text for c in reading.commands}
    assert notes.get(2) == "", notes
    assert reading.unread == ["3 not ok"]


def test_an_outlook_or_apple_mail_signature_is_not_the_challenges_note() -> None:
    """A link reply from Outlook or Apple Mail signed without "-- ": name, title and phone
    are no part of the note that goes to the member."""
    typed = "challenge: Is the venue booked?\n\nBob Stone\nHead of Operations\nM +49 170 1234567"
    text = without_sign_off(new_text(typed), BOB)
    assert read_link_reply(text, "challenge", VerdictKind.CHALLENGE) == (
        VerdictKind.CHALLENGE,
        "Is the venue booked?",
    )


def test_a_typed_challenge_does_not_carry_the_signature() -> None:
    typed = "2 challenge: is it booked?\n\nBob Stone\n+49 170 1234567"
    reading = read(without_sign_off(new_text(typed), BOB), Audience.PARTNER)
    assert [c.text for c in reading.commands] == ["is it booked?"]


def test_thanks_before_the_name_is_not_left_at_the_end_of_the_note() -> None:
    """With the name, the "Thanks," above it goes too."""
    text = without_sign_off(new_text("challenge: Is it booked?\n\nThanks,\nBob"), BOB)
    assert read_link_reply(text, "challenge", VerdictKind.CHALLENGE) == (
        VerdictKind.CHALLENGE,
        "Is it booked?",
    )


def test_two_colon_done_is_done_not_a_note_saying_done() -> None:
    """ "2: done" and "2 - done" are done, not a note saying "done"."""
    for line in ("2: done", "2 - done"):
        [command] = read(line, Audience.MEMBER).commands
        assert command.action is Action.DONE, (line, command)


def test_a_digest_link_names_its_verdict_after_the_token_and_the_token_still_decides() -> None:
    from datetime import UTC, datetime

    import pytest

    from mailer.addresses import parse_recipient
    from mailer.refusals import RecipientRefused
    from mailer.tokens import Purpose, make_token

    now = datetime(2026, 12, 6, tzinfo=UTC)
    token = make_token(b"k", Purpose.VERDICT, (7, 15), to="bob@example.org", now=now)
    route = parse_recipient(f"reply+{token}.c@d.example", domain="d.example", key=b"k", now=now)
    assert (route.token is not None, route.link) == (True, "c")
    assert route.token is not None
    assert route.token.ids == (7, 15)
    plain = parse_recipient(f"reply+{token}@d.example", domain="d.example", key=b"k", now=now)
    assert plain.link == ""
    forged = token.replace("v-7-f-", "v-7-g-")  # another commitment: the MAC no longer holds
    assert forged != token
    with pytest.raises(RecipientRefused):
        parse_recipient(f"reply+{forged}.c@d.example", domain="d.example", key=b"k", now=now)
