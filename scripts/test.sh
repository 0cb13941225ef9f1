#!/usr/bin/env bash
# Lint, type-check and the whole test suite against the real Redis, PostgreSQL and workers.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$REPO_ROOT"
ensure_venv
ensure_redis
ensure_postgres
ensure_chromium
ensure_node_packages

say "ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
say "mypy"
"$VENV/bin/mypy"
say "pytest"
"$VENV/bin/pytest" "$@"
