"""Request parsing: pydantic models in; `400` with per-field details out, never the input."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic.exceptions import BadRequest

from api.errors import ApiError

M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], data: object, message: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
            for err in exc.errors(include_input=False, include_url=False, include_context=False)
        ]
        raise ApiError(400, message, details) from None


def json_body(request: Request, model: type[M]) -> M:
    try:
        data = request.json
    except BadRequest:
        raise ApiError(400, "the request body is not valid JSON") from None
    return _validate(model, data if data is not None else {}, "invalid request body")


def query(request: Request, model: type[M]) -> M:
    return _validate(
        model, {k: request.args.get(k) for k in request.args}, "invalid query parameters"
    )
