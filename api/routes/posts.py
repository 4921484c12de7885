"""Posts, version-checked edits and comments. Ownership and role rules live in the functions.

Creation takes an Idempotency-Key (docs/api.md): with one, api.*_once creates the row and keeps its
answer in one transaction, or answers the kept one again (`Idempotent-Replayed: true`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from sanic import Blueprint, HTTPResponse

from api.context import ApiRequest
from api.endpoint import endpoint
from api.errors import ApiError
from api.responses import data, no_content
from api.schemas import (
    Author,
    Comment,
    CommentCreate,
    CommentsQuery,
    CreateHeaders,
    Post,
    PostCreate,
    PostUpdate,
    PostUpdateHeaders,
    UserListQuery,
)

bp = Blueprint("posts", url_prefix="/v1/posts")

REPLAYED = "Idempotent-Replayed"
_ONCE: dict[str, Any] = {
    "errors": (400, 409, 422),
    "why": {
        409: "The first request with this Idempotency-Key is still running",
        422: "This Idempotency-Key was already used with a different request",
    },
    "ok_headers": {REPLAYED: "`true`: the first answer to this Idempotency-Key, again"},
}


@bp.post("")
@endpoint("Create a post", tag="posts", ok=(201, Post), **_ONCE)
async def create_post(
    request: ApiRequest, body: PostCreate, headers: CreateHeaders
) -> HTTPResponse:
    db, user_id, fields = request.app.ctx.db, request.ctx.user.id, body.model_dump()
    key = headers.idempotency_key
    if key is None:
        return _post(await db.write("create_post", user_id=user_id, **fields), 201)
    once = await db.write_once(
        "create_post_once",
        user_id=user_id,
        key=key,
        request_hash=_request_hash("posts", fields),
        **fields,
    )
    return _post(once.body, once.status, once.replayed)


@bp.get("/<post_id:id>")
@endpoint("A post with its comment count", tag="posts", ok=(200, Post), errors=(404,))
async def get_post(request: ApiRequest, post_id: int) -> HTTPResponse:
    raw = await request.app.ctx.db.read("get_post", post_id=post_id, viewer_id=request.ctx.user.id)
    return _post(raw)


@bp.patch("/<post_id:id>")
@endpoint(
    "Edit a post if `version` (or If-Match) is still current",
    tag="posts",
    ok=(200, Post),
    errors=(400, 403, 404, 409),
)
async def update_post(
    request: ApiRequest, post_id: int, body: PostUpdate, headers: PostUpdateHeaders
) -> HTTPResponse:
    version = await _version(request, post_id, body.version, headers.versions)
    raw = await request.app.ctx.db.write(
        "update_post",
        post_id=post_id,
        actor_id=request.ctx.user.id,
        version=version,
        # Every other field of the body, by name (None: unchanged), as api.update_post takes it.
        **body.model_dump(exclude={"version"}),
    )
    return _post(raw)


@bp.delete("/<post_id:id>")
@endpoint("Delete a post and its comments", tag="posts", ok=(204, None), errors=(403, 404))
async def delete_post(request: ApiRequest, post_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("delete_post", post_id=post_id, actor_id=request.ctx.user.id)
    return no_content()


@bp.get("/<post_id:id>/comments")
@endpoint(
    "A post's comments, oldest first",
    tag="posts",
    ok=(200, Comment),
    many=True,
    errors=(400, 404),
)
async def list_comments(request: ApiRequest, post_id: int, query: CommentsQuery) -> HTTPResponse:
    cursors, scope = request.app.ctx.cursors, f"comments:{post_id}"
    after_created_at, after_id = cursors.after(query.cursor, scope, "asc")
    raw = await request.app.ctx.db.read(
        "list_comments",
        post_id=post_id,
        viewer_id=request.ctx.user.id,
        limit=query.limit,
        offset=query.offset,
        after_created_at=after_created_at,
        after_id=after_id,
    )
    return data(raw, headers=cursors.next_link(request, raw, query.limit, scope, "asc"))


@bp.put("/<post_id:id>/like")
@endpoint("Like a post", tag="posts", ok=(204, None), errors=(404,))
async def like(request: ApiRequest, post_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("like_post", user_id=request.ctx.user.id, post_id=post_id)
    return no_content()


@bp.delete("/<post_id:id>/like")
@endpoint("Unlike a post", tag="posts", ok=(204, None), errors=(404,))
async def unlike(request: ApiRequest, post_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("unlike_post", user_id=request.ctx.user.id, post_id=post_id)
    return no_content()


@bp.get("/<post_id:id>/likes")
@endpoint(
    "The users who like a post, newest like first",
    tag="posts",
    ok=(200, Author),
    many=True,
    errors=(400, 404),
)
async def likes(request: ApiRequest, post_id: int, query: UserListQuery) -> HTTPResponse:
    return await request.app.ctx.cursors.user_list(
        request,
        "list_likes",
        f"likes:{post_id}",
        query.limit,
        query.cursor,
        viewer_id=request.ctx.user.id,
        post_id=post_id,
    )


@bp.post("/<post_id:id>/comments")
@endpoint(
    "Comment on a post", tag="posts", ok=(201, Comment), **{**_ONCE, "errors": (400, 404, 409, 422)}
)
async def create_comment(
    request: ApiRequest, post_id: int, body: CommentCreate, headers: CreateHeaders
) -> HTTPResponse:
    db, user_id, key = request.app.ctx.db, request.ctx.user.id, headers.idempotency_key
    if key is None:
        raw = await db.write(
            "create_comment", post_id=post_id, user_id=user_id, content=body.content
        )
        return data(raw, 201)
    once = await db.write_once(
        "create_comment_once",
        post_id=post_id,
        user_id=user_id,
        key=key,
        request_hash=_request_hash(f"comments:{post_id}", body.model_dump()),
        content=body.content,
    )
    return data(once.body, once.status, headers={REPLAYED: "true"} if once.replayed else None)


@bp.delete("/<post_id:id>/comments/<comment_id:id>")
@endpoint(
    "Delete a comment: its author, the post's author, moderators and admins",
    tag="posts",
    ok=(204, None),
    errors=(403, 404),
    why={404: "No such comment on this post"},
)
async def delete_comment(request: ApiRequest, post_id: int, comment_id: int) -> HTTPResponse:
    await request.app.ctx.db.write(
        "delete_comment", post_id=post_id, comment_id=comment_id, actor_id=request.ctx.user.id
    )
    return no_content()


def _post(raw: str, status: int = 200, replayed: bool = False) -> HTTPResponse:
    """A post, with `ETag: "<version>"` for the client to send back in If-Match."""
    headers = {"ETag": f'"{orjson.loads(raw)["version"]}"'}
    if replayed:
        headers[REPLAYED] = "true"
    return data(raw, status, headers=headers)


def _request_hash(route: str, fields: dict[str, Any]) -> bytes:
    """What an Idempotency-Key is bound to: the route with its ids, and the validated body
    (defaults filled in, tags de-duplicated), so two spellings of one request are one request."""
    return hashlib.sha256(orjson.dumps([route, fields], option=orjson.OPT_SORT_KEYS)).digest()


async def _version(
    request: ApiRequest, post_id: int, in_body: int | None, if_match: frozenset[int] | None
) -> int:
    """The version the client read: the body's `version`, which If-Match must then name, or
    the one If-Match names. No version can match (0): api.update_post answers as for a stale
    one, after its own 404 and 403. If-Match naming several: the current one if among them."""
    if in_body is not None:
        if if_match is not None and in_body not in if_match:
            raise ApiError(
                400,
                "If-Match and `version` name different versions",
                [{"field": "If-Match", "message": "must name the same version as `version`"}],
            )
        return in_body
    if if_match is None:
        raise ApiError(
            400,
            "the version you read is required: a `version` field or If-Match",
            [{"field": "version", "message": "Field required"}],
        )
    if len(if_match) == 1:
        return next(iter(if_match))
    if not if_match:
        return 0
    raw = await request.app.ctx.db.read("get_post", post_id=post_id, viewer_id=request.ctx.user.id)
    current = orjson.loads(raw)["version"]
    return current if current in if_match else 0
