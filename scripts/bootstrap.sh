#!/usr/bin/env bash
# Installs what `make run`, `make cluster` and `make test` need on a fresh Debian 12 machine,
# idempotently: Debian packages (only the missing ones) and a virtualenv with the project installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sqitch >/dev/null || need+=(sqitch)
command -v pg_prove >/dev/null || need+=(libtap-parser-sourcehandler-pgtap-perl)
ls /usr/share/postgresql/*/extension/pgtap.control >/dev/null 2>&1 || need+=(postgresql-15-pgtap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql-15)
command -v psql >/dev/null || need+=(postgresql-client-15)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)  # headless checks: offline Swagger UI, mail link pages
command -v chromedriver >/dev/null || need+=(chromium-driver)  # selenium drives chromium through it
# make cluster and tests/test_cluster.py: Patroni with etcd, HAProxy, PgBouncer (started as
# plain processes by stack/cluster/; the packages' own services are not used)
command -v patroni >/dev/null || need+=(patroni)
command -v etcd >/dev/null || need+=(etcd-server)
command -v haproxy >/dev/null || need+=(haproxy)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
# A line every 20 s while a long step runs: a first install takes minutes, silently otherwise.
ticking() {
  local what=$1 started=$SECONDS
  shift
  (while sleep 20; do echo "  ... $what: $((SECONDS - started)) s so far"; done) &
  local ticker=$!
  "$@" || { kill "$ticker"; return 1; }
  kill "$ticker"
  echo "  $what: done in $((SECONDS - started)) s"
}

if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages (first install: a few minutes): ${need[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  ticking "Debian packages" $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${need[@]}"
fi

# The virtualenv installs exactly what requirements.lock pins, hashes checked (make lock
# refreshes it from pyproject.toml's ranges), then the project itself; again only when either
# file changes.
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  echo "installing the Python packages of requirements.lock into .venv (first install: 3 to 5 min)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  ticking "Python packages" .venv/bin/pip install -q --require-hashes -r requirements.lock
  .venv/bin/pip install -q --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
