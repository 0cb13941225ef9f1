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
    local as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
ensure_chromium() {
    [ -x /usr/bin/chromium ] || apt_install chromium
}

# booking.js and Timekit's JS SDK, at the versions package-lock.json pins, in node_modules/.
ensure_node_packages() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    local stamp="$REPO_ROOT/node_modules/.installed-from"
    if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$REPO_ROOT/package-lock.json"; then
        say "installing the JavaScript clients (npm ci)"
        (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
        cp "$REPO_ROOT/package-lock.json" "$stamp"
    fi
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
