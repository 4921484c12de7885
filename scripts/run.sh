#!/usr/bin/env bash
# `make run`: serve the API. Without DATABASE_URL / REDIS_URL it starts a project-local PostgreSQL
# cluster and redis-server under .data/ (deployed with sqitch, seeded when empty) and stops them
# on exit; with them, it uses those.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pg_port=${LOCAL_PG_PORT:-55432}
redis_port=${LOCAL_REDIS_PORT:-56379}
pg_dir=$root/.data/pg
started_pg=""
redis_pid=""

cleanup() {
  trap - EXIT INT TERM
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  [ -n "$started_pg" ] && stack/pg/pg_ctl -D "$pg_dir/data" -m fast -w stop >/dev/null
  echo "stopped the local services"
}
trap cleanup EXIT INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  mkdir -p "$pg_dir"
  if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
    stack/pg/initdb -D "$pg_dir/data" -U postgres -A trust --no-sync >/dev/null
  fi
  if ! stack/pg/pg_ctl -D "$pg_dir/data" status >/dev/null 2>&1; then
    if ! stack/pg/pg_ctl -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
      -o "-h 127.0.0.1 -p $pg_port -k $pg_dir" start >/dev/null; then
      tail -n 3 "$pg_dir/server.log"
      echo "PostgreSQL did not start (port $pg_port taken? set LOCAL_PG_PORT)" >&2
      exit 1
    fi
    started_pg=1
  fi
  admin_url="postgresql://postgres@127.0.0.1:$pg_port"
  export PGCONNECT_TIMEOUT=5
  psql "$admin_url/postgres" -XAtq -c "SELECT 1 FROM pg_database WHERE datname = 'gosocial'" |
    grep -q 1 || psql "$admin_url/postgres" -Xq -c "CREATE DATABASE gosocial"
  sqitch deploy "db:pg://postgres@127.0.0.1:$pg_port/gosocial" | grep -v '^Nothing to deploy' || true
  # The service logs in as a role with gosocial_app's rights only.
  psql "$admin_url/gosocial" -Xq -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gosocial') THEN
        CREATE ROLE gosocial LOGIN IN ROLE gosocial_app; END IF; END \$\$"
  if [ "$(psql "$admin_url/gosocial" -XAtq -c 'SELECT count(*) FROM social.users')" = 0 ]; then
    echo "seeding the development database..."
    psql "$admin_url/gosocial" -Xq -v ON_ERROR_STOP=1 -f db/seed/seed.sql >/dev/null
  fi
  export DATABASE_URL="postgresql://gosocial@127.0.0.1:$pg_port/gosocial"
fi

if [ -z "${REDIS_URL+set}" ]; then
  mkdir -p .data/redis
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$root/.data/redis" --logfile "$root/.data/redis/redis.log" &
  redis_pid=$!
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi

host=${HOST:-127.0.0.1}
port=${PORT:-8080}
cat <<EOT

  GoSocial API   http://$host:$port/v1
  API docs       http://$host:$port/v1/swagger/
  Health         http://$host:$port/v1/health          (Basic admin/admin in development)
  Debug vars     http://$host:$port/v1/debug/vars
  Metrics        http://$host:$port/metrics            (Prometheus, Basic auth as well)
  Seeded admin   user1@example.com / password        (every seeded user's password is "password")

  Ctrl-C stops the API and the services it started.

EOT
.venv/bin/python -m api
