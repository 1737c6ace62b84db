"""The installed package holds every email template (pyproject.toml names each folder)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_template_folder_is_a_declared_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {
        name.removeprefix("mailer.templates.")
        for name in config["tool"]["setuptools"]["packages"]
        if name.startswith("mailer.templates.")
    }
    folders = {path.name for path in (ROOT / "templates").iterdir() if path.is_dir()}
    assert declared == folders
