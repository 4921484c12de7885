"""Cursor pages: the opaque `cursor` of the feed, comments, reports and lists of users, and the
`Link` to the next page.

A cursor names the position after a page's last item, (created_at, id), in one list (a user's
feed, a post's comments, the reports of one status; closed ones by (closed_at, id)) read in one
order. It is signed with the service's secret, so an altered cursor, or one issued for another
list or order, is a 400 rather than a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from sanic import HTTPResponse, Request

from api.errors import ApiError
from api.responses import data

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAC_BYTES = 12


class Cursors:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"gosocial cursor\0" + secret.encode()).digest()

    def issue(self, scope: str, sort: str, created_at: str, item_id: int) -> str:
        micros = (datetime.fromisoformat(created_at) - _EPOCH) // timedelta(microseconds=1)
        payload = f"{sort}.{micros}.{item_id}".encode()
        return _b64(payload) + "." + _b64(self._mac(scope, payload))

    def read(self, cursor: str, scope: str, sort: str) -> tuple[datetime, int]:
        """The position a cursor names; `400` unless it was issued for this list and order."""
        try:
            encoded, _ = cursor.split(".")
            payload = _unb64(encoded)
            # Only the spelling issued: base64's last character has spare bits, so other
            # spellings decode to the same bytes.
            expected = _b64(payload) + "." + _b64(self._mac(scope, payload))
            if not hmac.compare_digest(cursor, expected):
                raise ValueError("not issued for this list")
            issued_sort, micros, item_id = payload.decode().split(".")
            position = _EPOCH + timedelta(microseconds=int(micros)), int(item_id)
        except (ValueError, binascii.Error, OverflowError):
            raise _invalid("this cursor was not issued for this list") from None
        if issued_sort != sort:
            raise _invalid(f"this cursor was issued for sort={issued_sort}")
        return position

    def after(
        self, cursor: str | None, scope: str, sort: str
    ) -> tuple[datetime, int] | tuple[None, None]:
        """`read`, or no position when the request gave no cursor."""
        return self.read(cursor, scope, sort) if cursor else (None, None)

    async def user_list(
        self,
        request: Request[Any, Any],
        function: str,
        scope: str,
        limit: int,
        cursor: str | None,
        **args: Any,
    ) -> HTTPResponse:
        """A list of users (likers, followers, blocks...) answered by `function`, newest first,
        with its `Link`."""
        after_created_at, after_id = self.after(cursor, scope, "desc")
        raw = await request.app.ctx.db.read(
            function, **args, limit=limit, after_created_at=after_created_at, after_id=after_id
        )
        page, link = self.user_page(request, raw, scope)
        return data(page, headers=link)

    def next_link(
        self,
        request: Request[Any, Any],
        raw: str,
        limit: int,
        scope: str,
        sort: str,
        at: str = "created_at",
    ) -> dict[str, str]:
        """`Link: <same query, cursor=after the last item>; rel="next"` for a full page; no
        header for a shorter one (there is no next page). `at`: the items' key the list is
        ordered by (with their id)."""
        items = orjson.loads(raw)
        if len(items) < limit:
            return {}
        last = items[-1]
        return self._link(request, self.issue(scope, sort, last[at], last["id"]))

    def user_page(
        self, request: Request[Any, Any], raw: str, scope: str
    ) -> tuple[bytes, dict[str, str]]:
        """A list of users (likers, followers, blocks...) as its function answers it,
        `{"page": [...], "after": {"created_at", "id"} | null}`: the page, and the `Link` to the
        next one when `after` names the position after it. Newest first, always."""
        answer = orjson.loads(raw)
        after = answer["after"]
        link = (
            {}
            if after is None
            else self._link(request, self.issue(scope, "desc", after["created_at"], after["id"]))
        )
        return orjson.dumps(answer["page"]), link

    @staticmethod
    def _link(request: Request[Any, Any], cursor: str) -> dict[str, str]:
        params = request.get_query_args(keep_blank_values=True)
        kept = [(k, v) for k, v in params if k not in ("cursor", "offset")]
        return {"Link": f'<{request.path}?{urlencode([*kept, ("cursor", cursor)])}>; rel="next"'}

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\0" + payload, "sha256").digest()[:_MAC_BYTES]


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, [{"field": "cursor", "message": message}])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
