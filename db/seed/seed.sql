-- GoSocial seed: fills a freshly deployed database with deterministic, realistic-looking data.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f db/seed/seed.sql
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v users=100000 -v posts=1000000 -v follows=50 -f db/seed/seed.sql
--
-- Variables: users (2000), posts (10000), follows = follows per user (20, capped at users-1),
-- comments (posts/2). Same variables => same rows, ids included: every "random" choice is a hash
-- of a row number (hashint8extended), never random() or now(). Fixed clock: users join during
-- 2024, posts and follows happen during 2025, comments follow their post before 2026-01-01 UTC.
-- Every user is userN / userN@example.com, active, password "password"; user1 is admin, user2 moderator.
-- Refuses to run when social.users already has rows. Runs in one transaction.

\set ON_ERROR_STOP 1
\if :{?users} \else \set users 2000 \endif
\if :{?posts} \else \set posts 10000 \endif
\if :{?follows} \else \set follows 20 \endif
\if :{?comments}
\else
  SELECT :'posts'::bigint / 2 AS comments \gset
\endif

\set seed_tables '{social.users,social.followers,social.posts,social.comments}'
-- bcrypt (cost 4: cheap to verify, good enough for throwaway accounts) of the string "password".
\set password_hash '$2b$04$tfhUBFZM2xfXdx.F8nWvTuOaSxnRhUDlvuLz3zlu0KNwaiqtuR8Ri'

-- Normalise once so the statements below see plain integers (a typo fails here, not halfway).
SELECT :'users'::bigint AS users, :'posts'::bigint AS posts, :'comments'::bigint AS comments,
       least(:'follows'::bigint, greatest(:'users'::bigint - 1, 0)) AS follows
\gset
-- Follow layout (see the follows INSERT): 30% of each user's follows go to "celebrities", the
-- :users/20 lowest ids; when the numbers leave no room for that (tiny user counts), none do.
SELECT fp AS follows_popular, c AS celebs, (:users - c - 1) / greatest(:follows - fp, 1) AS follows_ring_step
FROM (SELECT CASE WHEN fp0 >= 1 AND c0 + (:follows - fp0) + 1 <= :users THEN fp0 ELSE 0 END AS fp,
             CASE WHEN fp0 >= 1 AND c0 + (:follows - fp0) + 1 <= :users THEN c0 ELSE 0 END AS c
      FROM (SELECT floor(0.3 * :follows)::bigint AS fp0,
                   greatest(2 * floor(0.3 * :follows)::bigint, :users / 20) AS c0) x) y
\gset
-- The DO block below cannot see psql variables; hand them over as session settings.
SET seed.users = :'users';
SET seed.posts = :'posts';
SET seed.comments = :'comments';
SET seed.follows = :'follows';

\echo seeding users=:users posts=:posts follows=:follows comments=:comments

BEGIN;
-- Row triggers of derived data (the home timelines) stay off during the load; the timelines
-- are rebuilt in one pass at the end, where the release has them.
SET LOCAL session_replication_role = replica;
-- Losing the tail of a seed on a crash is harmless; the big sorts/index builds want memory.
SET LOCAL synchronous_commit = off;
SET LOCAL work_mem = '256MB';
SET LOCAL maintenance_work_mem = '512MB';

-- Nobody may register while we check emptiness and take ids 1..N.
LOCK TABLE social.users IN SHARE ROW EXCLUSIVE MODE;

DO $$
BEGIN
  IF current_setting('seed.users')::bigint < 1 OR current_setting('seed.posts')::bigint < 0
     OR current_setting('seed.comments')::bigint < 0 OR current_setting('seed.follows')::bigint < 0 THEN
    RAISE EXCEPTION 'seed.sql: users must be >= 1 and posts, comments, follows >= 0';
  END IF;
  IF current_setting('seed.posts')::bigint = 0 AND current_setting('seed.comments')::bigint > 0 THEN
    RAISE EXCEPTION 'seed.sql: comments need posts (set -v comments=0 or posts > 0)';
  END IF;
  -- Posts, comments and follows all reference users, so an empty users table means an empty database.
  IF EXISTS (SELECT 1 FROM social.users) THEN
    RAISE EXCEPTION 'seed.sql: social.users already has rows; seed only a freshly deployed database'
      USING HINT = 'Drop and recreate the database, deploy with sqitch, then run the seed again.';
  END IF;
END $$;

-- Uniform value in [0, 1) derived from (n, salt); the 53 low bits keep it exact in a double.
-- SQL bodies so the planner inlines them.
CREATE FUNCTION pg_temp.seed_rand(n bigint, salt bigint) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT (hashint8extended(n, salt) & 9007199254740991)::double precision / 9007199254740992.0 $$;

-- Post i of p is created in its own slice of 2025 (epoch seconds), so post ids grow with
-- created_at like real ones. to_timestamp(double) is immutable, unlike timestamptz + interval,
-- which keeps these functions inlinable.
CREATE FUNCTION pg_temp.seed_post_epoch(i bigint, p bigint) RETURNS double precision
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT 1735689600 + floor(((i - 1) + pg_temp.seed_rand(i, 11)) * 31536000.0 / p) $$;

-- Bulk-load pattern: maintaining indexes row by row and firing one foreign-key trigger per row
-- cost several times more than building each index once from sorted data and validating each
-- foreign key with one anti-join. So every index, primary/unique key and foreign key touching
-- the seeded tables is dropped here and recreated from its catalog definition before COMMIT:
-- whatever the deploy created comes back exactly, and a duplicate or dangling id still fails
-- the seed (when the key is rebuilt) instead of slipping in.
CREATE TEMP TABLE seed_fkeys ON COMMIT DROP AS
SELECT k.conrelid::regclass::text AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
FROM pg_constraint k
WHERE k.contype = 'f'
  AND (k.conrelid = ANY (:'seed_tables'::regclass[]) OR k.confrelid = ANY (:'seed_tables'::regclass[]));

CREATE TEMP TABLE seed_keys ON COMMIT DROP AS
SELECT k.conrelid::regclass::text AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
FROM pg_constraint k
WHERE k.contype IN ('p', 'u') AND k.conrelid = ANY (:'seed_tables'::regclass[]);

CREATE TEMP TABLE seed_indexes ON COMMIT DROP AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid = ANY (:'seed_tables'::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);

SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM seed_fkeys
\gexec
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM seed_keys
\gexec
SELECT format('DROP INDEX %s', name) FROM seed_indexes
\gexec

-- Vocabulary, kept in psql variables so each use is a plan-time constant (a table column would
-- be detoasted once per generated row). Tags double as the technology words in titles, so tag
-- filters and text search find related posts.
\set seed_tags '{go,python,postgres,sql,redis,docker,kubernetes,linux,rust,javascript,typescript,react,devops,testing,security,performance,databases,backend,frontend,cloud,aws,networking,api,career,opensource,tutorial,design,architecture,concurrency,webdev}'
\set seed_adjs '{fast,simple,reliable,modern,practical,hidden,lazy,concurrent,scalable,tiny,robust,secure,minimal,elegant,broken,legacy,async,typed,clean,boring}'
\set seed_nouns '{cache,queue,index,query,service,server,pipeline,migration,schema,deployment,"test suite",benchmark,feed,API,database,container,cluster,worker,transaction,lock,parser,compiler,logger,router}'
\set seed_verbs '{build,debug,scale,test,profile,deploy,refactor,monitor,secure,optimize,design,migrate,benchmark,document,cache,shard}'
\set seed_title_tpls '{"How to {v} your {a} {n} with {t}","Patterns for the {a} {n} in {t}","Why your {n} is slow","Notes on {t}: the {a} {n}","Lessons from running our {a} {n}","The {a} guide to {t}","I tried to {v} our {n} in {t}","Quick {t} tips: {v} the {n}","The {a} {n} nobody talks about","Building my {a} {n} in {t}","When not to {v} your {n}","Ten ways to {v} your {n}","Debugging the {a} {n} in production","What I learned about {t} this week","Stop trying to {v} every {n}","Is {t} still worth it in 2025?"}'
\set seed_sentence_tpls '{"We moved our {n} to {t} last month.","Always {v} the {n} first.","The {n} was the bottleneck.","The {a} {n} beats a clever one.","It took two weeks to {v} the {n}.","If you use {t}, watch the {n}.","Our {a} {n} survived Black Friday.","The {t} docs say little about this.","Measure first: the {n} was fine.","I would not {v} the {n} this way again.","Turns out the {n} was {a} all along.","Here is how to {v} your {n} with {t}.","The second attempt was {a} and boring.","Do you even need that {n}?","Most of the time went into the {n}.","Thanks to all who reviewed the {n} changes."}'
\set seed_comment_tpls '{"Great post, thanks!","This saved me a lot of time.","I disagree with the part about the {n}.","Have you tried {t} for this?","We hit the same problem with our {n}.","Could you share the benchmark?","Bookmarked.","Nice write-up, very {a}.","What about the {n} under load?","The {a} approach worked for us too.","Thanks, this finally made {t} click for me.","Any numbers on memory usage?","+1, we {v} ours the same way.","Typo in the second paragraph, otherwise great.","Would love a follow-up on {t}."}'

-- Template tpls[k] (1-based, wrapped) with {a}/{n}/{t}/{v} filled in; k also picks the words.
CREATE FUNCTION pg_temp.seed_fill(tpls text[], k bigint, adjs text[], nouns text[], tags text[], verbs text[])
  RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT replace(replace(replace(replace(tpls[1 + (hashint8extended(k, 20) & 1048575) % cardinality(tpls)],
           '{a}', adjs[1 + (hashint8extended(k, 21) & 1048575) % cardinality(adjs)]),
           '{n}', nouns[1 + (hashint8extended(k, 22) & 1048575) % cardinality(nouns)]),
           '{t}', tags[1 + (hashint8extended(k, 23) & 1048575) % cardinality(tags)]),
           '{v}', verbs[1 + (hashint8extended(k, 24) & 1048575) % cardinality(verbs)]) $$;

-- A pool of filled-in sentences; posts glue 1-4 of them together (cheaper than filling per post).
CREATE TEMP TABLE seed_sentences ON COMMIT DROP AS
SELECT s AS id, pg_temp.seed_fill(:'seed_sentence_tpls', s, :'seed_adjs', :'seed_nouns', :'seed_tags', :'seed_verbs') AS txt
FROM generate_series(0, 1023) s;
ALTER TABLE seed_sentences ADD PRIMARY KEY (id);

-- 1024 tag sets of 0-4 distinct tags; tags early in the list are drawn more often.
CREATE TEMP TABLE seed_tagsets ON COMMIT DROP AS
SELECT s AS id,
       coalesce((SELECT array_agg(tag ORDER BY first_pick)
                 FROM (SELECT tag, min(j) AS first_pick
                       FROM generate_series(1, 12) j,
                            LATERAL (SELECT (:'seed_tags'::text[])[1 + floor(cardinality(:'seed_tags'::text[])
                                                   * pg_temp.seed_rand(s * 64 + j, 31) ^ 1.7)::int]) t(tag)
                       GROUP BY tag
                       ORDER BY first_pick
                       LIMIT (CASE WHEN s % 20 < 3 THEN 0 WHEN s % 20 < 9 THEN 1 WHEN s % 20 < 15 THEN 2
                                   WHEN s % 20 < 18 THEN 3 ELSE 4 END)) picked), '{}') AS tags
FROM generate_series(0, 1023) s;
ALTER TABLE seed_tagsets ADD PRIMARY KEY (id);
ANALYZE seed_sentences, seed_tagsets;

-- Users: created during 2024, before any of their posts or follows.
INSERT INTO social.users (id, username, email, password_hash, is_active, role_id, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT i, 'user' || i, 'user' || i || '@example.com', :'password_hash', true,
       CASE i WHEN 1 THEN 3 WHEN 2 THEN 2 ELSE 1 END, ts, ts
FROM generate_series(1, :users) i,
     LATERAL (SELECT to_timestamp(1704067200 + floor(((i - 1) + pg_temp.seed_rand(i, 1)) * 31622400.0 / :users))) t(ts);

-- Follows: each user follows exactly :follows others, built so that no pair repeats and nobody
-- follows themselves without any dedup or sort:
--  * the first :follows_popular picks go to the :celebs lowest ids, split into that many
--    disjoint buckets that grow quadratically; every user takes one (random) member of each
--    bucket (the next one if it drew itself), so the few members of the small first buckets
--    collect thousands of followers and the larger later buckets hundreds;
--  * the other picks sit on a ring of the remaining ids: pick j lands in the j-th stretch of
--    width :follows_ring_step after the follower's own place, hence distinct and never itself.
INSERT INTO social.followers (user_id, follower_id, created_at)
SELECT t.target, i, to_timestamp(1735689600 + floor(31536000.0 * pg_temp.seed_rand(i * 4294967296 + k, 41)))
FROM generate_series(1, :users) i
CROSS JOIN generate_series(1, :follows) k
CROSS JOIN LATERAL (SELECT 1 + 2 * (k - 1) + floor((:celebs - 2 * :follows_popular)
                               * ((k - 1)::float8 / greatest(:follows_popular, 1)) ^ 2)::bigint AS lo,
                           1 + 2 * k + floor((:celebs - 2 * :follows_popular)
                               * (k::float8 / greatest(:follows_popular, 1)) ^ 2)::bigint AS hi) b
CROSS JOIN LATERAL (SELECT b.lo + floor((b.hi - b.lo) * pg_temp.seed_rand(i * 4294967296 + k, 42))::bigint AS pick) p
CROSS JOIN LATERAL (
  SELECT CASE
           WHEN k <= :follows_popular THEN
             CASE WHEN p.pick = i THEN b.lo + (p.pick - b.lo + 1) % (b.hi - b.lo) ELSE p.pick END
           ELSE :celebs + 1
                + ((CASE WHEN i > :celebs THEN i - :celebs - 1 ELSE i * 7919 % (:users - :celebs) END)
                   + 1 + (k - :follows_popular - 1) * :follows_ring_step
                   + floor(:follows_ring_step * pg_temp.seed_rand(i * 4294967296 + k, 43))::bigint)
                  % (:users - :celebs)
         END AS target) t;

-- Posts: authors skewed towards low ids (a few prolific users, a long tail), 1-4 short sentences
-- (about 80 characters: the trigram index on content costs time in proportion to its text),
-- 0-4 tags, created in 2025 in id order, never edited.
INSERT INTO social.posts (id, user_id, title, content, tags, version, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT p.i,
       1 + floor(:users * pg_temp.seed_rand(p.i, 51) ^ 2)::bigint,
       left(p.title, 100),
       left(concat_ws(' ', s1.txt, s2.txt, s3.txt, s4.txt), 1000),
       t.tags, 1, p.ts, p.ts
FROM (SELECT i,
             pg_temp.seed_fill(:'seed_title_tpls', i, :'seed_adjs', :'seed_nouns', :'seed_tags', :'seed_verbs') AS title,
             CASE WHEN (hashint8extended(i, 53) & 1023) < 307 THEN 1 WHEN (hashint8extended(i, 53) & 1023) < 665 THEN 2
                  WHEN (hashint8extended(i, 53) & 1023) < 921 THEN 3 ELSE 4 END AS n_sentences,
             to_timestamp(pg_temp.seed_post_epoch(i, :posts)) AS ts
      FROM generate_series(1, :posts) i) p
JOIN seed_tagsets t ON t.id = (hashint8extended(p.i, 54) & 1023)
JOIN seed_sentences s1 ON s1.id = (hashint8extended(p.i, 55) & 1023)
LEFT JOIN seed_sentences s2 ON s2.id = CASE WHEN p.n_sentences >= 2 THEN hashint8extended(p.i, 56) & 1023 END
LEFT JOIN seed_sentences s3 ON s3.id = CASE WHEN p.n_sentences >= 3 THEN hashint8extended(p.i, 57) & 1023 END
LEFT JOIN seed_sentences s4 ON s4.id = CASE WHEN p.n_sentences >= 4 THEN hashint8extended(p.i, 58) & 1023 END;

-- Comments: a few hot posts (scattered over the year) collect many, by users of any kind,
-- mostly soon after the post and never after 2026-01-01.
INSERT INTO social.comments (id, post_id, user_id, content, created_at)
OVERRIDING SYSTEM VALUE
SELECT c.i, c.post_id,
       1 + floor(:users * pg_temp.seed_rand(c.i, 62) ^ 1.5)::bigint,
       pg_temp.seed_fill(:'seed_comment_tpls', c.i, :'seed_adjs', :'seed_nouns', :'seed_tags', :'seed_verbs')
       || CASE WHEN hashint8extended(c.i, 63) & 3 = 0 THEN ' ' || s.txt ELSE '' END,
       to_timestamp(c.post_at + floor((1767225600 - c.post_at) * pg_temp.seed_rand(c.i, 65) ^ 3))
FROM (SELECT i, post_id, pg_temp.seed_post_epoch(post_id, :posts) AS post_at
      FROM generate_series(1, :comments) i,
           LATERAL (SELECT 1 + (floor(:posts * pg_temp.seed_rand(i, 61) ^ 2)::bigint * 7919) % :posts) x(post_id)) c
JOIN seed_sentences s ON s.id = (hashint8extended(c.i, 66) & 1023);

SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM seed_keys
\gexec
SELECT def FROM seed_indexes
\gexec
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM seed_fkeys
\gexec

-- Explicit ids bypassed the identity sequences: move them past the seeded rows.
SELECT setval(pg_get_serial_sequence('social.users', 'id'), :users + 1, false) AS seed_seq_users,
       setval(pg_get_serial_sequence('social.posts', 'id'), :posts + 1, false) AS seed_seq_posts,
       setval(pg_get_serial_sequence('social.comments', 'id'), :comments + 1, false) AS seed_seq_comments
\gset

SET LOCAL session_replication_role = origin;
SELECT to_regprocedure('social.rebuild_timelines()') IS NOT NULL AS seed_has_timelines
\gset
\if :seed_has_timelines
  SELECT social.rebuild_timelines() AS seed_timeline_entries
  \gset
\endif

COMMIT;

ANALYZE;

SELECT (SELECT count(*) FROM social.users) AS users, (SELECT count(*) FROM social.followers) AS follows,
       (SELECT count(*) FROM social.posts) AS posts, (SELECT count(*) FROM social.comments) AS comments;
