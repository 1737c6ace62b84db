"""``pactmail smtp`` that kills itself (SIGKILL) once its first message is committed.

    python -m tests.support.dying_smtp [--log-level LEVEL]

The real Service and SMTP server, configured from the environment as
``pactmail smtp`` is. Only the intake's INSERT is wrapped, here in test code:
the moment it has committed, before any SMTP session hears its 250 and
before the message is queued, the process sends itself SIGKILL. The sender
sees its connection drop; the message is on disk (SPEC §5). pactmail itself
has no such hook.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from mailer import intake
from mailer.settings import Settings
from workers.service import Service, serve

_insert_committed = intake._insert_all


async def _insert_then_die(arrivals: Sequence[intake.Arrival]) -> list[int]:
    ids = await _insert_committed(arrivals)
    os.kill(os.getpid(), signal.SIGKILL)
    return ids  # never reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dying_smtp", description=__doc__)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    intake._insert_all = _insert_then_die
    service = Service(Settings.from_env(), worker=False, migrate=False)
    asyncio.run(serve(service))
    return 0


if __name__ == "__main__":
    sys.exit(main())
