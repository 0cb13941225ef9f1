# Sourced by demo.sh and test.sh: a virtual environment with the project, and the local services.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '==> %s\n' "$*" >&2; }

ensure_venv() {
    local stamp="$VENV/.installed-from"
    if [ ! -x "$PY" ]; then
        say "creating the virtual environment in .venv"
        local python=python3.11
        command -v "$python" >/dev/null 2>&1 || python=python3
        "$python" -m venv "$VENV"
    fi
    # Reinstall only when pyproject.toml changed since the last install.
    if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$REPO_ROOT/pyproject.toml"; then
        say "installing group-bookings with every extra and its development tools"
        local log="$VENV/install.log"
        { "$PY" -m pip install --disable-pip-version-check --upgrade pip \
            && "$PY" -m pip install --disable-pip-version-check -e "$REPO_ROOT[all,dev]"; } \
            >"$log" 2>&1 || { cat "$log"; say "installation failed"; return 1; }
        cp "$REPO_ROOT/pyproject.toml" "$stamp"
    fi
}

apt_install() {
    say "installing $* from Debian's archive"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

redis_answers() {
    "$PY" -c "import redis; redis.Redis(host='127.0.0.1', port=6379, socket_timeout=1).ping()" \
        >/dev/null 2>&1
}

ensure_redis() {
    redis_answers && return 0
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    say "starting Redis on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 50); do redis_answers && return 0; sleep 0.1; done
    say "Redis did not start"; return 1
}

ensure_postgres() {
    pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
    say "starting PostgreSQL on 127.0.0.1:5432"
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0; sleep 0.1; done
    say "PostgreSQL did not start"; return 1
}
