"""OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

When on, each request gets a server span named by its method and route template, continuing an
incoming W3C `traceparent`; the official asyncpg and redis instrumentations add a child span per
query and command; spans leave in batches over OTLP/HTTP (`<endpoint>/v1/traces`; the SDK's
OTEL_* variables, such as OTEL_BSP_SCHEDULE_DELAY or OTEL_EXPORTER_OTLP_HEADERS, apply). Sanic
has no official instrumentation, hence the two middleware functions here. When off, nothing of
OpenTelemetry is imported, installed or run.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from sanic import Sanic
from sanic.config import Config
from sanic.response import BaseHTTPResponse

from api import __version__
from api.context import ApiRequest, Context
from api.middleware import route_label

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def install(app: Sanic[Config, Context]) -> None:
    """The request spans' middleware; the exporter and the instrumentations once a worker
    starts (create_app also runs in Sanic's main process, which serves nothing)."""
    if not app.ctx.settings.otel_exporter_otlp_endpoint:
        return
    from opentelemetry import context, propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    async def start(request: ApiRequest) -> None:
        route = route_label(request)
        span = app.ctx.tracer.start_span(
            f"{request.method} {route}",
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": request.method,
                "http.route": route,
                "url.path": request.path,
                "url.scheme": request.scheme,
                "client.address": request.ip,
                "user_agent.original": request.headers.get("user-agent", ""),
            },
        )
        request.ctx.span = span
        request.ctx.trace_id = format(span.get_span_context().trace_id, "032x")
        # Current for the handler: the database and Redis spans become its children.
        request.ctx.span_token = context.attach(trace.set_span_in_context(span))

    async def finish(request: ApiRequest, response: BaseHTTPResponse) -> None:
        span = getattr(request.ctx, "span", None)
        if span is None:  # refused before the request middleware ran (a request timeout, say)
            return
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        context.detach(request.ctx.span_token)

    # Before the rest of the request middleware (priority 100): the rate limiter's Redis call is
    # inside the span.
    app.register_middleware(start, "request", priority=200)
    app.register_middleware(finish, "response", priority=50)
    app.before_server_start(_start_exporting)
    app.after_server_stop(_stop_exporting)


async def _start_exporting(app: Sanic[Config, Context]) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = app.ctx.settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", "gosocial"),
            "service.version": __version__,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    app.ctx.tracer_provider = provider
    app.ctx.tracer = provider.get_tracer("gosocial", __version__)


async def _stop_exporting(app: Sanic[Config, Context]) -> None:
    provider: TracerProvider | Any = app.ctx.tracer_provider
    if provider is not None:
        await asyncio.to_thread(provider.shutdown)  # exports what is still queued
