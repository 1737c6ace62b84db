"""What the service writes to its log, and how: one handler on stderr, redacted (SPEC §7).

Our own lines say what happened to each message and each email
(mailer/activity.py); the libraries' chatter is kept down to what an
operator acts on. ``PACTMAIL_LOG_FORMAT=json`` writes one JSON object a line
for log shippers, with the structured fields of our lines beside the text.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from mailer.redact import RedactingFilter, redact

# aiosmtpd's logger: a line per SMTP command (every RCPT TO) and session.
SMTP_LOGGER = "mail.log"
# At DEBUG these log every statement with its parameters (raw mail, reply
# tokens) and the connection settings (a PostgreSQL password).
DATABASE_LOGGERS = ("tortoise", "aiosqlite")
# arq's lines at the start and end of every job, the sweep's every 15 s
# among them: our own line per message and per email says more, once.
QUEUE_LOGGER = "arq"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The attribute of a record that holds its structured fields (``extra=``).
FIELDS = "pactmail"


def fields(**values: object) -> dict[str, Any]:
    """The ``extra=`` of a log call whose values the JSON format shows as fields of their own."""
    return {FIELDS: values}


def configure_logging(level: str, *, log_smtp: bool, log_format: str = "text") -> None:
    """Log to stderr with addresses and tokens masked, whoever logs (SPEC §7).

    The filter sits on the root logger's handlers, which every propagated
    record reaches. aiosmtpd's per-command lines are kept to warnings unless
    PACTMAIL_LOG_SMTP asks for them (they are masked all the same, and the
    "connection lost" lines after a clean QUIT are dropped); arq's per-job
    lines only show at DEBUG; the database drivers' only their warnings.
    """
    handler = logging.StreamHandler()
    json_lines = log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    redacting = RedactingFilter()
    for present in logging.getLogger().handlers:
        if not any(isinstance(each, RedactingFilter) for each in present.filters):
            present.addFilter(redacting)
    root_level = logging.getLogger().level
    smtp = logging.getLogger(SMTP_LOGGER)
    if not log_smtp:
        smtp.setLevel(max(logging.WARNING, root_level))
    if not any(isinstance(each, CleanQuitFilter) for each in smtp.filters):
        smtp.addFilter(CleanQuitFilter())
    if root_level > logging.DEBUG:
        logging.getLogger(QUEUE_LOGGER).setLevel(max(logging.WARNING, root_level))
    for name in DATABASE_LOGGERS:  # tortoise's INFO is "Tortoise-ORM shutdown", and noise
        logging.getLogger(name).setLevel(max(logging.WARNING, root_level))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the record's own fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # The handler's RedactingFilter masked it already; this formatter
            # may also serve a handler without one.
            "message": redact(record.getMessage()),
        }
        extra = getattr(record, FIELDS, None)
        if isinstance(extra, dict):
            for name, value in extra.items():
                entry.setdefault(str(name), redact(value) if isinstance(value, str) else value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        # ASCII: U+2028 and the like, raw, would end the line for some readers.
        return json.dumps(entry, default=str)


# aiosmtpd 1.4's lines, as it writes them (``record.msg`` before formatting).
_COMMAND = "%r >> %r"
_NEW_SESSION = "Peer: %r"
_CONNECTION_LOST = frozenset({"%r connection lost", "%r Connection lost during _handle_client()"})
_REMEMBERED = 1024


class CleanQuitFilter(logging.Filter):
    """Drops aiosmtpd's "connection lost" lines for a session that ended with QUIT.

    After a clean QUIT aiosmtpd still says the connection was lost, twice:
    that reads like a fault on every session. The lines stay for a client
    that hangs up without QUIT. Sessions are told apart by their peer
    (address and port), forgotten when a new session from it begins.
    """

    def __init__(self) -> None:
        super().__init__()
        self._quit: OrderedDict[str, None] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        peer = repr(args[0])
        if record.msg == _COMMAND and len(args) == 2 and _is_quit(args[1]):
            self._quit[peer] = None
            while len(self._quit) > _REMEMBERED:
                self._quit.popitem(last=False)
        elif record.msg == _NEW_SESSION:
            self._quit.pop(peer, None)
        elif record.msg in _CONNECTION_LOST and peer in self._quit:
            return False
        return True


def _is_quit(line: object) -> bool:
    return isinstance(line, bytes) and line.strip().upper() == b"QUIT"
