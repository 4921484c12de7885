#!/bin/sh
# The compose `migrate` service (Dockerfile target `migrate`): `python3 -m stack.database`, the
# same provisioning as `make run`, the tests and the benchmark (create the database if missing,
# sqitch deploy, the service's login with APP_DB_PASSWORD). Safe to run again: sqitch deploys
# only what is new, and the login's password follows APP_DB_PASSWORD.
# Connection: PGHOST, PGPORT, PGUSER and PGPASSWORD (a role that may create databases and
# roles; psql and sqitch read PGPASSWORD), PGDATABASE the service's database.
set -eu
: "${PGHOST:?}" "${PGUSER:?}" "${PGDATABASE:?}" "${APP_DB_PASSWORD:?}"
cd "$(dirname "$0")/.."
exec python3 -m stack.database "postgresql://$PGUSER@$PGHOST:${PGPORT:-5432}" \
  --database "$PGDATABASE" --app-password-env APP_DB_PASSWORD
