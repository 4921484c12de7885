-- Ceiling of GET /v1/users/feed?tags=python&search=cache: the same filtered call.
\set id random(1, :users)
SELECT api.user_feed(p_user_id => :id, p_limit => 20, p_offset => 0, p_sort => 'desc',
                     p_tags => '{python}', p_search => 'cache', p_since => NULL, p_until => NULL);
