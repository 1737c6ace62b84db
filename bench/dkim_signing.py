"""CPU per outbound email: rendering alone, and rendering then DKIM signing.

    .venv/bin/python -m bench.dkim_signing [--emails 2000] [--rounds 3]

The emails are every kind pactmail sends, each of its variants, as
tests/support/template_samples.py fills them (accented names, long
commitments, a digest of several members: the largest, 16 KB), taken in
turn until ``--emails``. Keys are made once (RSA-2048, Ed25519) in a
temporary data directory. CPU is this process's ``time.process_time``;
each figure is the median of ``--rounds``. Printed, per email:

- rendering alone (mailer.render.render_email);
- signing what was rendered with both keys (mailer.dkim_signing), and
  rendering then signing (mailer.sending.outgoing_bytes), for all emails
  and for digests alone;
- of the signing: the RSA-2048 and the Ed25519 signature alone (OpenSSL
  through cryptography, on a 32-byte digest), the rest being dkimpy's
  header parsing, canonicalization and hashing, shared by both;
- for comparison, dkimpy's own ``dkim.sign`` with each algorithm (RSA in
  pure Python), on a tenth of the emails.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from mailer.dkim_keys import key_paths, load_keys, make_keys
from mailer.dkim_signing import SIGNED_HEADERS, DkimSigner
from mailer.models import OutboundMessage
from mailer.render import render_email
from mailer.sending import outgoing_bytes
from tests.support.template_samples import DOMAIN, SAMPLES

SELECTOR = "bench"


def rows(count: int) -> list[OutboundMessage]:
    """``count`` outbound rows: every kind of email and variant, in turn."""
    kinds = [(sample, context) for sample in SAMPLES.values() for _, context in sample.contexts()]
    return [
        OutboundMessage(
            idempotency_key=f"bench-{number}",
            template=sample.template,
            to_address=f"partner{number}@example.com",
            context=context,
            message_id=f"bench.{number}@{DOMAIN}",
            reply_token=sample.reply_token,
            in_reply_to="",
            references="",
        )
        for number, (sample, context) in zip(range(count), itertools.cycle(kinds), strict=False)
    ]


def cpu_ms(work: Callable[[], object], count: int, rounds: int) -> float:
    """Median CPU milliseconds of ``work`` per item of ``count``."""
    figures = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        figures.append((time.process_time() - started) * 1000 / count)
    return statistics.median(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    count, rounds = args.emails, args.rounds
    data_dir = Path(tempfile.mkdtemp(prefix="pactmail-bench-"))
    make_keys(data_dir, SELECTOR)
    signer = DkimSigner(DOMAIN, load_keys(data_dir, SELECTOR))
    now = datetime.now(UTC)
    outbound = rows(count)
    rendered = [render_email(row, domain=DOMAIN, now=now) for row in outbound]
    digests = [row for row in outbound if row.template == "digest"]
    digest_bytes = [render_email(row, domain=DOMAIN, now=now) for row in digests]
    sizes = [len(message) for message in rendered]
    print(
        f"{count} emails of {len({row.template for row in outbound})} kinds, "
        f"{statistics.mean(sizes) / 1024:.1f} KB on average, the largest "
        f"{max(sizes) / 1024:.1f} KB; {len(digests)} digests; median of {rounds} rounds"
    )

    render = cpu_ms(
        lambda: [render_email(r, domain=DOMAIN, now=now) for r in outbound], count, rounds
    )
    sign = cpu_ms(lambda: [signer.sign(m, now) for m in rendered], count, rounds)
    both = cpu_ms(lambda: [outgoing_bytes(r, DOMAIN, now, signer) for r in outbound], count, rounds)
    digest_render = cpu_ms(
        lambda: [render_email(r, domain=DOMAIN, now=now) for r in digests], len(digests), rounds
    )
    digest_sign = cpu_ms(lambda: [signer.sign(m, now) for m in digest_bytes], len(digests), rounds)
    digest = b"\x01" * 32
    keys = signer.keys
    rsa_alone = cpu_ms(
        lambda: [
            keys.rsa.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
            for _ in range(count)
        ],
        count,
        rounds,
    )
    ed_alone = cpu_ms(lambda: [keys.ed25519.sign(digest) for _ in range(count)], count, rounds)

    print(f"{'rendering alone':<52}{render:8.3f} ms")
    print(f"{'signing alone, both keys':<52}{sign:8.3f} ms")
    print(f"{'rendering, then signing with both keys':<52}{both:8.3f} ms")
    print(f"{'  digests: rendering alone':<52}{digest_render:8.3f} ms")
    print(f"{'  digests: signing alone, both keys':<52}{digest_sign:8.3f} ms")
    print(f"{'  of the signing: an RSA-2048 signature':<52}{rsa_alone:8.3f} ms")
    print(f"{'  of the signing: an Ed25519 signature':<52}{ed_alone:8.3f} ms")
    print(
        f"{'  of the signing: dkimpy work shared by both':<52}{sign - rsa_alone - ed_alone:8.3f} ms"
    )

    tenth = rendered[: max(1, count // 10)]
    rsa_pem, ed_seed = (path.read_bytes() for path in key_paths(data_dir, SELECTOR))
    for algorithm, key in ((b"rsa-sha256", rsa_pem), (b"ed25519-sha256", ed_seed.strip())):
        alone = cpu_ms(functools.partial(_dkimpy_sign, tenth, algorithm, key), len(tenth), rounds)
        print(f"{'  for comparison: dkim.sign, ' + algorithm.decode():<52}{alone:8.3f} ms")


def _dkimpy_sign(messages: list[bytes], algorithm: bytes, key: bytes) -> None:
    """dkimpy's own sign(), as the issue first named it: the key parsed again each time."""
    for message in messages:
        dkim.sign(
            message, SELECTOR.encode(), DOMAIN.encode(), key,
            signature_algorithm=algorithm, include_headers=list(SIGNED_HEADERS),
            canonicalize=(b"relaxed", b"relaxed"),
        )  # fmt: skip


if __name__ == "__main__":
    main()
