"""The OpenAPI document's vocabulary: pydantic models as OpenAPI 3.0 components, the header
(info, security schemes, tags), the statuses' texts, and the offline Swagger UI.

sanic-ext's document is OpenAPI 3.0.3 while pydantic writes JSON Schema 2020-12 (`type: "null"`,
`const`), and sanic-ext renders a pydantic v2 class passed to it wrongly: models are turned into
3.0 schemas here, registered as components, and referenced by `$ref`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, create_model
from sanic import Sanic
from swagger_ui import api_doc

from api import __version__, sanic_ext_adapter
from api.sanic_ext_adapter import Content, Parameter

UI_PREFIX = "/v1/swagger"
SPEC_URI = "/openapi.json"
MAX_PATH_ID = 2**63 - 1  # the range the `<name:id>` route pattern accepts (api.app.MAX_ID)
_REF = "#/components/schemas/{model}"
TAGS = (
    ("auth", "Registration, activation, login, tokens and the password reset"),
    ("users", "Profiles, follows, blocks, mutes, people, the feed, roles and the caller's account"),
    ("posts", "Posts, their comments and likes"),
    ("notifications", "Follows, likes, comments and mentions of the caller"),
    ("reports", "Reports of posts, comments and users, and the moderators' queue"),
    ("ops", "Operator routes (HTTP Basic)"),
    ("pages", "HTML pages the links in mail open"),
)
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer", "bearer_format": "JWT"},
    "basic": {"type": "http", "scheme": "basic"},
}

STATUS_TEXT = {
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
# Headers some responses carry, by status: documented on every operation answering that status.
ERROR_HEADERS = {
    429: {
        "Retry-After": {
            "description": "seconds until a request may succeed",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def describe(app: Sanic[Any, Any]) -> None:
    """The document's header and the offline Swagger UI."""
    sanic_ext_adapter.describe(
        app,
        "GoSocial API",
        version=__version__,
        description="A social network: users, follows, posts, a feed.",
        schemes=SECURITY_SCHEMES,
        tags=TAGS,  # declared up front: a fixed order, with descriptions
    )
    _mount_swagger_ui(app)


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
    name = model.__name__
    if not sanic_ext_adapter.has_component(name):
        schema = model.model_json_schema(ref_template=_REF)
        for nested, sub in schema.pop("$defs", {}).items():
            sanic_ext_adapter.add_component(nested, oas30(sub))
        sanic_ext_adapter.add_component(name, oas30(schema))
    return _REF.format(model=name)


def json_content(model: type[BaseModel]) -> Content:
    return {"application/json": {"$ref": component(model)}}


@cache
def envelope(model: type[BaseModel], many: bool = False) -> type[BaseModel]:
    """The `{"data": ...}` wrapper of a success body, as its own named component."""
    name = f"{model.__name__}{'List' if many else ''}Response"
    data = list[model] if many else model  # type: ignore[valid-type]  # a model made at run time
    return create_model(name, data=(data, ...))


# --------------------------------------------------------------------------------------------
# Parameters


def fields_parameters(model: type[BaseModel], where: str) -> list[Parameter]:
    """Each field of a query or headers model, named by its alias if it has one: an absent
    parameter is not null."""
    properties = oas30(model.model_json_schema(ref_template=_REF)).get("properties", {})
    result = []
    for name, field in model.model_fields.items():
        wire = field.alias or name
        schema = {k: v for k, v in properties[wire].items() if k not in ("title", "nullable")}
        if schema.get("default", 0) is None:
            del schema["default"]
        text = schema.pop("description", None)
        result.append(Parameter(wire, where, schema, text, field.is_required()))
    return result


def path_parameters(
    func: Callable[..., Any], hints: dict[str, Any], injected: Iterable[str]
) -> list[Parameter]:
    """The handler's path arguments: `int` ones are the `<name:id>` pattern's positive ids,
    others say what their annotation holds (a string pattern, say; a description)."""
    result = []
    for name in list(inspect.signature(func).parameters)[1:]:  # after `request`
        if name in injected:
            continue
        text = f"{name.removesuffix('_id')} id" if name.endswith("_id") else name
        schema: dict[str, Any]
        if hints.get(name) is int:
            schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_PATH_ID}
        else:
            schema = TypeAdapter(hints.get(name, str)).json_schema()
            text = schema.pop("description", text)
        result.append(Parameter(name, "path", schema, text))
    return result


# --------------------------------------------------------------------------------------------
# The offline Swagger UI


def _mount_swagger_ui(app: Sanic[Any, Any]) -> None:
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
