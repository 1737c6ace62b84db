#!/usr/bin/env bash
# Run the whole service on this machine: SMTP on 127.0.0.1:2525, worker and
# scheduler in one process, SQLite and an embedded Redis under ./var, outbound
# mail as .eml files in var/outbox/. Any PACTMAIL_* variable still applies.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/setup-venv.sh
exec .venv/bin/pactmail run "$@"
