"""The one module that touches sanic-ext: its `openapi` decorators and the internals under them.

Written for the versions in WRITTEN_FOR (tests/unit/test_sanic_ext_adapter.py fails on any other, so
an upgrade comes here first). What it relies on, to re-check then:

- `OperationStore()[handler]`: the operation a handler's `openapi.*` decorators fill (keyed by
  the function object); its `responses` dict is serialized as it is, status by status.
- `types.Schema` and `definitions.Response` drop the keys they do not know (their `guard`):
  RawSchema and RawResponse keep them (`pattern`, a response's `headers`).
- `SpecificationBuilder()`: a process-wide singleton holding the components.
- The document is built by the `before_server_start` listener of sanic-ext's "openapi"
  blueprint (`build_spec`), read from the blueprint's private `_future_listeners` to build the
  document without starting a server (`build_document`).

Everything else describes operations with plain data (`Operation`) and never imports sanic-ext.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sanic import HTTPResponse, Sanic
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationStore, SpecificationBuilder
from sanic_ext.extensions.openapi.definitions import MediaType, Response
from sanic_ext.extensions.openapi.types import Schema

WRITTEN_FOR = {"sanic": "25.12.1", "sanic-ext": "25.12.0"}

Handler = Callable[..., Awaitable[HTTPResponse]]
Content = dict[str, dict[str, Any]]  # media type -> schema object


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    where: str  # path, query, header
    schema: dict[str, Any]
    description: str | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class Answer:
    description: str
    content: Content | None = None
    headers: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the document, in OpenAPI 3.0's terms."""

    operation_id: str
    summary: str
    tag: str
    description: str | None = None
    parameters: list[Parameter] = field(default_factory=list)
    body: Content | None = None  # a required JSON body
    answers: dict[int, Answer] = field(default_factory=dict)  # by status, in document order
    security: str | None = None  # a security scheme's name


class RawSchema(Schema):
    """A schema object serialized exactly as given (sanic-ext's `Schema` drops unknown keys)."""

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


class RawResponse(Response):
    """A response object with its `headers` kept (sanic-ext's `Response` drops them)."""

    def guard(self, fields: dict[str, Any]) -> dict[str, Any]:
        return fields


def document(handler: Handler, operation: Operation) -> Handler:
    """Put `operation` in the document, for the route `handler` will be registered as."""
    stored = OperationStore()[handler]
    handler = openapi.summary(operation.summary)(handler)
    if operation.description:
        handler = openapi.description(operation.description)(handler)
    handler = openapi.tag(operation.tag)(handler)
    handler = openapi.operation(operation.operation_id)(handler)
    for p in operation.parameters:
        handler = openapi.parameter(
            p.name, RawSchema(**p.schema), p.where, description=p.description, required=p.required
        )(handler)
    if operation.body is not None:
        handler = openapi.body(operation.body, required=True)(handler)
    for status, answer in operation.answers.items():
        stored.responses[status] = RawResponse(
            None if answer.content is None else MediaType.all(answer.content),
            status=status,
            description=answer.description,
            headers=answer.headers,
        )
    if operation.security:
        handler = openapi.secured(operation.security)(handler)
    return handler


def add_component(name: str, schema: dict[str, Any]) -> None:
    """`components.schemas[name]`, unless a schema of that name is there already."""
    spec = SpecificationBuilder()
    if not spec.has_component("schemas", name):
        spec.add_component("schemas", name, schema)


def has_component(name: str) -> bool:
    return bool(SpecificationBuilder().has_component("schemas", name))


def describe(
    app: Sanic[Any, Any],
    title: str,
    version: str,
    description: str,
    schemes: dict[str, dict[str, Any]],
    tags: tuple[tuple[str, str], ...],
) -> None:
    """The document's header: its info, security schemes (name: type and options), and tags in
    this order."""
    spec = app.ext.openapi
    spec.describe(title, version=version, description=description)
    for name, scheme in schemes.items():
        options = dict(scheme)
        spec.add_security_scheme(name, options.pop("type"), **options)
    for name, text in tags:
        spec.tag(name, text)


def build_document(app: Sanic[Any, Any]) -> dict[str, Any]:
    """The document `app` serves once started, built without starting it (call once per
    process: the specification is a process-wide singleton)."""
    app.router.finalize()  # the route groups sanic-ext walks exist only once finalized
    for listener in app.blueprints["openapi"]._future_listeners:
        if listener.event == "before_server_start":
            listener.listener(app)  # type: ignore[call-arg]  # build_spec: operations, path parameters
    document: dict[str, Any] = SpecificationBuilder().build(app).serialize()
    return document
