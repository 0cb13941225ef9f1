#!/usr/bin/env bash
# The seed's yoga-class walk-through against a real worker: SQLite and the local Redis.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$REPO_ROOT"
ensure_venv
ensure_redis

export BOOKINGS_REDIS_URL="${BOOKINGS_REDIS_URL:-redis://127.0.0.1:6379/0}"
export BOOKINGS_DATABASE_URL="${BOOKINGS_DATABASE_URL:-sqlite:///$REPO_ROOT/group_bookings.sqlite3}"
LOG="$REPO_ROOT/demo-worker.log"

say "starting a worker with beat (database: $BOOKINGS_DATABASE_URL; log: demo-worker.log)"
# -B runs the schedule (completion, outbox sweep) inside this one worker: fine for a demo; in
# production run exactly one `celery -A worker beat` beside the workers.
"$PY" -m celery -A worker worker --beat --schedule "$REPO_ROOT/.demo-beat-schedule" \
    --concurrency 2 --loglevel INFO >"$LOG" 2>&1 &
WORKER_PID=$!
trap 'kill -TERM "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 300); do
    "$PY" -c "from api_client import BookingClient; BookingClient(timeout_s=1).ping()" \
        >/dev/null 2>&1 && break
    kill -0 "$WORKER_PID" 2>/dev/null || { cat "$LOG"; exit 1; }
done

"$PY" examples/yoga_class.py
