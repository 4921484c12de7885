-- Ceiling of POST /v1/posts: the function itself, as a random author (rows removed after the run).
\set uid random(1, :users)
SELECT api.create_post(:uid, 'Benchmark post from pgbench',
                       'Written by the benchmark; removed when the next run starts.', '{bench}');
