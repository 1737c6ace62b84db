"""The crafted messages of issue 11: a coaching note with 200,000 bullets, 200,000 MIME parts."""

from __future__ import annotations

from tests.support.smtpclient import message


def forwarded_note_with_bullets(count: int) -> bytes:
    """A coaching note forwarded to notes@, its coach's email holding ``count`` bullets."""
    body = (
        "Here is my coach's note.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Carla Coach <carla@coach.example>\n"
        "Date: Mon, 23 Nov 2026 at 10:00\n"
        "Subject: Our session\n"
        "To: Anna Keller <anna@example.com>\n\n"
        + "".join(f"- Item {number} by Friday\n" for number in range(count))
    )
    return message(
        to="notes@pactmail.localhost",
        subject="Fwd: Our session",
        body=body,
        message_id="<bullets@example.com>",
    )


def message_with_parts(count: int) -> bytes:
    """A message to commit@ whose body is ``count`` MIME parts."""
    head = message(message_id="<parts@example.com>", body="").split(b"MIME-Version")[0]
    return (
        head
        + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * count
        + b"--b--\r\n"
    )
