"""DKIM keys made by pactmail, and every kind of email signed with them, checked by dkimpy."""

from __future__ import annotations

import base64
import re
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import dkim
import pytest

from mailer.dkim_keys import DkimKeyError, key_paths, load_keys, make_keys, zone_line
from mailer.dkim_signing import SIGNED_HEADERS, DkimSigner, signer_for, signing_state
from mailer.health import Health, Queue
from mailer.models import OutboundMessage
from mailer.render import render_email
from mailer.sending import outgoing_bytes
from mailer.settings import Settings, SettingsError
from tests.support.dkimsigning import printed_records, signature_tags, verified
from tests.support.template_samples import DOMAIN, SAMPLES, as_queued
from workers.cli import dkim_keygen

SELECTOR = "pm2026"
NOW = datetime.now(UTC).replace(microsecond=0)  # dkimpy refuses a t= in the future


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dkim")
    make_keys(path, SELECTOR)  # RSA-2048 by OpenSSL: a tenth of a second
    return path


@pytest.fixture(scope="module")
def signer(data_dir: Path) -> DkimSigner:
    return DkimSigner(DOMAIN, load_keys(data_dir, SELECTOR))


@pytest.fixture(scope="module")
def records(signer: DkimSigner) -> dict[str, str]:
    """The records as `pactmail dkim-keygen` prints them, read back from its lines."""
    lines = [zone_line(name, value) for name, value in signer.keys.records(DOMAIN)]
    return printed_records("\n".join(lines))


def row(template: str) -> OutboundMessage:
    sample = SAMPLES[template]
    return OutboundMessage(
        idempotency_key=f"k-{template}",
        template=template,
        to_address="zoë@beispiel.example" if template == "help" else "anna@example.com",
        context=as_queued(sample.email),
        message_id=f"{template}.1@{DOMAIN}",
        reply_token=sample.reply_token,
        in_reply_to="asked@example.com" if template == "confirmation" else "",
        references="first@example.com asked@example.com" if template == "confirmation" else "",
    )


def test_the_keys_are_private_files_and_their_records_are_what_dkimpy_reads(
    data_dir: Path, records: dict[str, str]
) -> None:
    rsa_path, ed_path = key_paths(data_dir, SELECTOR)
    for path in (rsa_path, ed_path, rsa_path.parent):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert sorted(records) == [
        f"{SELECTOR}-ed25519._domainkey.{DOMAIN}",
        f"{SELECTOR}-rsa._domainkey.{DOMAIN}",
    ]
    rsa = dkim.util.parse_tag_value(records[f"{SELECTOR}-rsa._domainkey.{DOMAIN}"].encode())
    assert (rsa[b"v"], rsa[b"k"]) == (b"DKIM1", b"rsa")
    assert dkim.crypto.parse_public_key(base64.b64decode(rsa[b"p"]))["modulus"].bit_length() == 2048
    ed = dkim.util.parse_tag_value(records[f"{SELECTOR}-ed25519._domainkey.{DOMAIN}"].encode())
    assert (ed[b"v"], ed[b"k"], len(base64.b64decode(ed[b"p"]))) == (b"DKIM1", b"ed25519", 32)
    # The files are dkimpy's own formats: its sign() takes them as they are.
    assert dkim.crypto.parse_pem_private_key(rsa_path.read_bytes())["modulus"].bit_length() == 2048


def test_keys_are_never_replaced_without_force(tmp_path: Path) -> None:
    made = make_keys(tmp_path, "s1")
    assert made == list(key_paths(tmp_path, "s1"))
    before = [path.read_bytes() for path in made]
    assert make_keys(tmp_path, "s1") == []
    assert [path.read_bytes() for path in made] == before
    made[1].unlink()
    assert make_keys(tmp_path, "s1") == [made[1]]  # only the missing one
    assert made[0].read_bytes() == before[0]
    assert make_keys(tmp_path, "s1", force=True) == made
    assert made[0].read_bytes() != before[0]
    assert stat.S_IMODE(made[0].stat().st_mode) == 0o600


@pytest.mark.parametrize("public_url", ["", "https://pactmail.example.com"])
@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_every_kind_of_email_verifies_with_both_signatures(
    signer: DkimSigner, records: dict[str, str], template: str, public_url: str
) -> None:
    # With a public URL, regular mail has its one-click List-Unsubscribe
    # headers (RFC 8058 asks that a signature covers them).
    email = render_email(row(template), domain=DOMAIN, now=NOW, public_url=public_url)
    data = signer.sign(email, NOW)
    assert verified(data, records) == [True, True]
    if b"\r\nList-Unsubscribe-Post: " in email:
        assert verified(data.replace(b"One-Click", b"One-Clack"), records) == [False, False]
    ed25519, rsa = signature_tags(data)
    assert (ed25519[b"a"], ed25519[b"s"]) == (b"ed25519-sha256", f"{SELECTOR}-ed25519".encode())
    assert (rsa[b"a"], rsa[b"s"]) == (b"rsa-sha256", f"{SELECTOR}-rsa".encode())
    for tags in (ed25519, rsa):
        assert (tags[b"c"], tags[b"d"], tags[b"t"]) == (
            b"relaxed/relaxed",
            DOMAIN.encode(),
            str(int(NOW.timestamp())).encode(),
        )
        assert tags[b"h"] == b":".join(SIGNED_HEADERS)
    assert max(len(line) for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n")) <= 998


def test_one_changed_body_byte_or_an_added_header_breaks_both(
    signer: DkimSigner, records: dict[str, str]
) -> None:
    data = signer.sign(render_email(row("confirmation"), domain=DOMAIN, now=NOW), NOW)
    head, _, body = data.partition(b"\r\n\r\n")
    middle = len(body) // 2
    changed = body[:middle] + (b"A" if body[middle : middle + 1] != b"A" else b"B")
    assert verified(head + b"\r\n\r\n" + changed + body[middle + 1 :], records) == [False, False]
    # Oversigned: a second From, Subject or Reply-To on top, or a header
    # the email did not have, is a change too.
    for added in (
        b"From: pactmail <commit@attacker.example>",
        b"Subject: Urgent: confirm your password",
        b"Reply-To: attacker@attacker.example",
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    ):
        assert verified(added + b"\r\n" + data, records) == [False, False], added
    # What a relay adds on its way is not.
    assert verified(b"Received: from pactmail by mx\r\n" + data, records) == [True, True]


def test_line_ends_in_the_body_are_signed_as_the_relay_sends_them(
    signer: DkimSigner, records: dict[str, str]
) -> None:
    data = b"From: a@pactmail.example.com\r\nSubject: x\r\n\r\nbare\nline ends \t \n\n"
    crlf = signer.sign(data, NOW).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert verified(crlf, records) == [True, True]


def test_unset_means_unsigned_and_no_problem(tmp_path: Path) -> None:
    settings = Settings.from_env({"PACTMAIL_DATA_DIR": str(tmp_path)})
    assert settings.dkim_selector == ""
    assert signer_for(settings) is None
    sent = outgoing_bytes(row("help"), DOMAIN, NOW, signer_for(settings))
    assert b"DKIM-Signature" not in sent
    signing, problem = signing_state(settings)
    health = Health(NOW, Queue(0), signing=signing, signing_problem=problem)
    assert "signing:   unsigned (PACTMAIL_DKIM_SELECTOR is empty)" in health.report().splitlines()
    assert problem == ""
    assert not [said for said in health.problems() if "DKIM" in said]


def test_a_selector_without_keys_is_one_line_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    env = {"PACTMAIL_DATA_DIR": str(tmp_path), "PACTMAIL_DKIM_SELECTOR": "x"}
    settings = Settings.from_env(env)
    with pytest.raises(DkimKeyError) as raised:
        signer_for(settings)
    [line] = str(raised.value).splitlines()
    assert str(tmp_path / "dkim" / "x-rsa.pem") in line
    assert "No such file or directory" in line
    assert "`pactmail dkim-keygen`" in line
    signing, problem = signing_state(settings)
    assert problem == line
    health = Health(NOW, Queue(0), signing=signing, signing_problem=problem)
    assert line in health.problems()
    assert "signing:   not signed: a key is missing" in health.report().splitlines()


def test_a_damaged_key_is_named(tmp_path: Path, data_dir: Path) -> None:
    for damaged, text in [(0, b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"), (1, b"not base64!\n")]:
        make_keys(tmp_path, "s2", force=True)
        path = key_paths(tmp_path, "s2")[damaged]
        path.write_bytes(text)
        with pytest.raises(DkimKeyError, match=re.escape(f"cannot use {path} (")):
            load_keys(tmp_path, "s2")


def test_the_signer_of_a_process_is_read_once(data_dir: Path) -> None:
    settings = replace(
        Settings.from_env({"PACTMAIL_DATA_DIR": str(data_dir)}), dkim_selector=SELECTOR
    )
    assert signer_for(settings) is signer_for(settings)


@pytest.mark.parametrize("value", ["pm_2026", "-pm", "a.b", "x" * 56, "pm 2026"])
def test_a_selector_that_is_not_one_dns_label_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match=r"PACTMAIL_DKIM_SELECTOR: .* is not a selector"):
        Settings.from_env({"PACTMAIL_DATA_DIR": str(tmp_path), "PACTMAIL_DKIM_SELECTOR": value})


def test_keygen_says_what_to_do_with_a_damaged_key_or_no_selector(tmp_path: Path) -> None:
    env = {"PACTMAIL_DATA_DIR": str(tmp_path), "PACTMAIL_DKIM_SELECTOR": "s3"}
    made, status = dkim_keygen(Settings.from_env(env), force=False)
    assert (status, len(printed_records(made))) == (0, 2)
    key_paths(tmp_path, "s3")[1].write_text("damaged\n")
    said, status = dkim_keygen(Settings.from_env(env), force=False)
    assert status == 2
    assert said.endswith("--force replaces it")
    assert len(said.splitlines()) == 1
    again, status = dkim_keygen(Settings.from_env(env), force=True)
    assert (status, len(printed_records(again))) == (0, 2)
    said, status = dkim_keygen(Settings.from_env({"PACTMAIL_DATA_DIR": str(tmp_path)}), force=False)
    assert status == 2
    assert "set PACTMAIL_DKIM_SELECTOR first" in said
