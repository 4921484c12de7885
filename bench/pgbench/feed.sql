-- Ceiling of GET /v1/users/feed (default page): the function itself for a random user.
\set id random(1, :users)
SELECT api.user_feed(p_user_id => :id, p_limit => 20, p_offset => 0, p_sort => 'desc',
                     p_tags => NULL, p_search => NULL, p_since => NULL, p_until => NULL);
