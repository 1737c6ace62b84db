"""The ``pactmail`` command (SPEC §6).

It lives in workers/ because it is where everything is put together: mailer/
never imports workers/, and the command needs both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import textwrap
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from mailer.db import close_database, migrate_database, open_database
from mailer.digests_now import DigestsSent, send_digests_now
from mailer.dkim_keys import DkimKeyError, load_keys, make_keys, zone_line
from mailer.dkim_signing import signer_for
from mailer.health import service_health
from mailer.logs import configure_logging
from mailer.models import OutboundMessage, OutboundStatus
from mailer.outbox_folder import emails_in, reply_address, shown
from mailer.queue import DIGESTS_NOW
from mailer.sending import send_batch
from mailer.settings import ENVIRONMENT, Settings, SettingsError
from mailer.trust.resolver import TxtResolver
from mailer.unsettled import LISTED, mark_delivered, release_for_resend, unsettled
from workers.ask_service import ServiceDidNotAnswer, ask, running_service
from workers.inbound import inbound_command
from workers.preflight import Unreachable, check_servers
from workers.service import Service, serve


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


async def digests_now(settings: Settings, partner: str | None) -> tuple[str, int]:
    """This period's digests: by the running service if there is one, else from here.

    Returns what was done, in words, and the exit status (1: no such partner).
    """
    async with running_service(settings) as service:
        if service is not None:
            try:
                done = DigestsSent.from_result(await ask(service, settings, DIGESTS_NOW, partner))
            except ServiceDidNotAnswer as exc:
                return str(exc), 1
            return f"{done.report} (by the running service)", 0 if done.known_partner else 1
    await migrate_database(settings)
    await open_database(settings)
    try:
        done = await send_digests_now(settings, datetime.now(UTC), partner)
    finally:
        await close_database()
    return done.report, 0 if done.known_partner else 1


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


def show_outbox(settings: Settings, number: int | None, *, reply_to: bool) -> int:
    """``pactmail outbox [N]``: exit 1 when there is no email N."""
    found = emails_in(settings.outbox_dir)
    if number is None:
        for each in found:
            print(
                f"{each.number:>4}  {each.written_at:%Y-%m-%d %H:%M:%S}  {each.to}  {each.subject}"
            )
        if not found:
            print(f"no email in {settings.outbox_dir}")
        if settings.relay:
            print(f"(outbound mail goes to the relay {settings.relay}, not to this folder)")
        return 0
    chosen = [each for each in found if each.number == number]
    if not chosen:
        print(
            f"pactmail outbox: no email {number} in {settings.outbox_dir} ({len(found)} there)",
            file=sys.stderr,
        )
        return 1
    print(reply_address(chosen[0].path) if reply_to else shown(chosen[0].path))
    return 0


def dkim_keygen(settings: Settings, *, force: bool) -> tuple[str, int]:
    """``pactmail dkim-keygen``: the keys made (or kept) and their DNS records; exit status."""
    selector = settings.dkim_selector
    if not selector:
        return (
            "pactmail dkim-keygen: set PACTMAIL_DKIM_SELECTOR first, to a name of your "
            "choice such as pm2026 (the keys' DNS names are made from it)",
            2,
        )
    try:
        made = make_keys(settings.data_dir, selector, force=force)
        keys = load_keys(settings.data_dir, selector)
    except OSError as exc:
        return f"pactmail dkim-keygen: cannot write {exc.filename} ({exc.strerror})", 2
    except DkimKeyError as exc:  # a damaged key kept: replacing it is the operator's call
        return f"pactmail: {exc}; --force replaces it", 2
    said = f"made {', '.join(str(path) for path in made)}" if made else "kept the keys there"
    lines = [
        f"DKIM keys of selector {selector} for {settings.domain}: {said}"
        + ("" if force else " (--force replaces keys already there)"),
        "Publish these TXT records (zone file lines; a DNS provider's form takes the quoted "
        "strings joined), then restart pactmail: it signs with both keys from then on.",
    ]
    lines += [zone_line(name, value) for name, value in keys.records(settings.domain)]
    return "\n".join(lines), 0


HELP_WIDTH = 78
ENVIRONMENT_HELP = (
    "environment (every setting; unset, each takes the default in brackets):\n"
    + "\n".join(f"  {name:<34}{meaning}" for name, meaning in ENVIRONMENT)
    + "\n\n"
    + textwrap.fill(
        "exit status: 0 done; 1 done in part, or something needs an operator (the output "
        "says what); 2 a bad setting, or a database or Redis that does not answer (one line "
        "names the variable and the server).",
        HELP_WIDTH,
    )
)

# Commands that start without the DKIM keys: they make them, or report that they are missing.
KEYLESS_COMMANDS = frozenset({"dkim-keygen", "status", "outbox"})

# Each command: its line in `pactmail --help`, and what its own --help says.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": (
        "SMTP server, worker and scheduler in one process (a small site, or trying it)",
        "Everything in one process: the SMTP server on PACTMAIL_LISTEN, a worker and the "
        "scheduled jobs. With no configuration it keeps SQLite and an embedded Redis in "
        "PACTMAIL_DATA_DIR and writes outbound mail to DATA_DIR/outbox/. It brings the "
        "schema up to date first. SIGTERM or Ctrl-C: it stops taking mail, finishes the "
        "jobs that run, and exits 0.",
    ),
    "smtp": (
        "the inbound SMTP server alone (behind the MTA; as many as needed)",
        "The inbound SMTP server alone, on PACTMAIL_LISTEN, behind the MTA that owns "
        "port 25. It stores each message before it answers 250; when it cannot, it answers "
        "451 and the MTA tries again. Needs PostgreSQL and the Redis its workers share "
        "(PACTMAIL_DATABASE_URL, PACTMAIL_REDIS_URL); run `pactmail migrate` first.",
    ),
    "worker": (
        "a worker: processes and sends mail, runs the scheduled jobs (as many as needed)",
        "A worker: processes stored mail, sends outbound mail, and runs the scheduled jobs "
        "(digests, summaries, invitation reminders, recurring commitments, retention, and "
        "the sweep that queues again what Redis lost). Needs PostgreSQL and Redis as "
        "`smtp` does; run as many as the load needs.",
    ),
    "migrate": (
        "bring the database schema up to date",
        "Bring the database schema up to date and exit. Running it again changes nothing. "
        "Run it before `smtp` and `worker` start after an upgrade (`run` does it itself).",
    ),
    "digest": (
        "send this period's digests now (the scheduler sends them on time anyway)",
        "Send this period's digests now, to every partner or one. A digest already sent "
        "this period is not sent again, here or by the scheduler. Beside a running "
        "service, its worker does the work (asked through the queue) and this command "
        "prints its answer; with none running, this command does it. Prints what was done: "
        '"3 sent; 12 already sent this period; 0 paused or stopped". Exit 1: no partner '
        "with that address, or the service did not answer.",
    ),
    "outbound": (
        "outbound mail possibly sent or failed: list it, send it again, or mark it sent",
        'Outbound mail that needs an operator: "possibly sent" (the connection broke after '
        "the message went, so the relay may have it: its log says) and failed (refused "
        "for good, or too many tries). With no option, list them. Exit 1 when something "
        "asked could not be done.",
    ),
    "inbound": (
        "inbound mail set aside (quarantined or failed): list it, or run it again",
        "Without options: list inbound mail that will not be processed on its own, newest "
        "first (id, received, status, tries, sender masked, what went wrong), and exit 1 if "
        "there is any, 0 if none. A message is quarantined after its parsing failed or "
        "overran 5 times, failed when processing it raised; its sender was told once. "
        "With --retry: run those messages again, here and now, once the cause is fixed; "
        "exit 0 if all were processed.",
    ),
    "outbox": (
        "the emails written to DATA_DIR/outbox/ (no relay set): list them, or show one",
        "With no N: one line per email written to DATA_DIR/outbox/, oldest first "
        "(number, time, to, subject). With N: that email's headers and its text, decoded. "
        "It reads only the folder, so it works beside a running service.",
    ),
    "status": (
        "how the service stands; exit 1 when an operator is needed (a health check)",
        "How the running service stands: the jobs waiting in its queue, the oldest "
        "unprocessed inbound message and its age, inbound mail failed and quarantined, "
        "outbound mail pending, being sent, possibly sent and failed, and the last run of "
        "each scheduled job. It only reads, and never starts a Redis: beside `pactmail run` "
        "(no PACTMAIL_REDIS_URL) it finds that service's own Redis through "
        "DATA_DIR/redis.url, and with none running it reports the queue unknown. Exit 0 "
        "when all is well; 1 when something needs an operator, one line each saying what: "
        "a message waiting more than 5 minutes, an email pending more than 15, anything "
        "possibly sent, anything failed or quarantined in the last 24 hours, a scheduled "
        "job not run in twice its interval, the database or Redis not answering. Use it "
        "as a health check. It says whether outbound mail is DKIM-signed, and with which "
        "selectors; unsigned is no problem, but a selector set without its keys is one.",
    ),
    "dkim-keygen": (
        "DKIM keys for PACTMAIL_DKIM_SELECTOR in DATA_DIR/dkim/, and the DNS records to publish",
        "Make an RSA-2048 and an Ed25519 key for the selector in PACTMAIL_DKIM_SELECTOR, in "
        "DATA_DIR/dkim/ (readable by this user alone), and print the two TXT records to "
        "publish: SELECTOR-rsa._domainkey.DOMAIN and SELECTOR-ed25519._domainkey.DOMAIN "
        "(one DNS name holds one key). Keys already there are kept, and their records "
        "printed again; --force replaces them (mail signed with the old keys then fails "
        "to verify: to change keys, choose a new selector instead). With the selector set, "
        "every outbound email is signed with both keys; the service reads them when it "
        "starts, and refuses to start without them (exit 2).",
    ),
}


def main(argv: list[str] | None = None, *, resolver: TxtResolver | None = None) -> int:
    """The command line; ``resolver`` replaces DNS for sender checks (bench/serve.py only)."""
    parser = argparse.ArgumentParser(
        prog="pactmail",
        description=textwrap.fill(
            "pactmail: commitments by email. Settings come from the environment; "
            "`pactmail COMMAND --help` says what each command does.",
            HELP_WIDTH,
        ),
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO (the default), WARNING or ERROR"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, description) in COMMANDS.items():
        command = commands.add_parser(
            name,
            help=summary,
            description=textwrap.fill(description, HELP_WIDTH),
            epilog=ENVIRONMENT_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name == "digest":
            command.add_argument(
                "--now", action="store_true", required=True, help="this period's, at once"
            )
            command.add_argument("--partner", metavar="EMAIL", help="only this partner's digest")
        elif name == "outbound":
            choice = command.add_mutually_exclusive_group()
            choice.add_argument(
                "--resend", metavar="ID", type=int, nargs="+", default=[],
                help="send these again (the relay's log shows they never arrived)",
            )  # fmt: skip
            choice.add_argument(
                "--mark-sent", metavar="ID", type=int, nargs="+", default=[],
                help="record these as delivered (the relay's log shows they arrived)",
            )  # fmt: skip
        elif name == "inbound":
            command.add_argument(
                "--retry", metavar="ID", type=int, nargs="+", default=[],
                help="ids from the list: back to received with their tries cleared, then processed",
            )  # fmt: skip
        elif name == "dkim-keygen":
            command.add_argument(
                "--force", action="store_true", help="replace keys already there with new ones"
            )
        elif name == "outbox":
            outbox = command
            command.add_argument(
                "number", metavar="N", type=int, nargs="?", help="the email to show"
            )
            command.add_argument(
                "--reply-to",
                action="store_true",
                help="print only the address a mail client's Reply to email N would go to",
            )
    args = parser.parse_args(argv)
    if args.command == "outbox" and args.reply_to and args.number is None:
        outbox.error("--reply-to needs N, the email to answer")
    private_files()  # before the data directory and its secret key are made
    try:
        settings = Settings.from_env()
        if args.command not in KEYLESS_COMMANDS:
            signer_for(settings)  # the keys, read once for the process; missing: exit 2 here
    except SettingsError as exc:
        print(f"pactmail: {exc}", file=sys.stderr)
        return 2
    if args.command == "dkim-keygen":
        report, status = dkim_keygen(settings, force=args.force)
        print(report, file=sys.stderr if status else sys.stdout)
        return status
    if args.command == "outbox":  # files only: no server to check
        return show_outbox(settings, args.number, reply_to=args.reply_to)
    if args.command == "status":  # a server down is one of its findings, not a failure to start
        health = asyncio.run(service_health(settings))
        print(health.report())
        return 1 if health.problems() else 0
    try:  # before logging is set up: the drivers' own lines would only add noise here
        asyncio.run(check_servers(settings))
    except Unreachable as exc:
        print(f"pactmail: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, log_smtp=settings.log_smtp, log_format=settings.log_format)
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
        report, status = asyncio.run(digests_now(settings, args.partner))
        print(report)
        return status
    service = Service(
        settings,
        smtp=args.command in {"run", "smtp"},
        worker=args.command in {"run", "worker"},
        migrate=args.command == "run",
        resolver=resolver,
        # The parse processes start with the service, not with its first message.
        worker_options={"parse_ahead": True},
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
