#!/bin/sh
# The compose `migrate` service (Dockerfile target `migrate`): deploy the schema with sqitch, then
# make sure the service's login exists, as scripts/run.sh does for `make run`. Safe to run again:
# sqitch deploys only what is new, and the login's password follows APP_DB_PASSWORD.
# Connection: libpq's PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (an owner of the
# database that may create roles); sqitch and psql both read them.
set -eu
: "${PGHOST:?}" "${PGUSER:?}" "${PGDATABASE:?}" "${APP_DB_PASSWORD:?}"
cd "$(dirname "$0")/.."

sqitch deploy "db:pg://$PGUSER@$PGHOST:${PGPORT:-5432}/$PGDATABASE"

# The service logs in as a role with gosocial_app's rights only (the deploy creates that role).
# psql variables are not expanded inside DO blocks, hence \gset and \if.
psql -X -q -v ON_ERROR_STOP=1 -v app_password="$APP_DB_PASSWORD" <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gosocial') AS missing \gset
\if :missing
CREATE ROLE gosocial LOGIN IN ROLE gosocial_app;
\endif
ALTER ROLE gosocial PASSWORD :'app_password';
SQL
echo "schema deployed; login gosocial ready"
