#!/usr/bin/env bash
# The test command: lint, types, then the whole suite on SQLite with an
# embedded Redis (nothing to install by hand). Arguments go to pytest.
# PACTMAIL_TEST_DATABASE_URL=postgres://... runs the suite on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/setup-venv.sh
.venv/bin/ruff check mailer workers tests bench
.venv/bin/ruff format --check mailer workers tests bench
.venv/bin/mypy
exec .venv/bin/pytest "$@"
