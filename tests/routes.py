"""The routes the service declares (`@endpoint`, api/endpoint.py), read from its router: what
the OpenAPI and rate-limit tests expect, derived rather than kept by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sanic_routing import Route

from api.app import create_app
from api.endpoint import Contract, contract
from api.settings import Settings


@dataclass(frozen=True)
class Declared:
    method: str
    path: str  # as the OpenAPI document writes it: /v1/posts/{post_id}
    route: Route
    contract: Contract

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


@cache
def declared() -> tuple[Declared, ...]:
    """Every declared (method, route), in a fixed order; the app is made once per process
    (Sanic refuses a second app of the same name)."""
    app = create_app(Settings(_env_file=None, env="development", mailer="console"))
    app.router.finalize()
    found = []
    for route in app.router.routes:
        declaration = contract(route.handler)
        if declaration is None:
            continue  # sanic-ext's document and the Swagger UI's assets
        path = re.sub(r"<(\w+)(?::[^>]*)?>", r"{\1}", route.uri)
        found += [Declared(method, path, route, declaration) for method in route.methods]
    return tuple(sorted(found, key=lambda d: (d.path, d.method)))
