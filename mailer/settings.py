"""The one settings object, built from the PACTMAIL_* environment variables."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many

from mailer.private_files import create_once

DEFAULT_DOMAIN = "pactmail.localhost"
DEFAULT_LISTEN = "127.0.0.1:2525"
DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MIN_SECRET_LENGTH = 16
# One DNS label; "-rsa" and "-ed25519" are added to it (mailer/dkim_keys.py).
_DKIM_SELECTOR = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,53}[a-z0-9])?")
_AUTHSERV_ID = re.compile(r"[a-z0-9](?:[a-z0-9.\-_]{0,252}[a-z0-9])?")
DEFAULT_RETENTION_DAYS = 30
DEFAULT_BOUNCE_THRESHOLD = 3
_YES = {"1", "true", "yes", "on"}
_NO = {"", "0", "false", "no", "off"}


# Every setting, with what it does when unset: the one list `pactmail --help` prints.
ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("PACTMAIL_DOMAIN", "the mail domain (pactmail.localhost)"),
    ("PACTMAIL_LISTEN", "host:port the SMTP server listens on (127.0.0.1:2525)"),
    ("PACTMAIL_RELAY", "host:port of the SMTP relay for outbound mail (unset: DATA_DIR/outbox)"),
    ("PACTMAIL_DATA_DIR", "secret key, raw mail, SQLite file, embedded Redis (./var)"),
    (
        "PACTMAIL_DATABASE_URL",
        "sqlite:///file or postgres://user@host:5432/db (SQLite in DATA_DIR)",
    ),
    ("PACTMAIL_REDIS_URL", "redis://host:6379/0 (unset: `run` starts its own)"),
    ("PACTMAIL_SECRET_KEY", "signs reply tokens (unset: made once in DATA_DIR)"),
    ("PACTMAIL_TRUSTED_AUTHSERV_ID", "the border MTA's authserv-id(s) (unset: own DKIM checks)"),
    ("PACTMAIL_TRUSTED_RELAYS", "IPs or networks of the border MTAs whose results count"),
    ("PACTMAIL_RATE_LIMITS", "client=60/minute;sender=20/hour"),
    ("PACTMAIL_MAX_MESSAGE_BYTES", "largest message taken (10485760)"),
    ("PACTMAIL_RETENTION_DAYS", "raw mail kept this long after processing (30)"),
    ("PACTMAIL_INVITATIONS_PER_DAY", "invitations a member may send a day (10)"),
    ("PACTMAIL_INVITATIONS_PER_ADDRESS", "invitations an address may receive in 30 days (3)"),
    ("PACTMAIL_BOUNCE_THRESHOLD", "bounce score that suspends mail to an address (3)"),
    ("PACTMAIL_QUEUE", "the arq queue name (pactmail)"),
    ("PACTMAIL_JOB_TIMEOUT", "seconds a job may take (60)"),
    ("PACTMAIL_LOG_SMTP", "1: log each SMTP command, addresses masked (0)"),
    ("PACTMAIL_LOG_FORMAT", "text, or json: one JSON object a line for log shippers (text)"),
    ("PACTMAIL_METRICS_LISTEN", "host:port serving Prometheus metrics (unset: none)"),
    (
        "PACTMAIL_PUBLIC_URL",
        "https:// address of the web endpoint (unset: unsubscribe by mail only)",
    ),
    ("PACTMAIL_DKIM_SELECTOR", "signs outbound mail with DATA_DIR/dkim keys (unset: unsigned)"),
)

LOG_FORMATS = ("text", "json")
MAX_PORT = 65535
DATABASE_SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "asyncpg", "psycopg"})


class SettingsError(ValueError):
    """A PACTMAIL_* variable holds a value the service cannot use."""


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RateLimits:
    """How often each party may make the service work; ``None``: no limit.

    ``client``: messages per client IP a minute, checked at the SMTP server
    (an IP shared by a provider's many users still gets one a second);
    ``sender``: messages per ``From:`` address, counted by the worker before
    a message acts (a person writes a few an hour). Automatic answers to an
    unproven address are one per kind a day, whatever is set here (SPEC §7).
    """

    client: RateLimitItem | None = parse_many("60/minute")[0]
    sender: RateLimitItem | None = parse_many("20/hour")[0]


RATE_LIMITS_OFF = RateLimits(client=None, sender=None)


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with; passed in, never global."""

    domain: str
    listen_host: str
    listen_port: int
    relay: tuple[str, int] | None
    data_dir: Path
    database_url: str
    # None: start an embedded redis-server under data_dir. Not in repr: it may hold a password.
    redis_url: str | None = field(repr=False)
    secret_key: bytes
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    queue_name: str = "pactmail"  # several deployments can share one Redis
    # A killed worker's job runs again after this plus 10 s (arq #343).
    job_timeout_seconds: int = 60
    # authserv-ids of the border MTA whose Authentication-Results count
    # (SPEC §7); empty: no border is trusted and pactmail checks DKIM itself.
    trusted_authserv_ids: frozenset[str] = frozenset()
    # Protecting people who never signed up (SPEC §7): invitations one member
    # may send a day, and one address may receive from everyone in 30 days.
    invitations_per_member_day: int = 10
    invitations_per_address_month: int = 3
    # Raw inbound mail is emptied this long after it was processed (SPEC §7).
    retention_days: int = DEFAULT_RETENTION_DAYS
    # Days with a permanent delivery failure, none more than 7 days after the
    # last, before mail to an address is suspended (mailer/bounce_scores.py).
    bounce_threshold: int = DEFAULT_BOUNCE_THRESHOLD
    # aiosmtpd's line per SMTP command and session (logger "mail.log").
    log_smtp: bool = False
    # "text" for people, "json" (one object a line) for log shippers.
    log_format: str = "text"
    # Where `pactmail run`, `smtp` and `worker` serve Prometheus metrics; None: nowhere.
    metrics_listen: tuple[str, int] | None = None
    rate_limits: RateLimits = RateLimits()
    # Border MTAs whose topmost Received: line names the real client.
    trusted_relays: tuple[IPNetwork, ...] = ()
    # The service's https:// address, no trailing slash; "": none. Set, regular
    # mail offers RFC 8058 one-click unsubscribing at PUBLIC_URL/unsubscribe/TOKEN.
    public_url: str = ""
    # Outbound mail is DKIM-signed with the keys of this selector; "": not signed.
    dkim_selector: str = ""

    def __post_init__(self) -> None:
        if self.trusted_authserv_ids and not self.trusted_relays:
            # Results only the border may write count only in mail the border
            # handed over: from anyone else, they are the sender's own words.
            raise SettingsError(
                "PACTMAIL_TRUSTED_AUTHSERV_ID needs PACTMAIL_TRUSTED_RELAYS: the IPs of "
                "the border MTA whose Authentication-Results count"
            )

    @property
    def outbox_dir(self) -> Path:
        """Where outbound mail is written when no relay is configured."""
        return self.data_dir / "outbox"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the environment; create the data directory and secret on first use."""
        env = os.environ if env is None else env
        data_dir = _data_directory(Path(env.get("PACTMAIL_DATA_DIR") or "./var").resolve())
        host, port = parse_host_port(env.get("PACTMAIL_LISTEN") or DEFAULT_LISTEN, "LISTEN")
        relay_text = env.get("PACTMAIL_RELAY", "").strip()
        return cls(
            domain=(env.get("PACTMAIL_DOMAIN") or DEFAULT_DOMAIN).strip().lower(),
            listen_host=host,
            listen_port=port,
            relay=parse_host_port(relay_text, "RELAY") if relay_text else None,
            data_dir=data_dir,
            database_url=parse_database_url(
                env.get("PACTMAIL_DATABASE_URL") or f"sqlite://{data_dir / 'pactmail.sqlite3'}"
            ),
            redis_url=env.get("PACTMAIL_REDIS_URL") or None,
            secret_key=_secret_key(env.get("PACTMAIL_SECRET_KEY"), data_dir),
            max_message_bytes=_int(env, "PACTMAIL_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES),
            queue_name=env.get("PACTMAIL_QUEUE") or "pactmail",
            job_timeout_seconds=_int(env, "PACTMAIL_JOB_TIMEOUT", 60),
            trusted_authserv_ids=parse_authserv_ids(env.get("PACTMAIL_TRUSTED_AUTHSERV_ID", "")),
            invitations_per_member_day=_int(env, "PACTMAIL_INVITATIONS_PER_DAY", 10),
            invitations_per_address_month=_int(env, "PACTMAIL_INVITATIONS_PER_ADDRESS", 3),
            retention_days=_int(env, "PACTMAIL_RETENTION_DAYS", DEFAULT_RETENTION_DAYS),
            bounce_threshold=_int(env, "PACTMAIL_BOUNCE_THRESHOLD", DEFAULT_BOUNCE_THRESHOLD),
            log_smtp=_flag(env, "PACTMAIL_LOG_SMTP"),
            log_format=_choice(env, "PACTMAIL_LOG_FORMAT", LOG_FORMATS),
            metrics_listen=(
                parse_host_port(metrics, "METRICS_LISTEN")
                if (metrics := env.get("PACTMAIL_METRICS_LISTEN", "").strip())
                else None
            ),
            rate_limits=parse_rate_limits(env.get("PACTMAIL_RATE_LIMITS", "")),
            trusted_relays=parse_networks(env.get("PACTMAIL_TRUSTED_RELAYS", "")),
            public_url=parse_public_url(env.get("PACTMAIL_PUBLIC_URL", "")),
            dkim_selector=parse_dkim_selector(env.get("PACTMAIL_DKIM_SELECTOR", "")),
        )


def _data_directory(path: Path) -> Path:
    """PACTMAIL_DATA_DIR made ready, or a SettingsError saying what is wrong with it."""
    try:
        private_directory(path)
    except OSError as exc:
        raise SettingsError(
            f"PACTMAIL_DATA_DIR: cannot create {path} ({exc.strerror}); point it at a "
            "directory this user may write"
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(
            f"PACTMAIL_DATA_DIR: {path} is not writable by this user; point it at one that is"
        )
    return path


def private_directory(path: Path) -> Path:
    """``path``, created if need be, readable by this user alone (mode 0700).

    It holds the secret key, raw mail and the SQLite database. One of ours
    made with wider modes (by an older version) is narrowed too; one that
    belongs to someone else is the operator's choice and left as it is.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        path.chmod(0o700)
    return path


def parse_host_port(text: str, name: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:25`` for IPv6).

    >>> parse_host_port("127.0.0.1:2525", "LISTEN")
    ('127.0.0.1', 2525)
    >>> parse_host_port("[::1]:25", "RELAY")
    ('::1', 25)
    """
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise SettingsError(f"PACTMAIL_{name} must be host:port, not {text!r}")
    if not 1 <= int(port) <= MAX_PORT:
        raise SettingsError(f"PACTMAIL_{name}: port {port} is not one (1 to {MAX_PORT})")
    return host.strip("[]"), int(port)


def parse_public_url(text: str) -> str:
    """The service's public https:// address, without a trailing slash; "" when unset.

    Only https: RFC 8058 one-click unsubscribing is defined for it, and mailbox
    providers ignore anything else.

    >>> parse_public_url("https://pactmail.example.com/")
    'https://pactmail.example.com'
    >>> parse_public_url("http://pactmail.example.com")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.settings.SettingsError: PACTMAIL_PUBLIC_URL must be an https:// address...
    """
    text = text.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if (
        parts.scheme.lower() != "https"
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or not text.isascii()
        or any(c.isspace() or c in '<>",' for c in text)
    ):
        raise SettingsError(
            f"PACTMAIL_PUBLIC_URL must be an https:// address such as "
            f"https://pactmail.example.com, with no query, not {text[:80]!r}"
        )
    return text.rstrip("/")


def parse_database_url(text: str) -> str:
    """A database URL of a kind pactmail runs on: SQLite, or PostgreSQL.

    >>> parse_database_url("postgres://pm@db:5432/pactmail")
    'postgres://pm@db:5432/pactmail'
    >>> parse_database_url("mysql://root@db/pactmail")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.settings.SettingsError: PACTMAIL_DATABASE_URL: mysql:// is not supported; ...
    """
    scheme = text.partition("://")[0].lower()
    if scheme not in DATABASE_SCHEMES:
        raise SettingsError(
            f"PACTMAIL_DATABASE_URL: {scheme or text[:20]}:// is not supported; use "
            "sqlite:///path/to/file.sqlite3 or postgres://user@host:5432/database"
        )
    return text


def parse_authserv_ids(text: str) -> frozenset[str]:
    """One or more authserv-ids, separated by commas or spaces, compared in lower case.

    >>> sorted(parse_authserv_ids("mx1.example.org, MX2.example.org"))
    ['mx1.example.org', 'mx2.example.org']
    >>> parse_authserv_ids("mx.example.org;")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.settings.SettingsError: PACTMAIL_TRUSTED_AUTHSERV_ID: 'mx.example.org;' is not ...
    """
    ids = frozenset(part.lower() for part in text.replace(",", " ").split())
    for given in sorted(ids):
        if not _AUTHSERV_ID.fullmatch(given):
            raise SettingsError(
                f"PACTMAIL_TRUSTED_AUTHSERV_ID: {given!r} is not an authserv-id "
                "(a host name such as mx.example.org)"
            )
    return ids


def parse_dkim_selector(text: str) -> str:
    """A DKIM selector: one DNS label of letters, digits and hyphens, in lower case.

    >>> parse_dkim_selector(" PM2026 "), parse_dkim_selector("")
    ('pm2026', '')
    >>> parse_dkim_selector("pm._domainkey")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mailer.settings.SettingsError: PACTMAIL_DKIM_SELECTOR: 'pm._domainkey' is not a selector ...
    """
    selector = text.strip().lower()
    if selector and not _DKIM_SELECTOR.fullmatch(selector):
        raise SettingsError(
            f"PACTMAIL_DKIM_SELECTOR: {text.strip()!r} is not a selector (letters, digits and "
            "hyphens, at most 55, such as pm2026); empty leaves mail unsigned"
        )
    return selector


def parse_rate_limits(text: str) -> RateLimits:
    """``off``, or ``name=rate`` pairs that replace the defaults they name.

    >>> limits = parse_rate_limits("client=10/minute; sender=off")
    >>> limits.client, limits.sender
    (10 per 1 minute, None)
    >>> parse_rate_limits(" OFF ") == RATE_LIMITS_OFF
    True
    >>> parse_rate_limits("client=10/minit")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    mailer.settings.SettingsError: PACTMAIL_RATE_LIMITS: 'client=10/minit' is not a rate ...
    """
    if text.strip().lower() == "off":
        return RATE_LIMITS_OFF
    names = [field.name for field in fields(RateLimits)]
    chosen: dict[str, RateLimitItem | None] = {}
    for part in filter(None, (part.strip() for part in text.split(";"))):
        name, sep, rate = (piece.strip() for piece in part.partition("="))
        if not sep or name.lower() not in names:
            raise SettingsError(
                f"PACTMAIL_RATE_LIMITS: {part!r} should be off or name=rate with a name "
                f"among {', '.join(names)}, as in client=60/minute;sender=20/hour"
            )
        chosen[name.lower()] = _rate(rate, part)
    return RateLimits(**chosen)


def _rate(text: str, part: str) -> RateLimitItem | None:
    if text.lower() == "off":
        return None
    try:
        (rate,) = parse_many(text)  # exactly one: "10/minute,100/hour" is refused
    except ValueError:
        rate = None
    if rate is None or rate.amount < 1:
        raise SettingsError(
            f"PACTMAIL_RATE_LIMITS: {part!r} is not a rate such as 60/minute, 20/hour, 1/day or off"
        )
    return rate


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated IP addresses and networks.

    >>> parse_networks("192.0.2.25, 2001:db8::/64")
    (IPv4Network('192.0.2.25/32'), IPv6Network('2001:db8::/64'))
    >>> parse_networks("")
    ()
    """
    networks = []
    for item in filter(None, (item.strip() for item in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise SettingsError(
                f"PACTMAIL_TRUSTED_RELAYS: {item!r} is not an IP address or network ({exc})"
            ) from None
    return tuple(networks)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name) or str(default)
    if not text.isdigit() or int(text) <= 0:
        raise SettingsError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no variable: 1, true, yes or on; 0, false, no, off or empty.

    >>> _flag({"PACTMAIL_LOG_SMTP": "Yes"}, "PACTMAIL_LOG_SMTP"), _flag({}, "PACTMAIL_LOG_SMTP")
    (True, False)
    """
    text = env.get(name, "").strip().lower()
    if text not in _YES | _NO:
        raise SettingsError(f"{name} must be 1 or 0, not {text!r}")
    return text in _YES


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first when unset), in any case.

    >>> _choice({"PACTMAIL_LOG_FORMAT": " JSON"}, "PACTMAIL_LOG_FORMAT", LOG_FORMATS)
    'json'
    >>> _choice({}, "PACTMAIL_LOG_FORMAT", LOG_FORMATS)
    'text'
    """
    text = env.get(name, "").strip().lower() or choices[0]
    if text not in choices:
        raise SettingsError(f"{name} must be {' or '.join(choices)}, not {text!r}")
    return text


def _secret_key(given: str | None, data_dir: Path) -> bytes:
    """The given key, else one generated once and kept in the data directory."""
    if given is not None and given != "":
        if len(given) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"PACTMAIL_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
            )
        return given.encode()
    path = data_dir / "secret_key"
    key = create_once(path, secrets.token_hex(32)).strip().encode()
    if len(key) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{path} holds no usable key: remove it to have one generated")
    return key
