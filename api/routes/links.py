"""The pages the links in mail open: `/confirm/{token}` and `/reset-password/{token}`.

Each is one static HTML page with its CSS and JavaScript inline, rendered once at start: the
script reads the token from the page's own address and sends it in the one API call that
completes the link, then says how that went. The token is never written into the page, and the
headers keep it there: no referrer, no caching, a Content-Security-Policy that lets the page run
only its own inline script and style and talk only to this service.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from typing import Annotated

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import Field
from sanic import Blueprint, HTTPResponse

from api.context import ApiRequest
from api.endpoint import endpoint
from api.mail import TEMPLATES_DIR

bp = Blueprint("links")
HTML = "text/html"

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",)),
    undefined=StrictUndefined,
)
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


@cache
def page(name: str) -> tuple[bytes, dict[str, str]]:
    """The page `templates/pages/<name>.html` and the headers it is served with."""
    html = _templates.get_template(f"pages/{name}.html").render()
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _INLINE.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(hashes['script'])}",
            f"style-src {' '.join(hashes['style'])}",
            "connect-src 'self'",
            "form-action 'none'",  # the script submits; without it, nothing does
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )
    headers = {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return html.encode(), headers


def _serve(name: str) -> HTTPResponse:
    body, headers = page(name)
    return HTTPResponse(body, 200, headers, "text/html; charset=utf-8")


def _described(call: str) -> str:
    return (
        f"An HTML page (inline CSS and JavaScript only) that calls `{call}` with the token and "
        "says whether it worked; an unknown, used or expired token shows a page saying so."
    )


# The token stays in the page's address: the route only serves the page.
PageToken = Annotated[str, Field(description="the token of the mailed link")]


@bp.get("/confirm/<token:str>")
@endpoint("The activation link's page", tag="pages", ok=(200, HTML), auth=None,
          description=_described("PUT /v1/users/activate/{token}"))  # fmt: skip
async def confirm_page(request: ApiRequest, token: PageToken) -> HTTPResponse:
    return _serve("confirm")


@bp.get("/reset-password/<token:str>")
@endpoint("The password reset link's page", tag="pages", ok=(200, HTML), auth=None,
          description=_described("POST /v1/auth/password/reset"))  # fmt: skip
async def reset_password_page(request: ApiRequest, token: PageToken) -> HTTPResponse:
    return _serve("reset_password")
