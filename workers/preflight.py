"""Before a command starts: the servers it needs answer, or one line says which does not.

An operator who mistypes a URL or starts pactmail before PostgreSQL or Redis
gets the variable, the server and what to do, not a traceback (exit 2).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from tortoise import Tortoise

from mailer.db import close_database, open_database
from mailer.settings import Settings

# How long a server may take to answer before it counts as unreachable.
CONNECT_SECONDS = 5.0


class Unreachable(Exception):
    """A server the command needs did not answer; the message says which and what to do."""


async def check_servers(settings: Settings) -> None:
    """Raise Unreachable for the first server that does not answer."""
    await _check_database(settings)
    if settings.redis_url is not None:
        await _check_redis(settings.redis_url)


async def _check_database(settings: Settings) -> None:
    try:
        await open_database(settings)
        try:
            await Tortoise.get_connection("default").execute_query("SELECT 1")
        finally:
            await close_database()
    except Exception as exc:  # whatever the driver raises: the operator needs one line
        where = shown_url(settings.database_url)
        raise Unreachable(
            f"cannot use the database in PACTMAIL_DATABASE_URL ({where}): {_reason(exc)}. "
            "Check that it runs there and that the user may connect to it."
        ) from exc


async def _check_redis(url: str) -> None:
    client = Redis.from_url(url, socket_connect_timeout=CONNECT_SECONDS)
    try:
        await client.ping()
    except Exception as exc:  # as above
        raise Unreachable(
            f"cannot reach Redis in PACTMAIL_REDIS_URL ({shown_url(url)}): {_reason(exc)}. "
            "Start it, or unset PACTMAIL_REDIS_URL for `pactmail run` to use its own."
        ) from exc
    finally:
        await client.aclose()


def shown_url(url: str) -> str:
    """The URL with its password starred, to print.

    >>> shown_url("postgres://pm:s3cret@db:5432/pactmail")
    'postgres://pm:***@db:5432/pactmail'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _reason(exc: BaseException) -> str:
    """The innermost cause, in one line."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
