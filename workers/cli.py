"""The ``pactmail`` command (SPEC §6).

It lives in workers/ because it is where everything is put together: mailer/
never imports workers/, and the command needs both.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from mailer.db import close_database, migrate_database, open_database
from mailer.digests import digest_standing, send_due_digests
from mailer.models import OutboundMessage, OutboundStatus
from mailer.redact import RedactingFilter
from mailer.sending import send_batch
from mailer.settings import ENVIRONMENT, Settings, SettingsError
from mailer.trust.resolver import TxtResolver
from mailer.unsettled import LISTED, mark_delivered, release_for_resend, unsettled
from workers.inbound import inbound_command
from workers.preflight import Unreachable, check_servers
from workers.service import Service, serve

# aiosmtpd's logger: a line per SMTP command (every RCPT TO) and session.
SMTP_LOGGER = "mail.log"
# At DEBUG these log every statement with its parameters (raw mail, reply
# tokens) and the connection settings (a PostgreSQL password).
DATABASE_LOGGERS = ("tortoise", "aiosqlite")


def configure_logging(level: str, *, log_smtp: bool) -> None:
    """Log to stderr with addresses and tokens masked, whoever logs (SPEC §7).

    The filter sits on the root logger's handlers, which every propagated
    record reaches. aiosmtpd's per-command lines are kept to warnings unless
    PACTMAIL_LOG_SMTP asks for them (they are masked all the same); the
    database drivers' statements are never logged.
    """
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(present, RedactingFilter) for present in handler.filters):
            handler.addFilter(redacting)
    root_level = logging.getLogger().level
    if not log_smtp:
        logging.getLogger(SMTP_LOGGER).setLevel(max(logging.WARNING, root_level))
    for name in DATABASE_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root_level))


def private_files() -> None:
    """Everything this process creates is for its own user alone (0600 files, 0700 folders).

    The umask covers what others write for us too: SQLite's database and its
    -wal and -shm files, the embedded Redis's log.
    """
    os.umask(0o077)


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed: the same code, about a sixth less CPU."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


async def send_digests_now(settings: Settings, partner: str | None) -> tuple[str, int]:
    """This period's digests, written and sent from this process (no Redis needed).

    A digest already sent for the period is not sent again, here or by cron.
    Returns what it did, in words, and the exit status (1: no such partner).
    """
    await migrate_database(settings)
    await open_database(settings)
    try:
        now = datetime.now(UTC)
        before = await digest_standing(now, partner)
        if partner is not None and before.partners == 0:
            return f"{partner} partners no one (no active partnership): no digest", 1
        ids = await send_due_digests(settings, now, partner_email=partner, now_not_monday=True)
        await send_batch(ids, settings, now, seconds=max(60.0, 2.0 * len(ids)))
        return before.report(sent=len(ids)), 0
    finally:
        await close_database()


async def settle_outbound(
    settings: Settings, resend: list[int], delivered: list[int]
) -> tuple[str, bool]:
    """``pactmail outbound``: list unsettled mail, or send some again, or mark some delivered.

    Returns the report and whether everything asked for was done.
    """
    await migrate_database(settings)
    await open_database(settings)
    try:
        now = datetime.now(UTC)
        if delivered:
            marked = await mark_delivered(delivered, now)
            return f"{marked} marked delivered", marked == len(set(delivered))
        if resend:
            return await _resend(settings, resend, now)
        rows = await unsettled()
        lines = [
            f"{row.id:>8}  {row.status:<13}  {row.created_at:%Y-%m-%d %H:%M}  "
            f"{row.template:<16}  {row.to_address}  {row.last_error[:80]}"
            for row in rows
        ]
        if len(rows) == LISTED:
            lines.append(f"(the newest {LISTED} only)")
        return ("\n".join(lines) if lines else "no outbound mail waits for an operator"), True
    finally:
        await close_database()


async def _resend(settings: Settings, resend: list[int], now: datetime) -> tuple[str, bool]:
    released = await release_for_resend(resend)
    # Half a send job's time: every final dot and its answer then fall well
    # within the time after which the service takes a send for cut off.
    await send_batch(released, settings, now, seconds=settings.job_timeout_seconds / 2)
    ends = dict(await OutboundMessage.filter(id__in=released).values_list("id", "status"))
    report = [f"{row_id}: {_resent(settings, ends.get(row_id))}" for row_id in sorted(released)]
    refused = sorted(set(resend) - set(released))
    report += [f"{row_id}: not possibly sent or failed; left alone" for row_id in refused]
    done = all(ends.get(row_id) == OutboundStatus.SENT.value for row_id in set(resend))
    return "\n".join(report), done


def _resent(settings: Settings, status: object) -> str:
    if status == OutboundStatus.SENT.value:
        return "sent to the relay" if settings.relay else f"written to {settings.outbox_dir}"
    if status == OutboundStatus.PENDING.value:
        return "pending (the running service sends it once the relay takes it)"
    return str(status)


def main(argv: list[str] | None = None, *, resolver: TxtResolver | None = None) -> int:
    """The command line; ``resolver`` replaces DNS for sender checks (bench/serve.py only)."""
    parser = argparse.ArgumentParser(
        prog="pactmail",
        description="pactmail: commitments by email. Settings come from the environment.",
        epilog="environment:\n"
        + "\n".join(f"  {name:<34}{meaning}" for name, meaning in ENVIRONMENT)
        + "\n\nA bad setting, or a database or Redis that does not answer, ends the command "
        "at once with one line naming it, and exit status 2.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="SMTP server, worker and scheduler in one process")
    commands.add_parser("smtp", help="the inbound SMTP server alone")
    commands.add_parser("worker", help="an arq worker (jobs and cron) alone")
    commands.add_parser("migrate", help="bring the database schema up to date")
    digest = commands.add_parser("digest", help="send digests (cron sends them on schedule)")
    digest.add_argument("--now", action="store_true", required=True, help="this period's, at once")
    digest.add_argument("--partner", metavar="EMAIL", help="only this partner's")
    outbound = commands.add_parser(
        "outbound", help="mail possibly sent or failed: list it, send it again, or mark it sent"
    )
    choice = outbound.add_mutually_exclusive_group()
    choice.add_argument("--resend", metavar="ID", type=int, nargs="+", default=[])
    choice.add_argument("--mark-sent", metavar="ID", type=int, nargs="+", default=[])
    inbound = commands.add_parser(
        "inbound",
        help="inbound mail set aside (quarantined or failed): list it, or run it again",
        description="Without options: list inbound mail that will not be processed on its "
        "own, newest first (id, received, status, tries, sender masked, what went wrong), "
        "and exit 1 if there is any, 0 if none. A message is quarantined after its parsing "
        "failed or overran 5 times, failed when processing it raised; its sender was told "
        "once. With --retry: run those messages again, here and now, once the cause is "
        "fixed; exit 0 if all were processed.",
    )
    inbound.add_argument(
        "--retry",
        metavar="ID",
        type=int,
        nargs="+",
        default=[],
        help="ids from the list: back to received with their tries cleared, then processed",
    )
    args = parser.parse_args(argv)
    private_files()  # before the data directory and its secret key are made
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"pactmail: {exc}", file=sys.stderr)
        return 2
    try:  # before logging is set up: the drivers' own lines would only add noise here
        asyncio.run(check_servers(settings))
    except Unreachable as exc:
        print(f"pactmail: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, log_smtp=settings.log_smtp)
    if args.command in {"smtp", "worker"} and settings.redis_url is None:
        # Each would start a Redis of its own and never see the other's jobs.
        print(
            f"pactmail {args.command}: set PACTMAIL_REDIS_URL (and PostgreSQL in "
            "PACTMAIL_DATABASE_URL) to run processes separately; `pactmail run` "
            "runs everything in one process with an embedded Redis",
            file=sys.stderr,
        )
        return 2
    if args.command == "migrate":
        asyncio.run(migrate_database(settings))
        print("database schema is up to date")
        return 0
    if args.command == "outbound":
        report, done = asyncio.run(settle_outbound(settings, args.resend, args.mark_sent))
        print(report)
        return 0 if done else 1
    if args.command == "inbound":
        report, status = asyncio.run(inbound_command(settings, args.retry, resolver))
        print(report)
        return status
    if args.command == "digest":
        report, status = asyncio.run(send_digests_now(settings, args.partner))
        print(report)
        return status
    service = Service(
        settings,
        smtp=args.command in {"run", "smtp"},
        worker=args.command in {"run", "worker"},
        migrate=args.command == "run",
        resolver=resolver,
    )
    if args.command == "run":
        where = settings.relay or settings.outbox_dir
        print(
            f"pactmail: mail for @{settings.domain} on {settings.listen_host}:"
            f"{settings.listen_port}; outbound mail to {where}",
            flush=True,
        )
    run_loop(serve(service))
    return 0


if __name__ == "__main__":
    sys.exit(main())
