-- Benchmark cohorts, added to the seeded benchmark database by bench/run.sh (through the
-- timeline triggers, as follows made through the API would be):
--   readers_500, readers_5000  50 users each, following about 500 / 5,000 users (the seed gives
--                              everyone 50; these follow more, spread over the whole id range)
--   author_10 ... author_50000 one user each with exactly that many followers (10,000 is the
--                              default fanout_limit: still fanned out; 50,000 is pulled)
-- Their follows are dated 2025-12-31, so the runner's reset (follows from 2026 on) keeps them.
-- bench_cohorts lists them for the runner.
\set ON_ERROR_STOP 1

CREATE TABLE public.bench_cohorts (cohort text NOT NULL, user_id bigint NOT NULL);
INSERT INTO public.bench_cohorts
SELECT 'readers_500', id FROM generate_series(:users - 999, :users - 950) id
UNION ALL
SELECT 'readers_5000', id FROM generate_series(:users - 899, :users - 850) id
UNION ALL
SELECT 'author_' || n, :users - 99 + ord
  FROM unnest(ARRAY[10, 1000, 10000, 50000]) WITH ORDINALITY AS a(n, ord);

-- Readers: targets on a stride through the ids, distinct per reader, never the reader itself.
INSERT INTO social.followers (user_id, follower_id, created_at)
SELECT t.id, c.user_id, '2025-12-31'
  FROM public.bench_cohorts c
 CROSS JOIN LATERAL (
        SELECT 3 + (c.user_id * 7919 + k * 17) % (:users - 3) AS id
          FROM generate_series(1, split_part(c.cohort, '_', 2)::int - 50) k) t
 WHERE c.cohort LIKE 'readers_%' AND t.id <> c.user_id
ON CONFLICT DO NOTHING;

-- Authors: exactly n followers, the lowest ids other than the admin, the moderator and the
-- cohorts.
DELETE FROM social.followers f
 USING public.bench_cohorts c
 WHERE c.cohort LIKE 'author_%' AND f.user_id = c.user_id;
INSERT INTO social.followers (user_id, follower_id, created_at)
SELECT c.user_id, f.id, '2025-12-31'
  FROM public.bench_cohorts c
 CROSS JOIN LATERAL generate_series(3, 2 + split_part(c.cohort, '_', 2)::int) f(id)
 WHERE c.cohort LIKE 'author_%';

SELECT c.cohort, count(*) AS users,
       round(avg((SELECT count(*) FROM social.followers f WHERE f.follower_id = c.user_id))) AS follows,
       round(avg((SELECT count(*) FROM social.followers f WHERE f.user_id = c.user_id))) AS followers
  FROM public.bench_cohorts c GROUP BY c.cohort ORDER BY c.cohort;
