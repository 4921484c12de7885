"""OpenAPI helpers: the `doc(...)` decorator of every handler, and the offline Swagger UI.

sanic-ext renders a pydantic v2 class passed straight to `openapi.body`/`response` wrongly, and
its document is OpenAPI 3.0.3 while pydantic writes JSON Schema 2020-12 (`type: "null"`,
`const`). So the models are turned into 3.0 schemas here and registered as components, and
operations reference them by `$ref`; parameters and empty responses are written as raw objects
because sanic-ext's own conversion of a plain dict is wrong too.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from functools import cache, wraps
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, create_model
from sanic import HTTPResponse, Sanic
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationStore, SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import MediaType, Response
from sanic_ext.extensions.openapi.types import Schema
from swagger_ui import api_doc

from api import validation
from api.auth import current_user, require_basic
from api.context import ApiRequest
from api.schemas import Error

Handler = Callable[..., Awaitable[HTTPResponse]]

UI_PREFIX = "/v1/swagger"
SPEC_URI = "/openapi.json"
MAX_PATH_ID = 2**63 - 1  # the range the `<name:id>` route pattern accepts (api.app.MAX_ID)
_REF = "#/components/schemas/{model}"
OAS_TAGS = (
    ("auth", "Registration, activation, login, tokens and the password reset"),
    ("users", "Profiles, follows, the feed, roles and the caller's own account"),
    ("posts", "Posts and their comments"),
    ("ops", "Operator routes (HTTP Basic)"),
    ("pages", "HTML pages the links in mail open"),
)

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    400: "Invalid input",
    401: "Missing or invalid credentials",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Body too large",
    415: "Body not JSON",
    422: "Idempotency-Key already used with a different request",
    429: "Rate limited",
    500: "Unexpected error",
    503: "A dependency is down",
}


class RawSchema(Schema):
    """A schema object serialized exactly as given (sanic-ext's `Schema` drops unknown keys)."""

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


class RawResponse(Response):
    """A response object with its `headers` kept (sanic-ext's `Response` drops them)."""

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


# Headers some responses carry, by status: documented on every operation answering that status.
_ERROR_HEADERS = {
    429: {
        "Retry-After": {
            "description": "seconds until a request may succeed",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


# --------------------------------------------------------------------------------------------
# JSON Schema 2020-12 (pydantic) to OpenAPI 3.0 schema objects


def oas30(schema: Any) -> Any:
    """`schema` rewritten for OpenAPI 3.0: `nullable` for `null` unions, `enum` for `const`."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: oas30(sub) for name, sub in value.items()}
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = [oas30(sub) for sub in value]
        elif key in ("items", "additionalProperties", "not"):
            out[key] = oas30(value)
        else:
            out[key] = value
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[plain], out[bound] = value, True
    branches = out.get("anyOf")
    if branches and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            out = {**rest[0], **out}
        else:
            # `$ref` siblings are ignored in 3.0: wrap the reference.
            out["allOf" if len(rest) == 1 else "anyOf"] = rest
        out["nullable"] = True
    return out


def component(model: type[BaseModel]) -> str:
    """Register `model` (and the models it nests) as 3.0 components; its `$ref`."""
    spec = SpecificationBuilder()
    name = model.__name__
    if not spec.has_component("schemas", name):
        schema = model.model_json_schema(ref_template=_REF)
        for nested, sub in schema.pop("$defs", {}).items():
            if not spec.has_component("schemas", nested):
                spec.add_component("schemas", nested, oas30(sub))
        spec.add_component("schemas", name, oas30(schema))
    return _REF.format(model=name)


def ref(model: type[BaseModel]) -> dict[str, dict[str, str]]:
    return {"application/json": {"$ref": component(model)}}


@cache
def envelope(model: type[BaseModel], many: bool = False) -> type[BaseModel]:
    """The `{"data": ...}` wrapper of a success body, as its own named component."""
    name = f"{model.__name__}{'List' if many else ''}Response"
    data = list[model] if many else model  # type: ignore[valid-type]  # a model made at run time
    return create_model(name, data=(data, ...))


# --------------------------------------------------------------------------------------------
# Parameters


def _parameters(model: type[BaseModel]) -> list[tuple[str, dict[str, Any], bool, str | None]]:
    """(name, schema, required, description) of each field of a query or headers model, named
    by its alias if it has one: an absent parameter is not null."""
    properties = oas30(model.model_json_schema(ref_template=_REF)).get("properties", {})
    result = []
    for name, field in model.model_fields.items():
        wire = field.alias or name
        schema = {k: v for k, v in properties[wire].items() if k not in ("title", "nullable")}
        if schema.get("default", 0) is None:
            del schema["default"]
        result.append((wire, schema, field.is_required(), schema.pop("description", None)))
    return result


def _path_parameters(
    func: Callable[..., Any], hints: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """The handler's path arguments: `int` ones are the `<name:id>` pattern's positive ids,
    others say what their annotation holds (a string pattern, say)."""
    result = []
    for name in list(inspect.signature(func).parameters)[1:]:  # after `request`
        if name in _INJECTED:
            continue
        if hints.get(name) is int:
            schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_PATH_ID}
        else:
            schema = TypeAdapter(hints.get(name, str)).json_schema()
        result.append((name, schema))
    return result


# --------------------------------------------------------------------------------------------
# The decorator

# The handler arguments `doc` fills, each with the parser of its part of the request.
_INJECTED: dict[str, Callable[[ApiRequest, type[BaseModel]], BaseModel]] = {
    "body": validation.json_body,
    "query": validation.query,
    "headers": validation.headers,
}


def doc(
    summary: str,
    *,
    tag: str,
    ok: tuple[int, type[BaseModel] | str | None],
    errors: tuple[int, ...] = (),
    many: bool = False,
    auth: Literal["bearer", "basic"] | None = "bearer",
    also: str | None = None,
    enveloped: bool = True,
    ok_also: tuple[int, ...] = (),
    limited: bool = True,
    why: dict[int, str] | None = None,
    ok_headers: dict[str, str] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare a route once: it is documented as declared and enforced as documented.

    `auth` is checked first (`bearer`: an active user in `request.ctx.user`, `also` naming a
    path parameter whose user is read in the same cache round trip; `basic`: the ops
    credentials). A handler that takes a `body`, `query` or `headers` argument names its model
    there, once: the model is documented, and parsed from the JSON body, the query string or
    the headers into that argument after `auth` (a `400` when it does not parse).
    `ok`'s model may be a media type instead: a text body (`/metrics`).
    `ok_also`: other statuses answered with the success shape
    (health's `503`). Every operation also documents `500`, and `429` unless not `limited`
    (the probes); with a body, `400`,
    `413` and `415`; with a query or headers, `400`; with `auth`, `401`. `why`: what a status
    means on this route, where it says more than the status's name; `ok_headers`: headers the
    success response may carry (name: description).
    """

    def decorate(func: Handler) -> Handler:
        hints = typing.get_type_hints(func, include_extras=True)
        models = {name: hints[name] for name in _INJECTED if name in hints}

        @wraps(func)
        async def endpoint(request: ApiRequest, *args: Any, **kwargs: Any) -> HTTPResponse:
            if auth == "bearer":
                await current_user(request, kwargs[also] if also else None)
            elif auth == "basic":
                require_basic(request)
            for name, model in models.items():
                kwargs[name] = _INJECTED[name](request, model)
            return await func(request, *args, **kwargs)

        return _document(endpoint, func, hints, models)

    def _document(
        func: Handler, handler: Handler, hints: dict[str, Any], models: dict[str, type[BaseModel]]
    ) -> Handler:
        body, query, headers = (models.get(name) for name in _INJECTED)
        operation = OperationStore()[func]
        status, model = ok
        func = openapi.summary(summary)(func)
        func = openapi.tag(tag)(func)
        func = openapi.operation(func.__name__)(func)
        for name, schema in _path_parameters(handler, hints):
            text = f"{name.removesuffix('_id')} id" if name.endswith("_id") else name
            func = openapi.parameter(name, RawSchema(**schema), "path", description=text)(func)
        for where, fields in (("query", query), ("header", headers)):
            for name, schema, required, description in _parameters(fields) if fields else []:
                func = openapi.parameter(
                    name, RawSchema(**schema), where, required=required, description=description
                )(func)
        if body is not None:
            func = openapi.body(ref(body), required=True)(func)

        described = {**_STATUS_TEXT, **(why or {})}
        success_headers = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in (ok_headers or {}).items()
        }
        for code in (status, *ok_also):
            content: dict[str, Any] | None = None
            if isinstance(model, str):  # a text body of that media type
                content = {model: {"type": "string"}}
            elif model is not None:
                content = ref(envelope(model, many) if enveloped else model)
            operation.responses[code] = RawResponse(
                None if content is None else MediaType.all(content),
                status=code,
                description=described[code],
                headers=success_headers or None,
            )
        statuses = set(errors) | {500} | ({429} if limited else set())
        if body is not None:
            statuses |= {400, 413, 415}
        if query is not None or headers is not None:
            statuses.add(400)
        if auth:
            statuses.add(401)
        for code in sorted(statuses - {status, *ok_also}):
            operation.responses[code] = RawResponse(
                MediaType.all(ref(Error)),
                status=code,
                description=described[code],
                headers=_ERROR_HEADERS.get(code),
            )
        if auth:
            func = openapi.secured(auth)(func)
        return func

    return decorate


# --------------------------------------------------------------------------------------------
# The offline Swagger UI


def mount_swagger_ui(app: Sanic) -> None:
    """Swagger UI at `/v1/swagger/`, its assets served from the swagger-ui-py package itself.

    The page reads sanic-ext's `/v1/swagger/openapi.json`; nothing is loaded from elsewhere
    (the online validator badge is off).
    """
    api_doc(
        app,
        app_type="sanic",
        config_rel_url=SPEC_URI,
        url_prefix=UI_PREFIX,
        title="GoSocial API",
        parameters={
            "validatorUrl": "null",
            "persistAuthorization": "true",
            "operationsSorter": '"alpha"',
        },
    )
