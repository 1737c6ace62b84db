"""The baseline: an aiosmtpd server whose handler only answers 250."""

from __future__ import annotations

import asyncio
import sys

from aiosmtpd.smtp import SMTP, Envelope, Session

from workers.cli import run_loop


class AcceptEverything:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(AcceptEverything(), hostname="bare.localhost", decode_data=False),
        host="127.0.0.1",
        port=port,
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    # The same event loop as `pactmail`, so the ratio measures the handler's work.
    run_loop(serve(int(sys.argv[1])))
