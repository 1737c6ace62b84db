#!/usr/bin/env bash
# Create or refresh ./.venv with pactmail (sourced by the other scripts).
#
# PACTMAIL_EXTRAS=test adds the test tools (tests/run.sh); the service alone
# (deploy/run-local.sh) installs only what it runs on. Each set is installed
# once, and again only when pyproject.toml changed since.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
extras="${PACTMAIL_EXTRAS:-}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "pactmail needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.pactmail-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  target=.
  [ -n "$extras" ] && target=".[$extras]"
  # PACTMAIL_QUIET_INSTALL=1 (tests/run.sh): only errors. Otherwise pip's
  # own lines show what it fetches, since the first install takes a while.
  quiet=()
  if [ -n "${PACTMAIL_QUIET_INSTALL:-}" ]; then
    quiet=(--quiet)
  else
    echo "pactmail: installing $target into .venv (the first time only)" >&2
  fi
  # A pip.conf may name extra indexes that lack most projects; pip then
  # warns twice per project, even when quiet, that the index is "ignored".
  # That is the machine's configuration speaking, not pactmail's: those
  # lines alone are left out. Everything else pip says is shown.
  if ! .venv/bin/python -m pip install "${quiet[@]}" --disable-pip-version-check -e "$target" 2>&1 \
    | { grep --line-buffered -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$" || true; }; then
    echo "pactmail: pip could not install $target (see above)" >&2
    exit 1
  fi
  touch "$stamp"
fi
