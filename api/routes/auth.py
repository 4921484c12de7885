"""Registration (with its mail compensation), activation, login, refresh, logout and the
password reset."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import orjson
from sanic import Blueprint, HTTPResponse

from api.auth import check_throttle, new_login, session_epoch, verified_login
from api.context import ApiRequest, Context
from api.endpoint import endpoint
from api.errors import ApiError
from api.mail import MailError
from api.responses import NO_STORE_DOC, data, no_content, token_pair
from api.schemas import (
    LINK_TOKEN,
    Accepted,
    ForgotBody,
    InvitationToken,
    LoginBody,
    RefreshBody,
    RegisterBody,
    ResendBody,
    ResetBody,
    TokenPair,
    User,
)
from api.security import new_link_token, token_hash

bp = Blueprint("auth", url_prefix="/v1")
log = logging.getLogger("gosocial.auth")


@bp.post("/auth/register")
@endpoint(
    "Register; the activation link is mailed",
    tag="auth",
    ok=(201, User),
    errors=(400, 409),
    auth=None,
)
async def register(request: ApiRequest, body: RegisterBody) -> HTTPResponse:
    ctx = request.app.ctx
    token = new_link_token()
    ttl = timedelta(seconds=ctx.settings.invitation_ttl)
    raw = await ctx.db.value(
        "register_user",
        username=body.username,
        email=body.email,
        password_hash=await ctx.passwords.hash(body.password),
        token_hash=token_hash(token),
        invitation_ttl=ttl,
    )
    user_id = orjson.loads(raw)["id"]
    try:
        await ctx.mailer.send_invitation(
            username=body.username,
            email=body.email,
            token=token,
            expires_at=datetime.now(UTC) + ttl,
        )
    except Exception:
        # Compensation: without the mail the account could never be activated; remove it so the
        # username and email are free again. If this delete fails too, the sweeper removes it.
        log.exception("invitation mail to user %s failed; removing the user", user_id)
        await ctx.db.value("delete_user", user_id=user_id)
        await ctx.cache.forget(user_id)
        raise ApiError(
            500, "the activation email could not be sent; please try again later"
        ) from None
    return data(raw, 201)


@bp.put("/users/activate/<token:str>")
@endpoint(
    "Activate an account with the mailed token",
    tag="auth",
    ok=(204, None),
    errors=(404,),
    auth=None,
)
async def activate(request: ApiRequest, token: InvitationToken) -> HTTPResponse:
    ctx = request.app.ctx
    if not re.fullmatch(LINK_TOKEN, token):
        raise ApiError(404, "invitation not found or expired")
    user_id = await ctx.db.value("activate_user", token_hash=token_hash(token))
    await ctx.cache.forget(user_id)
    return no_content()


# The same answer for every well-formed address, known or not (like the password reset's).
_RESEND_ANSWER = orjson.dumps(
    {"message": "if an account waiting for activation has this address, a new link is on its way"}
)


@bp.post("/auth/activation/resend")
@endpoint(
    "Mail a new activation link (same answer whether or not the address is known)",
    tag="auth",
    ok=(202, Accepted),
    errors=(400,),
    auth=None,
    why={429: "Rate limited, or too many attempts for this email (Retry-After)"},
)
async def resend_activation(request: ApiRequest, body: ResendBody) -> HTTPResponse:
    ctx, settings = request.app.ctx, request.app.ctx.settings
    token = new_link_token()
    # Counted against the login throttle of the address, known or not, in the same call: it
    # cannot flood a mailbox, and neither a 429 nor the time taken tells about the account.
    row = await ctx.db.write_row(
        "resend_invitation",
        email=body.email,
        token_hash=token_hash(token),
        ttl=timedelta(seconds=settings.invitation_ttl),
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_throttle_window),
    )
    check_throttle(row["retry_after"], "too many attempts for this address; try again later")
    if row["username"] is not None:
        # After the answer, as the reset link: neither its time nor a failed send may tell a
        # waiting account from another address. A failed send leaves the account with the new,
        # unmailed link only: it asks again (within the throttle).
        ctx.after_response(
            _mail_invitation(ctx, row["username"], row["email"], token, row["expires_at"])
        )
    return data(_RESEND_ANSWER, 202)


async def _mail_invitation(
    ctx: Context, username: str, email: str, token: str, expires_at: datetime
) -> None:
    try:
        await ctx.mailer.send_invitation(
            username=username, email=email, token=token, expires_at=expires_at
        )
    except MailError:
        pass  # logged and counted by the mailer
    except Exception:
        log.exception("invitation mail to %s failed", email)


@bp.post("/auth/login")
@endpoint(
    "Log in with email and password",
    tag="auth",
    ok=(200, TokenPair),
    errors=(400, 401, 403),
    auth=None,
    enveloped=True,
    why={429: "Rate limited, or too many failed logins for this email (Retry-After)"},
    ok_headers=NO_STORE_DOC,
)
async def login(request: ApiRequest, body: LoginBody) -> HTTPResponse:
    ctx = request.app.ctx
    row = await verified_login(ctx, body.email, body.password)
    if row is None:
        raise ApiError(401, "invalid email or password")
    if row["is_suspended"]:
        raise ApiError(403, "the account is suspended")
    if not row["is_active"]:
        raise ApiError(403, "the account is not activated yet; follow the link in the email")
    if ctx.passwords.outdated(row["password_hash"]):
        # The only moment the password is known: store it again at BCRYPT_COST (unless it
        # changed meanwhile).
        await ctx.db.value(
            "rehash_password",
            user_id=row["user_id"],
            old_hash=row["password_hash"],
            new_hash=await ctx.passwords.hash(body.password),
        )
    pair = await new_login(ctx, row["user_id"], await session_epoch(ctx, row["user_id"]))
    return token_pair(pair)


@bp.post("/auth/refresh")
@endpoint(
    "Exchange a refresh token for a new pair",
    tag="auth",
    ok=(200, TokenPair),
    errors=(400, 401),
    auth=None,
    ok_headers=NO_STORE_DOC,
)
async def refresh(request: ApiRequest, body: RefreshBody) -> HTTPResponse:
    ctx = request.app.ctx
    bearer = ctx.tokens.verify(body.refresh_token, "refresh")
    # A refresh token of an older epoch (one being rotated while a password reset or change
    # revoked the others) starts nothing.
    if bearer is None or await session_epoch(ctx, bearer.user_id) != bearer.epoch:
        raise ApiError(401, "invalid refresh token")
    user_id = bearer.user_id
    pair = ctx.tokens.pair(user_id, bearer.epoch)
    rotated = await ctx.db.value(
        "rotate_refresh_token",
        old_hash=token_hash(body.refresh_token),
        new_hash=token_hash(pair.refresh_token),
        ttl=timedelta(seconds=ctx.tokens.refresh_ttl),
    )
    if rotated != user_id:
        raise ApiError(401, "invalid refresh token")
    return token_pair(pair)


@bp.post("/auth/logout")
@endpoint(
    "Revoke this login's refresh tokens",
    tag="auth",
    ok=(204, None),
    errors=(400,),
)
async def logout(request: ApiRequest, body: RefreshBody) -> HTTPResponse:
    ctx = request.app.ctx
    if not await ctx.db.value(
        "revoke_refresh_family",
        token_hash=token_hash(body.refresh_token),
        user_id=request.ctx.user.id,
    ):
        raise ApiError(401, "invalid refresh token")
    return no_content()


# The same answer for every well-formed address, known or not.
_FORGOT_ANSWER = orjson.dumps(
    {"message": "if an active account has this address, a password reset link is on its way"}
)


@bp.post("/auth/password/forgot")
@endpoint(
    "Mail a password reset link (same answer whether or not the address is known)",
    tag="auth",
    ok=(202, Accepted),
    errors=(400,),
    auth=None,
)
async def forgot_password(request: ApiRequest, body: ForgotBody) -> HTTPResponse:
    ctx = request.app.ctx
    token = new_link_token()
    row = await ctx.db.row(
        "request_password_reset",
        email=body.email,
        token_hash=token_hash(token),
        ttl=timedelta(seconds=ctx.settings.password_reset_ttl),
    )
    if row is not None:
        # After the answer: mailing takes from milliseconds to seconds (retries), which would
        # tell a known address from an unknown one by the time the answer takes.
        ctx.after_response(
            _mail_reset(ctx, row["username"], row["email"], token, row["expires_at"])
        )
    return data(_FORGOT_ANSWER, 202)


async def _mail_reset(
    ctx: Context, username: str, email: str, token: str, expires_at: datetime
) -> None:
    try:
        await ctx.mailer.send_password_reset(
            username=username, email=email, token=token, expires_at=expires_at
        )
    except MailError:
        pass  # logged by the mailer; the link is simply asked for again
    except Exception:
        log.exception("password reset mail to %s failed", email)


@bp.post("/auth/password/reset")
@endpoint(
    "Set a new password with the mailed token; every session of the account ends",
    tag="auth",
    ok=(204, None),
    errors=(400,),
    auth=None,
)
async def reset_password(request: ApiRequest, body: ResetBody) -> HTTPResponse:
    ctx = request.app.ctx
    user_id = await ctx.db.value(
        "reset_password",
        token_hash=token_hash(body.token),
        password_hash=await ctx.passwords.hash(body.password),
    )
    await ctx.cache.forget(user_id)  # its new epoch, at every instance at once
    return no_content()
