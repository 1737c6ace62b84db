"""Running the ``pactmail`` command as an operator would, beside the service under test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mailer.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def cli_env(settings: Settings, relay_port: int) -> dict[str, str]:
    """The environment that points the command at the test's database and relay."""
    return {
        **os.environ,
        "PACTMAIL_DOMAIN": settings.domain,
        "PACTMAIL_DATA_DIR": str(settings.data_dir),
        "PACTMAIL_DATABASE_URL": settings.database_url,
        "PACTMAIL_SECRET_KEY": settings.secret_key.decode(),
        "PACTMAIL_RELAY": f"127.0.0.1:{relay_port}",
    }


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "workers.cli", "--log-level", "WARNING", *args]


def beside_service_env(settings: Settings, relay_port: int) -> dict[str, str]:
    """As ``cli_env``, and the running service's queue: the command asks the service."""
    assert settings.redis_url is not None
    return {
        **cli_env(settings, relay_port),
        "PACTMAIL_REDIS_URL": settings.redis_url,
        "PACTMAIL_QUEUE": settings.queue_name,
    }
