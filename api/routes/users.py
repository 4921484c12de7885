"""Profiles, follows, the feed, roles, and the caller's own account."""

from __future__ import annotations

import orjson
from sanic import Blueprint, HTTPResponse

from api.auth import check_password, new_login
from api.context import ApiRequest, Context, CurrentUser
from api.endpoint import endpoint
from api.errors import ApiError
from api.responses import NO_STORE_DOC, data, no_content, token_pair
from api.schemas import (
    Author,
    FeedQuery,
    PasswordBody,
    PasswordChangeBody,
    Post,
    Relationship,
    RoleBody,
    TokenPair,
    User,
    UserListQuery,
    UserSearchQuery,
)

bp = Blueprint("users", url_prefix="/v1/users")
# The routes that check the current password count its failures like logins do.
PASSWORD_CHECKED = {
    429: "Rate limited, or too many failed password checks for this account (Retry-After)"
}


@bp.get("/feed")
@endpoint(
    "Posts of the caller and the users it follows",
    tag="users",
    ok=(200, Post),
    many=True,
    errors=(400,),
)
async def feed(request: ApiRequest, query: FeedQuery) -> HTTPResponse:
    cursors, scope = request.app.ctx.cursors, f"feed:{request.ctx.user.id}"
    after_created_at, after_id = cursors.after(query.cursor, scope, query.sort)
    raw = await request.app.ctx.db.read(
        "user_feed",
        current=True,  # docs/api.md: a post is in every follower's feed once its 201 is answered
        user_id=request.ctx.user.id,
        limit=query.limit,
        offset=query.offset,
        sort=query.sort,
        tags=query.tag_list,
        search=query.search or None,
        since=query.since,
        until=query.until,
        after_created_at=after_created_at,
        after_id=after_id,
    )
    return data(raw, headers=cursors.next_link(request, raw, query.limit, scope, query.sort))


@bp.get("/me")
@endpoint("The caller's own profile, with its email", tag="users", ok=(200, User))
async def me(request: ApiRequest) -> HTTPResponse:
    return data(request.ctx.user.raw)


@bp.put("/me/password")
@endpoint(
    "Change the caller's password: a new token pair, every other session ended",
    tag="users",
    ok=(200, TokenPair),
    errors=(400, 403),
    why=PASSWORD_CHECKED,
    ok_headers=NO_STORE_DOC,
)
async def change_password(request: ApiRequest, body: PasswordChangeBody) -> HTTPResponse:
    ctx, me = request.app.ctx, request.ctx.user
    current_hash = await check_password(ctx, me, body.current_password)
    epoch = await ctx.db.value(
        "change_password",
        user_id=me.id,
        current_hash=current_hash,
        password_hash=await ctx.passwords.hash(body.password),
    )
    await ctx.cache.forget(me.id)  # its new epoch, at every instance at once
    pair = await new_login(ctx, me.id, epoch)
    return token_pair(pair)


@bp.delete("/me")
@endpoint(
    "Delete the caller's account with its posts, comments, follows and tokens",
    tag="users",
    ok=(204, None),
    errors=(400, 403),
    why=PASSWORD_CHECKED,
)
async def delete_me(request: ApiRequest, body: PasswordBody) -> HTTPResponse:
    ctx, me = request.app.ctx, request.ctx.user
    await check_password(ctx, me, body.password)
    await ctx.db.value("delete_user", user_id=me.id)
    await ctx.cache.forget(me.id)  # its tokens get 401 at every instance at once
    return no_content()


@bp.get("/<user_id:id>")
@endpoint(
    "A user's profile (email for the user itself and admins)",
    tag="users",
    ok=(200, User),
    errors=(404,),
    also="user_id",  # the caller and this user in one cache round trip
)
async def get_user(request: ApiRequest, user_id: int) -> HTTPResponse:
    me = request.ctx.user
    if user_id == me.id:
        return data(me.raw)
    if user_id in me.separated:  # social.separated, kept with the cached caller
        raise ApiError(404, "user not found")
    ctx = request.app.ctx
    raw = request.ctx.also_raw or (await ctx.cache.fill(user_id, ctx.db.session_user)).raw
    return _as_seen_by(me, raw)


def _as_seen_by(me: CurrentUser, raw: bytes | str) -> HTTPResponse:
    """docs/api.md "Shapes": `email` for the user itself and admins only."""
    if me.role == "admin":
        return data(raw)
    user = orjson.loads(raw)
    if user["id"] != me.id:
        del user["email"]
    return data(orjson.dumps(user))


@bp.get("/by-username/<username:str>")
@endpoint(
    "A user's profile by its username (compared without regard to case)",
    tag="users",
    ok=(200, User),
    errors=(404,),
)
async def by_username(request: ApiRequest, username: str) -> HTTPResponse:
    me = request.ctx.user
    raw = await request.app.ctx.db.read("get_user_by_username", viewer_id=me.id, username=username)
    return _as_seen_by(me, raw)


@bp.get("")
@endpoint(
    "Find people: users whose username starts with `q`, an exact match first",
    tag="users",
    ok=(200, User),
    many=True,
    errors=(400,),
)
async def search(request: ApiRequest, query: UserSearchQuery) -> HTTPResponse:
    raw = await request.app.ctx.db.read(
        "search_users", viewer_id=request.ctx.user.id, q=query.q, limit=query.limit
    )
    return data(raw)


@bp.get("/<user_id:id>/followers")
@endpoint(
    "The users following a user, newest follow first",
    tag="users",
    ok=(200, Author),
    many=True,
    errors=(400, 404),
)
async def followers(request: ApiRequest, user_id: int, query: UserListQuery) -> HTTPResponse:
    return await _follow_list(request, user_id, query, "list_followers")


@bp.get("/<user_id:id>/following")
@endpoint(
    "The users a user follows, newest follow first",
    tag="users",
    ok=(200, Author),
    many=True,
    errors=(400, 404),
)
async def following(request: ApiRequest, user_id: int, query: UserListQuery) -> HTTPResponse:
    return await _follow_list(request, user_id, query, "list_following")


async def _follow_list(
    request: ApiRequest, user_id: int, query: UserListQuery, function: str
) -> HTTPResponse:
    return await request.app.ctx.cursors.user_list(
        request,
        function,
        f"{function}:{user_id}",
        query.limit,
        query.cursor,
        viewer_id=request.ctx.user.id,
        user_id=user_id,
    )


@bp.put("/<user_id:id>/follow")
@endpoint("Follow a user", tag="users", ok=(204, None), errors=(400, 404, 409))
async def follow(request: ApiRequest, user_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("follow_user", follower_id=request.ctx.user.id, user_id=user_id)
    return no_content()


@bp.put("/<user_id:id>/unfollow")
@endpoint("Stop following a user", tag="users", ok=(204, None), errors=(404,))
async def unfollow(request: ApiRequest, user_id: int) -> HTTPResponse:
    await request.app.ctx.db.write(
        "unfollow_user", follower_id=request.ctx.user.id, user_id=user_id
    )
    return no_content()


@bp.get("/<user_id:id>/relationship")
@endpoint(
    "How the caller and a user stand: follows both ways, blocks both ways, the caller's mute",
    tag="users",
    ok=(200, Relationship),
    errors=(404,),
)
async def relationship(request: ApiRequest, user_id: int) -> HTTPResponse:
    raw = await request.app.ctx.db.read(
        "get_relationship", viewer_id=request.ctx.user.id, user_id=user_id
    )
    return data(raw)


# Blocks and mutes: docs/api.md "Blocks and mutes"; what each hides is decided in SQL
# (social.separated, social.muting).
_SELF = {400: "The caller itself"}


@bp.put("/<user_id:id>/block")
@endpoint(
    "Block a user: no follows, no sight, no notifications between the two",
    tag="users",
    ok=(204, None),
    errors=(400, 404),
    why=_SELF,
)
async def block(request: ApiRequest, user_id: int) -> HTTPResponse:
    ctx, me = request.app.ctx, request.ctx.user.id
    await ctx.db.write("block_user", blocker_id=me, user_id=user_id)
    await _separation_changed(ctx, me, user_id)
    return no_content()


@bp.delete("/<user_id:id>/block")
@endpoint("Unblock a user (the follows stay ended)", tag="users", ok=(204, None), errors=(404,))
async def unblock(request: ApiRequest, user_id: int) -> HTTPResponse:
    ctx, me = request.app.ctx, request.ctx.user.id
    await ctx.db.write("unblock_user", blocker_id=me, user_id=user_id)
    await _separation_changed(ctx, me, user_id)
    return no_content()


async def _separation_changed(ctx: Context, *user_ids: int) -> None:
    """Both users' cached entries carry who a block separates from them: drop them, at every
    instance at once (and the counts the block changed with them)."""
    for user_id in user_ids:
        await ctx.cache.forget(user_id)


@bp.put("/<user_id:id>/mute")
@endpoint(
    "Mute a user: its posts, comments and notifications hidden from the caller",
    tag="users",
    ok=(204, None),
    errors=(400, 404),
    why=_SELF,
)
async def mute(request: ApiRequest, user_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("mute_user", muter_id=request.ctx.user.id, user_id=user_id)
    return no_content()


@bp.delete("/<user_id:id>/mute")
@endpoint("Unmute a user", tag="users", ok=(204, None), errors=(404,))
async def unmute(request: ApiRequest, user_id: int) -> HTTPResponse:
    await request.app.ctx.db.write("unmute_user", muter_id=request.ctx.user.id, user_id=user_id)
    return no_content()


@bp.get("/me/blocks")
@endpoint(
    "The users the caller blocks, newest first",
    tag="users",
    ok=(200, Author),
    many=True,
    errors=(400,),
)
async def my_blocks(request: ApiRequest, query: UserListQuery) -> HTTPResponse:
    return await _own_list(request, query, "list_blocks")


@bp.get("/me/mutes")
@endpoint(
    "The users the caller mutes, newest first",
    tag="users",
    ok=(200, Author),
    many=True,
    errors=(400,),
)
async def my_mutes(request: ApiRequest, query: UserListQuery) -> HTTPResponse:
    return await _own_list(request, query, "list_mutes")


async def _own_list(request: ApiRequest, query: UserListQuery, function: str) -> HTTPResponse:
    me = request.ctx.user.id
    return await request.app.ctx.cursors.user_list(
        request, function, f"{function}:{me}", query.limit, query.cursor, user_id=me
    )


@bp.put("/<user_id:id>/role")
@endpoint(
    "Set a user's role (admins only)",
    tag="users",
    ok=(200, User),
    errors=(400, 403, 404),
)
async def set_role(request: ApiRequest, user_id: int, body: RoleBody) -> HTTPResponse:
    ctx = request.app.ctx
    raw = await ctx.db.value(
        "set_user_role", user_id=user_id, role=body.role, actor_id=request.ctx.user.id
    )
    await ctx.cache.forget(user_id)
    return data(raw)
