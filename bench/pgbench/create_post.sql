-- Ceiling of POST /v1/posts: the function itself, as a random author (rows removed after the run).
\set uid random(1, :users)
SELECT api.create_post(p_user_id => :uid, p_title => 'Benchmark post from pgbench',
                       p_content => 'Written by the benchmark; removed when the next run starts.',
                       p_tags => '{bench}');
