-- Ceiling of GET /v1/users/{id} without the cache: the function itself, a random user.
\set id random(1, :users)
SELECT api.get_user(p_user_id => :id);
