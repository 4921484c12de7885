"""Reports of posts, comments and users, and the moderators' queue. Who may read and close them,
and what closing does (deleting the content, suspending its author), is api.*_report's."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse

from api.context import ApiRequest
from api.endpoint import endpoint
from api.responses import data
from api.schemas import Report, ReportClose, ReportCreate, ReportsQuery

bp = Blueprint("reports", url_prefix="/v1/reports")


@bp.post("")
@endpoint(
    "Report a post, a comment or a user",
    tag="reports",
    ok=(201, Report),
    errors=(400, 404, 409),
    why={404: "No such target", 409: "Your report on this target is still open"},
)
async def create_report(request: ApiRequest, body: ReportCreate) -> HTTPResponse:
    raw = await request.app.ctx.db.write(
        "create_report", reporter_id=request.ctx.user.id, **body.model_dump()
    )
    return data(raw, 201)


@bp.get("")
@endpoint(
    "The report queue, oldest first (moderators and admins)",
    tag="reports",
    ok=(200, Report),
    many=True,
    errors=(400, 403),
    description="Open reports by creation time; resolved or dismissed ones by closing time. "
    "Reports about the caller (its account, posts or comments) are left out.",
)
async def list_reports(request: ApiRequest, query: ReportsQuery) -> HTTPResponse:
    ctx = request.app.ctx
    # A cursor belongs to one status's list, ordered by creation (open) or closing time.
    scope, at = f"reports:{query.status}", "created_at" if query.status == "open" else "closed_at"
    after_at, after_id = ctx.cursors.after(query.cursor, scope, "asc")
    raw = await ctx.db.read(
        "list_reports",
        actor_id=request.ctx.user.id,
        status=query.status,
        limit=query.limit,
        after_at=after_at,
        after_id=after_id,
    )
    return data(raw, headers=ctx.cursors.next_link(request, raw, query.limit, scope, "asc", at))


@bp.put("/<report_id:id>")
@endpoint(
    "Resolve or dismiss a report, deleting the content or suspending its author",
    tag="reports",
    ok=(200, Report),
    errors=(400, 403, 404, 409),
    why={
        400: "Invalid body, an action with `dismissed`, or `delete_content` on a user report",
        403: "Not a moderator or admin; `suspend_user` by a moderator; a report about you",
        409: "The report is already closed, or the account to suspend is gone",
    },
)
async def close_report(request: ApiRequest, report_id: int, body: ReportClose) -> HTTPResponse:
    ctx = request.app.ctx
    row = await ctx.db.write_row(
        "close_report",
        report_id=report_id,
        actor_id=request.ctx.user.id,
        status=body.status,
        action=body.action,
    )
    if row["suspended_user_id"] is not None:
        # Its new token epoch and inactivity, at every instance at once: its access tokens 401.
        await ctx.cache.forget(row["suspended_user_id"])
    return data(row["report"])
