-- api.replayed: on a primary every position is replayed at once; NULL is refused.
-- (On a standby: tests/test_replicas.py, with replay delayed.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(3);

SELECT ok(api.replayed(pg_current_wal_lsn(), 0), 'a primary has replayed what it wrote');
SELECT ok(api.replayed('FFFFFFFF/FFFFFFFF', 50), 'a primary answers true at once, even for a position ahead');
SELECT throws_ok('SELECT api.replayed(NULL, 10)', 'SN400', 'a WAL position is required', 'NULL -> SN400');

SELECT * FROM finish();
ROLLBACK;
