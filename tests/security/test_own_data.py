"""``forget me`` and ``my data`` (SPEC §4.9): everything about a person, deleted or mailed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tortoise import Tortoise

from mailer.models import Commitment, Person
from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.integration.test_invitations import answer, invite, to
from tests.security.test_forged_sender import ANNA, COMMIT, quiet
from tests.support.capture import CaptureHandler
from tests.support.smtpclient import message, send
from workers.service import Service

BOB = "bob@example.org"  # Anna's partner
CARL = "carl@example.net"  # whom Anna partners


async def anna_with_partners(service: Service, capture: CaptureHandler) -> str:
    """Anna publishes with Bob as partner and partners Carl; returns her Reply-To address."""
    invitation = await invite(service, capture)  # Anna, with Bob in Cc
    await answer(service, capture, invitation, "peer")
    data = message(
        sender=CARL, body=THREE_COMMITMENTS, message_id="<carl@x>", extra=f"Cc: Anna <{ANNA}>"
    )
    assert (await send(service.smtp_port, CARL, [COMMIT], data)).code == 250
    sent = await quiet(capture, 0)
    [carls_invitation] = [m for m in to(sent, ANNA) if "asks you" in m.message["Subject"]]
    await answer(service, capture, carls_invitation, "outside")
    [confirmation, *_] = [m for m in to(sent, ANNA) if m.message["Subject"] == "Re: My week"]
    reply_to: str = confirmation.message["Reply-To"]
    done = message(to=reply_to, subject="Re: My week", body="done 1\n", message_id="<done@x>")
    assert (await send(service.smtp_port, ANNA, [reply_to], done)).code == 250
    await quiet(capture, 0)
    return reply_to


def everything_holding(rows: dict[str, list[dict[str, Any]]], needle: str) -> Iterator[str]:
    for table, found in rows.items():
        for row in found:
            for column, value in row.items():
                if isinstance(value, bytes | bytearray | memoryview):
                    text = bytes(value).decode("utf-8", "replace")
                elif isinstance(value, dict | list):
                    text = json.dumps(value)
                else:
                    text = str(value)
                if needle in text.lower():
                    yield f"{table}.{column} (row {row.get('id')})"


async def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the models list them."""
    return {
        model._meta.db_table: await model.all().values()
        for model in Tortoise.apps["pactmail"].values()
    }


def person_columns() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to the person table."""
    found = []
    for model in Tortoise.apps["pactmail"].values():
        for name in model._meta.fk_fields:
            field = model._meta.fields_map[name]
            if field.related_model is Person:
                found.append((model._meta.db_table, f"{name}_id"))
    return found


async def test_forget_me_leaves_nothing_and_tells_each_partner_once(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    reply_to = await anna_with_partners(service, capture)
    anna = await Person.get(email=ANNA)
    before = len(capture.messages)
    forget = message(to=reply_to, subject="Re: My week", body="Forget me\n", message_id="<bye@x>")
    assert (await send(service.smtp_port, ANNA, [reply_to], forget)).code == 250
    after = await quiet(capture, before)
    assert sorted(m.rcpt_tos[0] for m in after) == sorted([ANNA, BOB, CARL])
    [goodbye] = to(after, ANNA)
    assert goodbye.message["Subject"] == "Everything pactmail kept about you is deleted"
    assert "commitments: 3" in goodbye.text()
    [told_bob] = to(after, BOB)
    [told_carl] = to(after, CARL)
    assert "Anna Keller has ended your partnership" in " ".join(told_bob.text().split())
    assert "Anna Keller has left pactmail" in " ".join(told_carl.text().split())
    for email in (told_bob, told_carl):
        assert ANNA not in email.data.decode()

    rows = await all_rows()
    assert list(everything_holding(rows, ANNA)) == []
    for table, column in person_columns():
        assert [row for row in rows[table] if row[column] == anna.id] == []
    assert await Commitment.filter(member__email=CARL).count() == 3  # Carl's are his own

    # Her old reply address acts for no one, not even for her starting afresh.
    again = message(body="- A fresh start\n", message_id="<again@x>")
    assert (await send(service.smtp_port, ANNA, [COMMIT], again)).code == 250
    await quiet(capture, 0)
    stale = message(to=reply_to, body="drop 1\n", message_id="<stale@x>")
    assert (await send(service.smtp_port, ANNA, [reply_to], stale)).code == 250
    await quiet(capture, 0)
    [fresh] = await Commitment.filter(member__email=ANNA)
    assert (fresh.number, fresh.state) == (1, "open")


async def test_forget_me_to_help_from_a_forged_sender_deletes_nothing(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await anna_with_partners(service, capture)
    before = len(capture.messages)
    forged = message(to="help@pactmail.localhost", body="forget me\n", message_id="<f@x>")
    await send(service.smtp_port, ANNA, ["help@pactmail.localhost"], forged, border=None)
    after = await quiet(capture, before)
    assert [m.rcpt_tos for m in after] == [[ANNA]]  # "Was this you?" and nothing else
    assert "delete everything pactmail keeps about you" in " ".join(after[0].text().split())
    assert await Person.filter(email=ANNA).exists()
    assert await Commitment.filter(member__email=ANNA).count() == 3


async def test_my_data_mails_a_json_export_of_what_is_kept(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    await anna_with_partners(service, capture)
    before = len(capture.messages)
    ask = message(to="help@pactmail.localhost", subject="my data", body="", message_id="<d@x>")
    assert (await send(service.smtp_port, ANNA, ["help@pactmail.localhost"], ask)).code == 250
    [export] = await quiet(capture, before)
    assert export.rcpt_tos == [ANNA]
    [attachment] = list(export.message.iter_attachments())
    assert attachment.get_filename() == "pactmail-data.json"
    data = json.loads(attachment.get_content())
    assert data["person"]["email"] == ANNA
    assert [c["number"] for c in data["commitments"]] == [1, 2, 3]
    assert data["commitments"][0]["state"] == "done"
    assert [p["email"] for p in data["partners"]] == [BOB]
    assert [p["email"] for p in data["partner_of"]] == [CARL]


async def test_forget_me_by_a_reply_address_alone_asks_first(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    """A reply address travels in every forwarded email: for a deletion, the mailbox is asked."""
    capture, _ = relay
    reply_to = await anna_with_partners(service, capture)
    before = len(capture.messages)
    forget = message(to=reply_to, subject="Re: My week", body="forget me\n", message_id="<f1@x>")
    assert (await send(service.smtp_port, ANNA, [reply_to], forget, border=None)).code == 250
    [question] = await quiet(capture, before)
    assert question.rcpt_tos == [ANNA]
    assert question.message["Subject"].startswith("Was this you?")
    assert await Person.filter(email=ANNA).exists()
    confirm = question.message["Reply-To"]
    yes = message(to=confirm, subject="confirm", body="confirm\n", message_id="<f2@x>")
    assert (await send(service.smtp_port, ANNA, [confirm], yes, border=None)).code == 250
    after = await quiet(capture, before + 1)
    assert sorted(m.rcpt_tos[0] for m in after) == sorted([ANNA, BOB, CARL])
    assert not await Person.filter(email=ANNA).exists()


async def test_forget_me_leaves_a_longer_address_that_holds_it_alone(
    service: Service, relay: tuple[CaptureHandler, int]
) -> None:
    capture, _ = relay
    joanna = "joanna@example.com"
    data = message(sender=joanna, body="- Her own plan\n", message_id="<jo@x>")
    assert (await send(service.smtp_port, joanna, [COMMIT], data)).code == 250
    await quiet(capture, 0)
    ask = message(to="help@pactmail.localhost", body="forget me\n", message_id="<bye@x>")
    assert (await send(service.smtp_port, ANNA, ["help@pactmail.localhost"], ask)).code == 250
    await quiet(capture, 0)
    assert await Commitment.filter(member__email=joanna).count() == 1
    rows = await all_rows()
    assert list(everything_holding(rows, joanna)) != []  # her mail and rows stay whole
    [her_message] = [r for r in rows["inbound_message"] if r["message_id"] == "jo@x"]
    assert bytes(her_message["content"]) != b""
