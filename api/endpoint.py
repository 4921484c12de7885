"""The route contract: `@endpoint(...)` declares a route once, and what it documents is what it
enforces.

One declaration says who may call (`auth`), what is parsed into the handler (`body`, `query`,
`headers` arguments, by their annotated models), whether the rate limiter counts it (`limited`,
read by api/middleware.py through `limited(route)`), and what it answers; the OpenAPI operation
is written from the same values (api/openapi.py, api/sanic_ext_adapter.py).
tests/service/test_endpoint.py checks every route: 429 documented exactly when the limiter
counts it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Literal

from pydantic import BaseModel
from sanic import HTTPResponse
from sanic_routing import Route

from api import validation
from api.auth import current_user, require_basic
from api.context import ApiRequest
from api.openapi import (
    ERROR_HEADERS,
    STATUS_TEXT,
    envelope,
    fields_parameters,
    json_content,
    path_parameters,
)
from api.sanic_ext_adapter import Answer, Handler, Operation, document
from api.schemas import Error

Auth = Literal["bearer", "basic"] | None

# The handler arguments `endpoint` fills, each with the parser of its part of the request.
_INJECTED: dict[str, Callable[[ApiRequest, type[BaseModel]], BaseModel]] = {
    "body": validation.json_body,
    "query": validation.query,
    "headers": validation.headers,
}
_CONTRACT = "contract"  # the handler's attribute holding its Contract


@dataclass(frozen=True, slots=True)
class Contract:
    """What a route promises, as enforced: read by the middleware, the guard, the document."""

    auth: Auth
    limited: bool
    models: dict[str, type[BaseModel]]  # injected argument name -> model
    ok: tuple[int, type[BaseModel] | str | None]  # the success status and its body


def limited(route: Route | None) -> bool:
    """Whether the rate limiter counts a request to `route`: as its contract says; a request no
    declared route answers (404, 405, sanic-ext's own routes) is counted."""
    contract = getattr(route.handler, _CONTRACT, None) if route is not None else None
    return contract is None or contract.limited


def contract(handler: Callable[..., Any]) -> Contract | None:
    return getattr(handler, _CONTRACT, None)


def endpoint(
    summary: str,
    *,
    tag: str,
    ok: tuple[int, type[BaseModel] | str | None],
    errors: tuple[int, ...] = (),
    many: bool = False,
    auth: Auth = "bearer",
    also: str | None = None,
    enveloped: bool = True,
    ok_also: tuple[int, ...] = (),
    limited: bool = True,
    why: dict[int, str] | None = None,
    ok_headers: dict[str, str] | None = None,
    description: str | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route once: it is documented as declared and enforced as documented.

    `auth` is checked first (`bearer`: an active user in `request.ctx.user`, `also` naming a
    path parameter whose user is read in the same cache round trip; `basic`: the ops
    credentials). A handler that takes a `body`, `query` or `headers` argument names its model
    there, once: the model is documented, and parsed from the JSON body, the query string or
    the headers into that argument after `auth` (a `400` when it does not parse).
    `limited=False`: the rate limiter does not count the route (the probes), and no `429` is
    documented. `ok`'s model may be a media type instead: a text body (`/metrics`, the pages).
    `ok_also`: other statuses answered with the success shape (health's `503`). Every operation
    also documents `500`; with a body, `400`, `413` and `415`; with a query or headers, `400`;
    with `auth`, `401`. `why`: what a status means on this route, where it says more than the
    status's name; `ok_headers`: headers the success response may carry (name: description);
    `description`: the operation's longer text.
    """

    def decorate(func: Handler) -> Handler:
        hints = typing.get_type_hints(func, include_extras=True)
        models = {name: hints[name] for name in _INJECTED if name in hints}

        @wraps(func)
        async def handler(request: ApiRequest, *args: Any, **kwargs: Any) -> HTTPResponse:
            if auth == "bearer":
                await current_user(request, kwargs[also] if also else None)
            elif auth == "basic":
                require_basic(request)
            for name, model in models.items():
                kwargs[name] = _INJECTED[name](request, model)
            return await func(request, *args, **kwargs)

        setattr(handler, _CONTRACT, Contract(auth, limited, models, ok))
        operation = Operation(
            operation_id=func.__name__,
            summary=summary,
            tag=tag,
            description=description,
            parameters=[
                *path_parameters(func, hints, _INJECTED),
                *(fields_parameters(models["query"], "query") if "query" in models else []),
                *(fields_parameters(models["headers"], "header") if "headers" in models else []),
            ],
            body=json_content(models["body"]) if "body" in models else None,
            answers=_answers(models),
            security=auth,
        )
        return document(handler, operation)

    def _answers(models: dict[str, type[BaseModel]]) -> dict[int, Answer]:
        status, model = ok
        described = {**STATUS_TEXT, **(why or {})}
        success_headers = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in (ok_headers or {}).items()
        }
        content: dict[str, Any] | None = None
        if isinstance(model, str):  # a text body of that media type
            content = {model: {"type": "string"}}
        elif model is not None:
            content = json_content(envelope(model, many) if enveloped else model)
        answers = {
            code: Answer(described[code], content, success_headers or None)
            for code in (status, *ok_also)
        }
        statuses = set(errors) | {500} | ({429} if limited else set())
        if "body" in models:
            statuses |= {400, 413, 415}
        if "query" in models or "headers" in models:
            statuses.add(400)
        if auth:
            statuses.add(401)
        for code in sorted(statuses - set(answers)):
            answers[code] = Answer(described[code], json_content(Error), ERROR_HEADERS.get(code))
        return answers

    return decorate
