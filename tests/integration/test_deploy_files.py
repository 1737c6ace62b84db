"""Every file in deploy/, checked as far as this machine allows.

The systemd units are verified by systemd-analyze (no systemd runs as PID 1
here, so they are not started); the Postfix example runs in
test_postfix_in_front.py; the compose file is read by a YAML parser and the
Dockerfile by its own rules (there is a docker client, but no engine and no
compose plugin); the environment example is read by Settings.from_env.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailer.settings import ENVIRONMENT, Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
# What the units run, where deploy/README.md installs it.
INSTALLED_PACTMAIL = "/opt/pactmail/venv/bin/pactmail"
SETTINGS = frozenset(name for name, _ in ENVIRONMENT)

# Each file in deploy/ and what exercises it: a new file needs a line here.
EXERCISED_BY = {
    "README.md": "test_the_readme_names_every_file_and_unit",
    "pactmail.env.example": "test_the_env_example_lists_every_setting_and_parses",
    "postfix-main.cf.example": "test_postfix_in_front.py (Postfix runs it)",
    "postfix-header_checks.example": "test_postfix_in_front.py (Postfix runs it)",
    "systemd/pactmail-migrate.service": "test_the_units_verify_without_a_warning",
    "systemd/pactmail-smtp.service": "test_the_units_verify_without_a_warning",
    "systemd/pactmail-worker@.service": "test_the_units_verify_without_a_warning",
    "systemd/pactmail.service": "test_the_units_verify_without_a_warning",
    "Dockerfile": "test_the_dockerfile_builds_the_service_alone_as_a_user",
    "Dockerfile.dockerignore": "test_the_dockerfile_builds_the_service_alone_as_a_user",
    "compose.yaml": "test_compose_runs_migrate_once_then_smtp_and_workers",
    "compose.env.example": "test_compose_takes_every_secret_from_its_env_file",
    # Item 7's scripts: setup-venv.sh runs at every tests/run.sh.
    "run-local.sh": "test_the_scripts_parse",
    "setup-venv.sh": "test_the_scripts_parse",
}


def test_every_file_in_deploy_is_exercised() -> None:
    files = {
        str(path.relative_to(DEPLOY))
        for path in DEPLOY.rglob("*")
        if path.is_file() and not path.name.startswith(".")  # an operator's own .env
    }
    assert files == set(EXERCISED_BY)


# ---- systemd ------------------------------------------------------------------


def unit_settings(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` -> its values, in order (a key may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


@pytest.fixture(scope="module")
def rendered_units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The units as installed, running this checkout's pactmail.

    systemd-analyze verify checks that ExecStart= can be executed: the path
    in the units is replaced by this virtualenv's pactmail, nothing else.
    """
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd", pytrace=False)
    pactmail = Path(sys.executable).with_name("pactmail")
    assert pactmail.is_file(), f"no pactmail beside {sys.executable}"
    folder = tmp_path_factory.mktemp("units")
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text()
        assert INSTALLED_PACTMAIL in text, unit.name
        (folder / unit.name).write_text(text.replace(INSTALLED_PACTMAIL, str(pactmail)))
    return folder


def test_the_units_verify_without_a_warning(rendered_units: Path) -> None:
    units = sorted(str(path) for path in rendered_units.iterdir())
    assert len(units) == 4
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_units_are_confined(rendered_units: Path) -> None:
    """systemd's own measure of each unit's exposure: "OK" (2.0 of 10) or better."""
    for unit in sorted(rendered_units.iterdir()):
        done = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--threshold=20", "--no-pager", unit],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stdout.splitlines()[-1:]


HARDENING = {
    "Service.User": ["pactmail"],
    "Service.Group": ["pactmail"],
    "Service.StateDirectory": ["pactmail"],
    "Service.EnvironmentFile": ["/etc/pactmail/pactmail.env"],
    "Service.UMask": ["0077"],
    "Service.NoNewPrivileges": ["yes"],
    "Service.ProtectSystem": ["strict"],
    "Service.ProtectHome": ["yes"],
    "Service.PrivateTmp": ["yes"],
    "Service.PrivateDevices": ["yes"],
    "Service.RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
    "Service.CapabilityBoundingSet": [""],  # none at all
    "Service.SystemCallFilter": ["@system-service"],
}


@pytest.mark.parametrize("name", sorted(path.name for path in UNITS.iterdir()))
def test_each_unit_runs_as_pactmail_with_no_privilege(name: str) -> None:
    unit = unit_settings(UNITS / name)
    assert {key: unit.get(key) for key in HARDENING} == HARDENING
    assert "Service.AmbientCapabilities" not in unit


def test_smtp_and_workers_start_after_the_schema_is_up_to_date() -> None:
    migrate = unit_settings(UNITS / "pactmail-migrate.service")
    assert migrate["Service.Type"] == ["oneshot"]
    assert migrate["Service.RemainAfterExit"] == ["yes"]
    assert migrate["Service.ExecStart"] == [f"{INSTALLED_PACTMAIL} migrate"]
    for name, command in [
        ("pactmail-smtp.service", "smtp"),
        ("pactmail-worker@.service", "worker"),
    ]:
        unit = unit_settings(UNITS / name)
        assert "pactmail-migrate.service" in unit["Unit.Requires"][0].split(), name
        assert "pactmail-migrate.service" in unit["Unit.After"][0].split(), name
        assert unit["Service.ExecStart"] == [f"{INSTALLED_PACTMAIL} {command}"]
        assert unit["Service.Restart"] == ["always"]


def test_the_small_site_unit_runs_everything_in_one_process_alone() -> None:
    unit = unit_settings(UNITS / "pactmail.service")
    assert unit["Service.ExecStart"] == [f"{INSTALLED_PACTMAIL} run"]
    # SQLite takes one writer: never beside the units of separate processes.
    assert set(unit["Unit.Conflicts"][0].split()) == {
        "pactmail-smtp.service",
        "pactmail-migrate.service",
    }
    environment = " ".join(unit.get("Service.Environment", []))
    assert "PACTMAIL_DATABASE_URL" not in environment
    assert "PACTMAIL_REDIS_URL" not in environment


# ---- the environment ---------------------------------------------------------

_ASSIGNMENT = re.compile(r"^(#\s*)?(PACTMAIL_[A-Z_]+)=(.*)$")


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """The example's settings: those set, and those shown commented with their default."""
    given: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in (DEPLOY / "pactmail.env.example").read_text().splitlines():
        found = _ASSIGNMENT.match(line.strip())
        if found:
            (commented if found.group(1) else given)[found.group(2)] = found.group(3)
    return given, commented


def test_the_env_example_lists_every_setting_and_parses(tmp_path: Path) -> None:
    given, commented = env_example()
    assert not set(given) & set(commented)
    assert set(given) | set(commented) <= SETTINGS  # no misspelt name
    assert set(given) | set(commented) >= SETTINGS  # every setting shown
    env = {**given, "PACTMAIL_DATA_DIR": str(tmp_path)}
    settings = Settings.from_env(env)
    assert settings.domain == "pactmail.example.com"
    assert settings.relay == ("127.0.0.1", 25)
    assert settings.listen_port == 2525
    assert given["PACTMAIL_DATA_DIR"] == "/var/lib/pactmail"  # the units' StateDirectory
    # A commented line shows the default: setting it changes nothing.
    for name, value in commented.items():
        if name in SETTINGS:
            assert Settings.from_env({**env, name: value}) == settings, name


def test_the_env_example_matches_the_postfix_example() -> None:
    given, _ = env_example()
    main_cf = (DEPLOY / "postfix-main.cf.example").read_text()
    listen = given["PACTMAIL_LISTEN"]
    host, _, port = listen.rpartition(":")
    assert f"relay_transport = relay:[{host}]:{port}" in main_cf
    assert f"pactmail_domain = {given['PACTMAIL_DOMAIN']}" in main_cf
    # header_checks drop results in the name of this server, its myhostname.
    myhostname = re.search(r"^myhostname = (\S+)$", main_cf, re.MULTILINE)
    assert myhostname is not None
    header_checks = (DEPLOY / "postfix-header_checks.example").read_text()
    assert re.escape(myhostname.group(1)) in header_checks
    # No milter runs, so no border results are trusted: pactmail checks DKIM.
    assert given["PACTMAIL_TRUSTED_AUTHSERV_ID"] == ""
    assert not re.search(r"^smtpd_milters", main_cf, re.MULTILINE)
    assert given["PACTMAIL_TRUSTED_RELAYS"] == "127.0.0.1"


# ---- containers --------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments left out."""
    logical: list[str] = []
    pending = ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    assert not pending, "a continued line with nothing after it"
    return [(text.split()[0].upper(), text.partition(" ")[2].strip()) for text in logical]


def test_the_dockerfile_builds_the_service_alone_as_a_user() -> None:
    instructions = dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) == 2
    assert all(re.match(r"python:3\.1[1-9]-slim", stage) for stage in stages)
    final = instructions[max(i for i, (name, _) in enumerate(instructions) if name == "FROM") :]
    build = instructions[: len(instructions) - len(final)]

    installs = [args for name, args in build if name == "RUN" and "pip install" in args]
    assert len(installs) == 1
    assert installs[0].split()[-1] == "."  # the project, not its test extras
    # Every package pyproject.toml installs is copied in, and nothing else is needed.
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    setuptools = pyproject["tool"]["setuptools"]
    folders = {package.split(".")[0] for package in setuptools["packages"]}
    folders |= {path.split("/")[0] for path in setuptools["package-dir"].values()}
    folders -= set(setuptools["package-dir"])  # installed under another name
    copied = {
        source.rstrip("/")
        for name, args in build
        if name == "COPY"
        for source in args.split()[:-1]  # the last is where to
    }
    assert folders | {"pyproject.toml", pyproject["project"]["readme"]} <= copied
    # ... and let through by the ignore file, which keeps everything else out.
    let_through = {
        line[1:].rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert copied <= let_through
    assert "*" in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()

    users = [args for name, args in final if name == "USER"]
    assert users == ["pactmail"]
    assert not any(name in {"RUN", "ADD"} for name, _ in final[final.index(("USER", "pactmail")) :])
    env = " ".join(args for name, args in final if name == "ENV")
    assert "PACTMAIL_DATA_DIR=/var/lib/pactmail" in env
    assert ("VOLUME", "/var/lib/pactmail") in final
    assert ("ENTRYPOINT", '["pactmail"]') in final


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_migrate_once_then_smtp_and_workers() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "smtp", "worker"}
    migrate = services["migrate"]
    assert (migrate["command"], migrate["restart"]) == (["migrate"], "no")
    assert migrate["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in ("smtp", "worker"):
        service = services[name]
        assert service["command"] == [name]
        assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert service["healthcheck"]["test"] == ["CMD", "pactmail", "status"]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name], name
        assert "ports" not in services[name], f"{name} is reachable from outside"
    # Postfix on the host, in front, hands mail to the host's loopback only.
    assert services["smtp"]["ports"] == ["127.0.0.1:2525:2525"]
    assert "ports" not in services["worker"]


def test_compose_keeps_redis_behind_a_password() -> None:
    services = compose()["services"]
    assert "requirepass $$REDIS_PASSWORD" in " ".join(services["redis"]["command"])
    url = services["smtp"]["environment"]["PACTMAIL_REDIS_URL"]
    assert url.startswith("redis://:${REDIS_PASSWORD")
    for name in ("migrate", "smtp", "worker"):
        environment = services[name]["environment"]
        assert set(environment) <= SETTINGS, name
        assert environment["PACTMAIL_DATABASE_URL"].startswith("postgres://"), name


def test_compose_settings_start_pactmail(tmp_path: Path) -> None:
    """The environment compose gives pactmail, filled from its env example, is one it takes."""
    example = (DEPLOY / "compose.env.example").read_text()
    values = dict(re.findall(r"^([A-Z_]+)=(.*)$", example, re.MULTILINE))
    for name in values:  # the secrets an operator makes (openssl rand -hex 32)
        if name.endswith(("_PASSWORD", "_SECRET_KEY")):
            values[name] = values[name] or "0123456789abcdef" * 4

    def interpolate(text: str) -> str:  # ${NAME}, ${NAME:-default}, ${NAME:?error}
        def one(found: re.Match[str]) -> str:
            return values.get(found.group(1)) or (found.group(3) if found.group(2) == ":-" else "")

        return re.sub(r"\$\{([A-Z_]+)(?:(:[-?])([^}]*))?\}", one, text)

    dockerfile_env = " ".join(args for name, args in dockerfile_instructions() if name == "ENV")
    for name in ("migrate", "smtp", "worker"):
        environment = {
            key: interpolate(str(value))
            for key, value in compose()["services"][name]["environment"].items()
        }
        settings = Settings.from_env(
            {**environment, "PACTMAIL_DATA_DIR": str(tmp_path), "PACTMAIL_LISTEN": "0.0.0.0:2525"}
        )
        assert settings.database_url.startswith("postgres://pactmail:"), name
        assert settings.redis_url is not None
        assert settings.redis_url.startswith("redis://:0123456789abcdef"), name
    assert "PACTMAIL_LISTEN=0.0.0.0:2525" in dockerfile_env


def test_compose_takes_every_secret_from_its_env_file() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    wanted = set(re.findall(r"(?<!\$)\$\{([A-Z_]+)", text))
    example = (DEPLOY / "compose.env.example").read_text()
    given = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert wanted == given
    gateway = compose()["networks"]["default"]["ipam"]["config"][0]["gateway"]
    environment = compose()["services"]["smtp"]["environment"]
    assert environment["PACTMAIL_TRUSTED_RELAYS"] == gateway
    assert environment["PACTMAIL_RELAY"] == f"{gateway}:25"


# ---- the rest ----------------------------------------------------------------


def test_the_readme_names_every_file_and_unit() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for name in EXERCISED_BY:
        if name != "README.md":
            assert Path(name).name in readme, name
    for command in ("pactmail migrate", "pactmail status", "systemd-analyze verify"):
        assert command in readme, command


@pytest.mark.parametrize("name", ["run-local.sh", "setup-venv.sh"])
def test_the_scripts_parse(name: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(DEPLOY / name)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
