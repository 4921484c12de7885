"""Request parsing: pydantic models in; `400` with per-field details out, never the input.

An error costs little whatever the input: a body with far more structure than any valid one is
refused before it is parsed (parsing 1 MiB of JSON takes 20 to 80 ms, counting its quotes,
commas, colons and brackets 1 ms); unknown keys are found by comparing the body's keys with the
model's before anything else; only the first few problems are described (api/errors.py caps
`details`); and the walk for unstorable text covers only what the model accepted."""

from __future__ import annotations

import functools
import itertools
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sanic import Request

from api.errors import MAX_DETAILS, ApiError, field_name
from api.schemas import PATTERN_RULES

M = TypeVar("M", bound=BaseModel)


def _unstorable(value: object, path: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Strings PostgreSQL cannot store or UTF-8 cannot encode (NUL, lone surrogates): they would
    fail deep in the database or in bcrypt as a 500, so they are refused here as a 400."""
    if isinstance(value, str):
        problem = None
        if "\x00" in value:
            problem = "must not contain NUL characters"
        else:
            try:
                value.encode()
            except UnicodeEncodeError:
                problem = "must be valid Unicode text"
        return [{"field": ".".join(path) or "body", "message": problem}] if problem else []
    found: list[dict[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            found += _unstorable(name, (*path, "(key)")) or _unstorable(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _unstorable(item, (*path, str(index)))
    return found


# What JSON writes a value's structure with; every character of a string adds at most one of
# them (`"` is escaped as `\"`), whitespace and numbers none.
_STRUCTURE = b'",:[{'


def _most(schema: dict[str, Any], defs: dict[str, Any]) -> int | None:
    """The most _STRUCTURE bytes a JSON value valid against `schema` can hold; None: no bound
    (a string without maxLength, a list without maxItems)."""
    if "$ref" in schema:
        return _most(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "properties" in schema:  # each member: its name's quotes, a colon and a comma
        members = [_most(value, defs) for value in schema["properties"].values()]
        return None if None in members else 1 + sum(4 + m for m in members if m is not None)
    if "enum" in schema or "const" in schema:
        return max(len(orjson.dumps(v)) for v in schema.get("enum", [schema.get("const")]))
    if choices := schema.get("anyOf") or schema.get("oneOf"):
        bounds = [_most(choice, defs) for choice in choices]
        return None if None in bounds else max(b for b in bounds if b is not None)
    kind = schema.get("type")
    if kind == "string" and "maxLength" in schema:
        return 2 + int(schema["maxLength"])
    if kind == "array" and "maxItems" in schema:
        item = _most(schema.get("items", {}), defs)
        return None if item is None else 1 + int(schema["maxItems"]) * (item + 1)
    return 0 if kind in ("integer", "number", "boolean", "null") else None


@functools.cache
def _structure_limit(model: type[BaseModel]) -> tuple[int, int] | None:
    """A valid body's most _STRUCTURE bytes, and the count past which a body is refused
    unparsed: twice that and a little, so a body a few fields or items off is still parsed and
    its problems named."""
    schema = model.model_json_schema()
    most = _most(schema, schema.get("$defs", {}))
    return None if most is None else (most, 2 * most + 256)


def _far_too_big(model: type[BaseModel], body: bytes) -> ApiError | None:
    limits = _structure_limit(model)
    if limits is None or len(body) <= limits[1]:  # fewer bytes cannot hold more
        return None
    found = len(body) - len(body.translate(None, _STRUCTURE))
    if found <= limits[1]:
        return None
    return ApiError(
        400,
        f"the request body is not read: it holds {found} quotes, commas, colons and brackets, "
        f"where a valid one holds at most {limits[0]} (unknown or repeated fields, or too many "
        "items)",
    )


def _names(model: type[BaseModel]) -> frozenset[str]:
    """The keys a model takes: its fields' names on the wire (aliases where set)."""
    return frozenset(field.alias or name for name, field in model.model_fields.items())


def _unknown_keys(model: type[BaseModel], data: object) -> ApiError | None:
    """A body's keys the model does not know, before pydantic would describe each of them."""
    if not isinstance(data, dict) or model.model_config.get("extra") != "forbid":
        return None
    known = _names(model)
    unknown = len(data) - sum(1 for name in known if name in data)
    if not unknown:
        return None
    first = itertools.islice((key for key in data if key not in known), MAX_DETAILS)
    details = [{"field": field_name(key), "message": "unknown field"} for key in first]
    fields = ", ".join(f"`{name}`" for name in sorted(known))
    return ApiError(400, f"unknown fields: this body takes {fields}", details, problems=unknown)


def _validate(model: type[M], data: object, message: str) -> M:
    unknown = _unknown_keys(model, data)
    if unknown is not None:
        raise unknown
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": _message(err)}
            for err in exc.errors(include_input=False, include_url=False)[:MAX_DETAILS]
        ]
        raise ApiError(400, message, details, problems=exc.error_count()) from None
    # Only the fields the model accepted, so within its bounds.
    problems = _unstorable(data)
    if problems:
        raise ApiError(400, message, problems)
    return parsed


def _message(error: ErrorDetails) -> str:
    if error["type"] == "string_pattern_mismatch":
        rule = PATTERN_RULES.get(str(error.get("ctx", {}).get("pattern")))
        return rule or "has characters or a form that is not allowed here"
    if error["type"] == "value_error":  # our validators' own sentence, without pydantic's prefix
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "extra_forbidden":
        return "unknown field"
    return error["msg"]


def json_body(request: Request[Any, Any], model: type[M]) -> M:
    if request.body and not _declared_json(request.headers.get("content-type", "")):
        raise ApiError(415, "the request body must be JSON (Content-Type: application/json)")
    data: object = None
    if request.body:
        refused = _far_too_big(model, request.body)
        if refused is not None:
            raise refused
        # orjson: half the time of the standard library's parser on a body of many keys; it
        # refuses what is not Unicode (a lone surrogate escape) and numbers beyond 64 bits.
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"the request body is not valid JSON: {exc.msg}") from None
    if data is None and not any(f.is_required() for f in model.model_fields.values()):
        # The document requires the body; a model with no required field would take its absence.
        raise ApiError(400, "invalid request body", [{"field": "body", "message": "required"}])
    return _validate(model, data if data is not None else {}, "invalid request body")


def _declared_json(content_type: str) -> bool:
    """`application/json` or `application/<anything>+json`, whatever the parameters."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def query(request: Request[Any, Any], model: type[M]) -> M:
    # Blank values are kept: `?until=` is an invalid date-time, not an absent one.
    args = request.get_args(keep_blank_values=True)
    return _validate(model, {k: args.get(k) for k in args}, "invalid query parameters")


def headers(request: Request[Any, Any], model: type[M]) -> M:
    # Only the headers the model declares, by their names on the wire (its fields' aliases).
    names = [field.alias or name for name, field in model.model_fields.items()]
    given = {name: request.headers[name] for name in names if name in request.headers}
    return _validate(model, given, "invalid headers")
