"""The caller's notifications: who followed it, liked or commented on its posts, mentioned it.
They are written and undone in SQL, in the act's own transaction (db/schema/notifications.sql)."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse

from api.context import ApiRequest
from api.endpoint import endpoint
from api.responses import data, dumps, no_content
from api.schemas import Notification, NotificationsQuery, ReadBody, UnreadCount

bp = Blueprint("notifications", url_prefix="/v1/notifications")


@bp.get("")
@endpoint(
    "The caller's notifications, newest first",
    tag="notifications",
    ok=(200, Notification),
    many=True,
    errors=(400,),
)
async def notifications(request: ApiRequest, query: NotificationsQuery) -> HTTPResponse:
    ctx, me = request.app.ctx, request.ctx.user.id
    scope = f"notifications:{me}:{query.types or ''}"
    after_created_at, after_id = ctx.cursors.after(query.cursor, scope, "desc")
    raw = await ctx.db.read(
        "list_notifications",
        user_id=me,
        limit=query.limit,
        types=query.type_list,
        after_created_at=after_created_at,
        after_id=after_id,
    )
    return data(raw, headers=ctx.cursors.next_link(request, raw, query.limit, scope, "desc"))


@bp.get("/unread")
@endpoint(
    "How many of the caller's notifications are unread", tag="notifications", ok=(200, UnreadCount)
)
async def unread(request: ApiRequest) -> HTTPResponse:
    count = await request.app.ctx.db.read("count_unread_notifications", user_id=request.ctx.user.id)
    return data(dumps({"count": count}))


@bp.post("/read")
@endpoint(
    "Mark the caller's notifications read, up to an id (ids grow with time) or all",
    tag="notifications",
    ok=(204, None),
)
async def mark_read(request: ApiRequest, body: ReadBody) -> HTTPResponse:
    await request.app.ctx.db.write(
        "mark_notifications_read", user_id=request.ctx.user.id, up_to=body.up_to
    )
    return no_content()
