#!/usr/bin/env bash
# The test command: lint, types, then the whole suite on SQLite with an
# embedded Redis (nothing to install by hand). Arguments go to pytest.
# PACTMAIL_TEST_DATABASE_URL=postgres://... runs the suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PACTMAIL_EXTRAS=test PACTMAIL_QUIET_INSTALL=1 source deploy/setup-venv.sh
# The emails are checked in Chromium, the system's (playwright's own browser
# download is not used): Debian's package and the fonts it draws Arial and
# Helvetica with, installed when missing. Without them the check fails.
if [ -z "${PACTMAIL_CHROMIUM:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
  && { ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/liberation ]; }; then
  echo "== installing Debian's chromium for the email checks" >&2
  apt-get -qq -o DPkg::Lock::Timeout=300 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends chromium fonts-liberation >/dev/null
fi
# The MTA in front is tested with a Postfix of the test's own
# (tests/support/postfix.py): Debian's package, installed when missing. The
# system's Postfix is left unconfigured ("No configuration") and is not
# started, so nothing listens on port 25. Without it the test fails.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ ! -x /usr/sbin/postfix ]; then
  echo "== installing Debian's postfix for the test of the MTA in front" >&2
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  no_start=
  if [ ! -e /usr/sbin/policy-rc.d ]; then  # Debian's way to keep a service from starting
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    no_start=/usr/sbin/policy-rc.d
  fi
  { apt-get -qq -o DPkg::Lock::Timeout=300 update \
    && DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 install -y \
      --no-install-recommends postfix; } >/dev/null \
    || echo "== postfix could not be installed: its test will fail" >&2
  [ -z "$no_start" ] || rm -f "$no_start"
fi
.venv/bin/ruff check mailer workers tests bench
.venv/bin/ruff format --check mailer workers tests bench
.venv/bin/mypy
exec .venv/bin/pytest "$@"
