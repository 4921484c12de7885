-- Ceiling of GET /v1/users/feed (default page): the function itself for a random user.
\set id random(1, :users)
SELECT api.user_feed(:id, 20, 0, 'desc', NULL, NULL, NULL, NULL);
