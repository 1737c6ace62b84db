"""The data directory and the secret key in it are for the service's user alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailer.delivery import write_to_outbox
from mailer.settings import Settings, SettingsError, parse_public_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_and_its_secret_key_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "pactmail"
    settings = Settings.from_env({"PACTMAIL_DATA_DIR": str(data_dir)})
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert settings.secret_key == (data_dir / "secret_key").read_bytes().strip()


def test_an_existing_data_directory_is_narrowed(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    data_dir.chmod(0o755)  # as an older version made it
    Settings.from_env({"PACTMAIL_DATA_DIR": str(data_dir), "PACTMAIL_SECRET_KEY": "k" * 16})
    assert mode(data_dir) == 0o700


def test_outbox_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    umask = os.umask(0o022)  # the usual one, not the CLI's
    try:
        written = write_to_outbox(tmp_path / "outbox", "0000000001", b"Subject: hi\r\n\r\n")
    finally:
        os.umask(umask)
    assert mode(tmp_path / "outbox") == 0o700
    assert mode(written) == 0o600


def test_the_help_lists_every_setting_that_is_read() -> None:
    import re
    from pathlib import Path

    import mailer.settings
    from mailer.settings import ENVIRONMENT

    source = Path(mailer.settings.__file__).read_text()
    read = set(re.findall(r'env(?:\.get)?\(\s*"(PACTMAIL_[A-Z_]+)"', source))
    read |= set(re.findall(r'_(?:int|flag)\(env, "(PACTMAIL_[A-Z_]+)"', source))
    assert read, "the pattern no longer finds what settings.py reads"
    assert read <= {name for name, _ in ENVIRONMENT}


def test_the_bounce_threshold_is_a_positive_whole_number(tmp_path: Path) -> None:
    env = {"PACTMAIL_DATA_DIR": str(tmp_path), "PACTMAIL_SECRET_KEY": "k" * 16}
    assert Settings.from_env(env).bounce_threshold == 3
    assert Settings.from_env({**env, "PACTMAIL_BOUNCE_THRESHOLD": "5"}).bounce_threshold == 5
    for wrong in ("0", "-1", "three"):
        with pytest.raises(SettingsError, match="PACTMAIL_BOUNCE_THRESHOLD"):
            Settings.from_env({**env, "PACTMAIL_BOUNCE_THRESHOLD": wrong})


@pytest.mark.parametrize(
    "text",
    [
        "http://pactmail.example.com",
        "pactmail.example.com",
        "https://",
        "https://pactmail.example.com/?a=1",
        "https://user:pw@pactmail.example.com",
        "https://pactmail.example.com/a b",
        "https://pactmail.example.com/>, <mailto:x@evil.example",
    ],
)
def test_the_public_url_is_https_and_nothing_a_header_could_be_split_by(text: str) -> None:
    # It is written into List-Unsubscribe as it is: no scheme but https, no
    # character that ends a URI there.
    with pytest.raises(SettingsError, match="PACTMAIL_PUBLIC_URL"):
        parse_public_url(text)


def test_the_public_url_unset_is_none_and_set_loses_its_trailing_slash() -> None:
    assert parse_public_url("  ") == ""
    assert parse_public_url("https://pm.example.com/mail/") == "https://pm.example.com/mail"
