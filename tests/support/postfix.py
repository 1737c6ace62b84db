"""A real Postfix (Debian's package) in front of pactmail, with its own directories and ports.

Its main.cf is deploy/postfix-main.cf.example as an operator installs it,
with only what a test must change set over it by ``postconf -e``: paths,
loopback ports, the relay that stands for the Internet, a certificate of its
own and shorter retry times. The system's Postfix, its configuration and port 25
are never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.smtpclient import Reply

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MAIN_CF_EXAMPLE = DEPLOY / "postfix-main.cf.example"
HEADER_CHECKS_EXAMPLE = DEPLOY / "postfix-header_checks.example"

# What the example is written for; the test's pactmail uses the same names.
DOMAIN = "pactmail.example.com"
MX_HOSTNAME = "mx.pactmail.example.com"
# Clients from the Internet: any loopback address but pactmail's own 127.0.0.1,
# which the example's mynetworks lets relay.
INTERNET_CLIENT = "127.0.0.2"

# Debian's master.cf services, with chroot off (the test's queue directory
# holds no copy of /etc) and smtpd on the test's loopback port, not 25.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
  -o syslog_name=postfix/$service_name
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
local      unix  - n n - - local
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
"""

QUEUED_AS = re.compile(r"queued as ([0-9A-Za-z]+)")


def require_postfix() -> None:
    """Fail, never skip, when this machine cannot run a Postfix of the test's own."""
    if os.geteuid() != 0:
        pytest.fail(
            "the test of the MTA in front starts its own Postfix, whose master runs as "
            "root and its daemons as the postfix user: run it as root, as .ci/run does",
            pytrace=False,
        )
    if shutil.which("postfix", path="/usr/sbin:/usr/bin:/sbin:/bin") is None:
        pytest.fail(
            "Postfix is not installed: tests/run.sh installs Debian's package when run as "
            "root (apt-get install postfix); the test of the MTA in front needs it",
            pytrace=False,
        )


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_taken(port: int) -> bool:
    """Whether something listens on this loopback port now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _run(*command: str) -> str:
    """Run a Postfix command; its output, or a failure that shows what it said."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed: {done.stdout}{done.stderr}")
    return done.stdout + done.stderr


@dataclass
class Postfix:
    """One Postfix instance: its directory, its SMTP port, its log."""

    root: Path
    port: int
    # What `postfix check` said of the configuration before the start.
    check_output: str = ""

    @property
    def config(self) -> Path:
        return self.root / "etc"

    @property
    def maillog(self) -> Path:
        return self.root / "maillog"

    def postconf(self, *settings: str) -> str:
        return _run("postconf", "-c", str(self.config), *settings)

    def start(self) -> None:
        # `postfix check` makes the queue's directories, and says what it
        # finds wrong with the configuration (nothing, the test asserts).
        self.check_output = _run("postfix", "-c", str(self.config), "check")
        # The master itself, as `postfix start` runs it, without that
        # script's slower second round of checks; -w returns once it is up.
        daemons = self.postconf("-h", "daemon_directory").strip()
        for _ in range(3):
            try:
                _run(f"{daemons}/master", "-c", str(self.config), "-w")
                return
            except AssertionError as failed:
                if not port_taken(self.port):
                    # A master that fails this early logs to syslog, not to its file.
                    raise AssertionError(f"{failed}(see the system log)") from None
            # Another process took the free port between our look and
            # Postfix's bind (other tests run on this machine): another one.
            self.port = free_port()
            self.write_master_cf()
        raise AssertionError("the test's Postfix found no free port three times")

    def write_master_cf(self) -> None:
        (self.config / "master.cf").write_text(MASTER_CF.format(port=self.port))

    def stop(self) -> None:
        """Stop the master and its daemons (what `postfix stop` does, without its 1 s naps)."""
        pid_file = self.root / "spool" / "pid" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(pid, 0)  # ProcessLookupError once it is gone
                time.sleep(0.02)
            raise AssertionError(f"the test's Postfix master ({pid}) did not stop")

    def flush(self) -> None:
        """Deliver the deferred mail now, as an operator does after an outage."""
        _run("postqueue", "-c", str(self.config), "-f")

    def queue(self) -> list[dict[str, object]]:
        """What waits in the queue (``postqueue -j``: one JSON object a message)."""
        out = _run("postqueue", "-c", str(self.config), "-j")
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def log(self) -> list[str]:
        return (
            self.maillog.read_text(errors="replace").splitlines() if self.maillog.exists() else []
        )

    async def wait_for_log(self, pattern: str, timeout: float = 15.0) -> str:
        """The first log line matching ``pattern``, once Postfix wrote it."""
        wanted = re.compile(pattern)
        async with asyncio.timeout(timeout):
            while True:
                for line in self.log():
                    if wanted.search(line):
                        return line
                await asyncio.sleep(0.05)

    def lines_of(self, queue_ids: Sequence[str], client: str = "") -> list[str]:
        """Log lines about these queued messages (and this client's sessions), in order."""
        return [
            line
            for line in self.log()
            if any(f" {qid}: " in line for qid in queue_ids) or (client and f"[{client}]" in line)
        ]


@contextmanager
def postfix_in_front(log_dir: Path, *, pactmail_port: int, relay_port: int) -> Iterator[Postfix]:
    """A running Postfix configured by the example, handing the domain to ``pactmail_port``.

    Its directory sits in /tmp, not in pytest's: Postfix's daemons run as the
    postfix user and must reach it, and pytest's directories are private to
    root. Its log is copied to ``log_dir`` at the end.
    """
    require_postfix()
    root = Path(tempfile.mkdtemp(prefix="pm-postfix-", dir="/tmp"))
    root.chmod(0o711)
    postfix = Postfix(root, free_port())
    try:
        _configure(postfix, pactmail_port=pactmail_port, relay_port=relay_port)
        postfix.start()
        yield postfix
    finally:
        postfix.stop()
        if postfix.maillog.exists():
            shutil.copy(postfix.maillog, log_dir / "postfix.log")
        shutil.rmtree(root, ignore_errors=True)


def _configure(postfix: Postfix, *, pactmail_port: int, relay_port: int) -> None:
    root = postfix.root
    postfix.config.mkdir()
    (root / "spool").mkdir()
    data = root / "data"
    data.mkdir()
    shutil.chown(data, "postfix")  # Postfix keeps its caches and lock there
    shutil.copy(MAIN_CF_EXAMPLE, postfix.config / "main.cf")
    shutil.copy(HEADER_CHECKS_EXAMPLE, postfix.config / "header_checks")
    postfix.write_master_cf()
    _self_signed_certificate(root)
    postfix.postconf(
        "-e",
        # Its own directories and log, not the system's.
        f"queue_directory = {root / 'spool'}",
        f"data_directory = {data}",
        f"maillog_file = {postfix.maillog}",
        f"maillog_file_prefixes = {root}",
        "alias_maps =",
        "alias_database =",
        # Loopback only; the relay that stands for the Internet's MX hosts.
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        f"relay_transport = relay:[127.0.0.1]:{pactmail_port}",
        f"relayhost = [127.0.0.1]:{relay_port}",
        f"smtpd_tls_cert_file = {root / 'cert.pem'}",
        f"smtpd_tls_key_file = {root / 'key.pem'}",
        # The example's minute (and the defaults' minutes) in seconds.
        "address_verify_negative_expire_time = 1s",
        # A probe's answer is awaited up to 10 s rather than 3: a machine
        # shared by several test runs may take longer than a server does.
        "address_verify_poll_count = 10",
        "queue_run_delay = 1s",
        "minimal_backoff_time = 1s",
        "maximal_backoff_time = 2s",
    )


def _self_signed_certificate(root: Path) -> None:
    """A certificate for the MX name, as Let's Encrypt would give (but signed by itself)."""
    _run(
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "1", "-subj", f"/CN={MX_HOSTNAME}",
        "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
    )  # fmt: skip


@dataclass(frozen=True)
class Submission:
    """What Postfix answered a client: each RCPT, then DATA (None when no RCPT passed)."""

    rcpt: dict[str, Reply]
    data: Reply | None

    @property
    def queue_id(self) -> str:
        assert self.data is not None, self
        assert self.data.code == 250, self
        found = QUEUED_AS.search(self.data.text)
        assert found, self.data
        return found.group(1)


def _submit(port: int, mail_from: str, rcpt_tos: Sequence[str], data: bytes) -> Submission:
    # A sending MTA: from an address outside mynetworks, over opportunistic
    # TLS (it cannot check a certificate that signs itself, nor do most MTAs).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", port, timeout=30, source_address=(INTERNET_CLIENT, 0)) as client:
        client.ehlo("mail.example.com")
        client.starttls(context=context)
        client.ehlo("mail.example.com")
        code, text = client.mail(mail_from)
        assert code == 250, (code, text)
        replies = {}
        for rcpt in rcpt_tos:
            code, text = client.rcpt(rcpt)
            replies[rcpt] = Reply(code, text.decode())
        if not any(reply.code == 250 for reply in replies.values()):
            client.rset()
            return Submission(replies, None)
        code, text = client.data(data)
        return Submission(replies, Reply(code, text.decode()))


async def submit(
    postfix: Postfix, mail_from: str, rcpt_tos: Sequence[str], data: bytes
) -> Submission:
    """One message to Postfix from the Internet, over a real socket."""
    return await asyncio.to_thread(_submit, postfix.port, mail_from, rcpt_tos, data)
