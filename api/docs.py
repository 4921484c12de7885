"""OpenAPI helpers: pydantic models registered as components and referenced by `$ref`.

sanic-ext renders a pydantic v2 class passed straight to `openapi.body`/`response` wrongly;
registered components referenced by a raw `$ref` come out right, nested models included.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, create_model
from sanic_ext.extensions.openapi import openapi

from api.schemas import Error

F = TypeVar("F", bound=Callable[..., Any])

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Invalid input",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    429: "Rate limited",
    500: "Unexpected error",
    503: "A dependency is down",
}


def ref(model: type[BaseModel]) -> dict[str, dict[str, str]]:
    openapi.component(model)
    return {"application/json": {"$ref": f"#/components/schemas/{model.__name__}"}}


@cache
def envelope(model: type[BaseModel], many: bool = False) -> type[BaseModel]:
    """The `{"data": ...}` wrapper of a success body, as its own named component."""
    name = f"{model.__name__}{'List' if many else ''}Response"
    return create_model(name, data=(list[model] if many else model, ...))


def doc(
    summary: str,
    *,
    tag: str,
    ok: tuple[int, type[BaseModel] | None],
    errors: tuple[int, ...] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    many: bool = False,
    auth: str | None = "bearer",
    enveloped: bool = True,
) -> Callable[[F], F]:
    """Document a handler: summary, request body, query parameters, responses and security."""

    def decorate(func: F) -> F:
        status, model = ok
        func = openapi.summary(summary)(func)
        func = openapi.tag(tag)(func)
        if body is not None:
            func = openapi.body(ref(body), required=True)(func)
        for name, field in (query.model_fields if query else {}).items():
            schema = {"type": "integer"} if field.annotation is int else {"type": "string"}
            func = openapi.parameter(name, schema, "query", description=field.description)(func)
        content = ref(envelope(model, many) if enveloped else model) if model else None
        func = openapi.response(status, content, _STATUS_TEXT[status])(func)
        statuses = set(errors) | {429, 500}
        if auth:
            statuses.add(401)
        for code in sorted(statuses):
            func = openapi.response(code, ref(Error), _STATUS_TEXT[code])(func)
        if auth:
            func = openapi.secured(auth)(func)
        return func

    return decorate
