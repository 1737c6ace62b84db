"""The console of `pactmail run`: a line per message and per email, nothing of the libraries'."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.integration.test_commit_flow import THREE_COMMITMENTS
from tests.support.service_process import pactmail_run
from tests.support.smtpclient import message, send

# Whose lines a quiet session leaves on the console: the service starting and
# stopping, and ours about what happened to the message and its answer.
QUIET_LOGGERS = {"workers.service", "mailer.activity"}
DURATION = r"(\d+ ms|\d+\.\d s|\d+ min)"  # mailer/activity.py duration_words
_LOGGER = re.compile(r"^\S+ \S+ [A-Z]+ (?P<logger>[\w.]+): ")


async def test_a_session_leaves_one_line_for_the_message_and_one_for_its_answer(
    tmp_path: Path,
) -> None:
    async with pactmail_run(tmp_path) as service:
        reply = await send(
            service.port,
            "anna@example.com",
            ["commit@pactmail.localhost"],
            message(body=THREE_COMMITMENTS),
        )
        assert reply.code == 250
        sent = await service.wait_for_line(lambda line: " outbound 1 " in line)
    lines = service.lines()

    [inbound] = [line for line in lines if " inbound " in line]
    assert re.search(
        r"INFO mailer\.activity: inbound 1 a\*\*\*@example\.com \u2192 commit@: "
        rf"3 commitment\(s\) published, 0 partner\(s\) invited, {DURATION}$",
        inbound,
    ), inbound
    assert re.search(
        r"INFO mailer\.activity: outbound 1 \u2192 a\*\*\*@example\.com confirmation: "
        rf"sent, written to 0000000001\.eml, {DURATION}$",
        sent,
    ), sent
    loggers = {match["logger"] for line in lines if (match := _LOGGER.match(line))}
    assert loggers <= QUIET_LOGGERS, lines  # no aiosmtpd, arq or tortoise line
    assert not [line for line in lines if "connection lost" in line.lower()]
    assert not [line for line in lines if "anna@example.com" in line]


async def test_json_lines_carry_the_fields_and_smtp_lines_end_without_connection_lost(
    tmp_path: Path,
) -> None:
    async with pactmail_run(tmp_path, PACTMAIL_LOG_FORMAT="json", PACTMAIL_LOG_SMTP="1") as service:
        reply = await send(
            service.port,
            "anna@example.com",
            ["commit@pactmail.localhost"],
            message(body=THREE_COMMITMENTS),
        )
        assert reply.code == 250
        await service.wait_for_line(lambda line: '"event": "outbound"' in line)
    entries = [json.loads(line) for line in service.lines()]  # every line is one object

    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    [inbound] = [entry for entry in entries if entry.get("event") == "inbound"]
    assert inbound["inbound_id"] == 1
    assert inbound["sender"] == "a***@example.com"
    assert inbound["address"] == "commit@"
    assert inbound["status"] == "processed"
    assert inbound["outcome"] == "3 commitment(s) published, 0 partner(s) invited"
    assert isinstance(inbound["ms_since_received"], int)
    assert inbound["message"].startswith("inbound 1 a***@example.com \u2192 commit@: 3 ")
    [outbound] = [entry for entry in entries if entry.get("event") == "outbound"]
    assert outbound["recipient"] == "a***@example.com"
    assert (outbound["template"], outbound["result"]) == ("confirmation", "sent")

    # PACTMAIL_LOG_SMTP=1: aiosmtpd's line per command, masked, but no
    # "connection lost" for the session that ended with QUIT.
    smtp = [entry["message"] for entry in entries if entry["logger"] == "mail.log"]
    # smtplib writes its commands in lower case.
    assert any(">> b'mail from:<a***@example.com>'" in line.lower() for line in smtp), smtp
    [quit_line] = [line for line in smtp if line.lower().endswith(">> b'quit'")]
    peer = quit_line.partition(" >> ")[0]
    assert not [line for line in smtp if peer in line and "connection lost" in line.lower()]
    assert "anna@example.com" not in service.console.read_text()
