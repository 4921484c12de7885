-- Ceiling of GET /v1/users/feed?tags=python&search=cache: the same filtered call.
\set id random(1, :users)
SELECT api.user_feed(:id, 20, 0, 'desc', '{python}', 'cache', NULL, NULL);
