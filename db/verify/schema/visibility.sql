-- Verify gosocial:schema/visibility on pg

BEGIN;

SELECT 'social.separated(bigint, bigint)'::regprocedure, 'social.muting(bigint, bigint)'::regprocedure,
       'social.lock_pair(bigint, bigint)'::regprocedure,
       'social.mutes_anyone(bigint)'::regprocedure,
       'social.separated_from(bigint)'::regprocedure;

ROLLBACK;
