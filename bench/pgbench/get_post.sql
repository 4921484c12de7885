-- Ceiling of GET /v1/posts/{id}: the function itself, a random post.
\set id random(1, :posts)
\set viewer random(1, :users)
SELECT api.get_post(p_post_id => :id, p_viewer_id => :viewer);
