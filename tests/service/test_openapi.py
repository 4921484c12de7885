"""The OpenAPI document and the offline Swagger UI, checked against the running service."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from api.app import MAX_ID
from api.endpoint import limited
from api.openapi import TAGS
from api.openapi_dump import render
from api.schemas import RFC3339, CommentsQuery, FeedQuery
from tests.routes import Declared, declared

ROOT = Path(__file__).resolve().parents[2]
DOCS_FILE = ROOT / "docs" / "openapi.json"

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def spec(base_url: str) -> dict[str, Any]:
    r = httpx.get(f"{base_url}/v1/swagger/openapi.json", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def schema_of(spec: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    ref = content["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_document_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    validate(spec)  # raises with the offending location
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "GoSocial API"


def test_every_declared_route_and_nothing_else(spec: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert documented == {(d.method, d.path) for d in declared()}
    assert len(documented) > 20  # the router was read, not an empty app
    assert not any(path.startswith("/v1/swagger") for path in spec["paths"])


@pytest.mark.parametrize("route", declared(), ids=Declared.id.fget)
def test_security_and_responses(spec: dict[str, Any], route: Declared) -> None:
    path, (status, body) = route.path, route.contract.ok
    operation = spec["paths"][path][route.method.lower()]
    assert operation["summary"] and operation["tags"]
    if route.contract.auth:
        assert operation["security"] == [{route.contract.auth: []}]
        assert "401" in operation["responses"]
    else:
        assert not operation.get("security")  # public; the document has no global requirement
    responses = operation["responses"]
    assert str(status) in responses
    if body is None:
        assert "content" not in responses[str(status)]
    elif isinstance(body, str):  # a text body: the pages' HTML, Prometheus' exposition format
        assert responses[str(status)]["content"] == {body: {"schema": {"type": "string"}}}
    else:
        assert schema_of(spec, responses[str(status)]["content"])["required"]
    success = responses[str(status)].get("content")
    for code, response in responses.items():
        assert response["description"]
        # An error has the error shape, unless declared with the success shape (health's 503).
        if code.startswith(("4", "5")) and response.get("content") != success:
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    assert "500" in responses


@pytest.mark.parametrize("route", declared(), ids=Declared.id.fget)
def test_429_is_documented_exactly_where_the_limiter_counts(
    spec: dict[str, Any], route: Declared
) -> None:
    """The document's promise is the middleware's decision (api.endpoint.limited, which
    api/middleware.py asks for every request), route by route."""
    responses = spec["paths"][route.path][route.method.lower()]["responses"]
    assert ("429" in responses) == limited(route.route), route.id
    if "429" in responses:
        assert "Retry-After" in responses["429"]["headers"]


def test_some_routes_are_exempt_and_the_rest_limited() -> None:
    exempt = {d.path for d in declared() if not limited(d.route)}
    assert exempt == {"/livez", "/readyz"}  # the probes; docs/api.md "Rate limits"
    assert limited(None)  # a request no route answers is counted


def test_security_schemes(spec: dict[str, Any]) -> None:
    assert not spec.get("security")
    assert spec["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "basic": {"type": "http", "scheme": "basic"},
    }


def test_path_ids_are_positive_integers(spec: dict[str, Any]) -> None:
    seen = 0
    for _, path, operation in operations(spec):
        names = re.findall(r"\{(\w+)\}", path)
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(params) == set(names), path
        for name, param in params.items():
            assert param["required"] is True
            if name.endswith("_id"):
                seen += 1
                assert param["schema"] == {
                    "type": "integer",
                    "format": "int64",
                    "minimum": 1,
                    "maximum": MAX_ID,
                }, path
            else:
                assert param["schema"]["type"] == "string"
    assert seen == sum(d.path.count("_id}") for d in declared()) > 0


def test_request_bodies_are_closed_components(spec: dict[str, Any]) -> None:
    bodies = {}
    for method, path, operation in operations(spec):
        if "requestBody" in operation:
            assert operation["requestBody"]["required"] is True
            bodies[(method, path)] = schema_of(spec, operation["requestBody"]["content"])
    assert set(bodies) == {(d.method, d.path) for d in declared() if "body" in d.contract.models}
    for key, schema in bodies.items():
        assert schema["type"] == "object" and schema["additionalProperties"] is False, key
        assert "model_config" not in schema["properties"], key
        assert "413" in spec["paths"][key[1]][key[0].lower()]["responses"], key
    register = bodies[("POST", "/v1/auth/register")]
    assert register["required"] == ["username", "email", "password"]
    assert bodies[("POST", "/v1/posts")]["required"] == ["title", "content"]
    assert bodies[("PUT", "/v1/users/{user_id}/role")]["properties"]["role"]["enum"] == [
        "user",
        "moderator",
        "admin",
    ]
    assert "required" not in bodies[("PATCH", "/v1/posts/{post_id}")]  # version or If-Match
    assert bodies[("POST", "/v1/auth/password/reset")]["required"] == ["token", "password"]
    assert bodies[("PUT", "/v1/users/me/password")]["required"] == [
        "current_password",
        "password",
    ]
    assert bodies[("DELETE", "/v1/users/me")]["required"] == ["password"]


def wire_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_query_parameters(spec: dict[str, Any]) -> None:
    def query(path: str) -> dict[str, dict[str, Any]]:
        params = spec["paths"][path]["get"]["parameters"]
        return {p["name"]: p["schema"] for p in params if p["in"] == "query"}

    feed = query("/v1/users/feed")
    assert set(feed) == wire_names(FeedQuery)
    assert feed["limit"] == {"type": "integer", "minimum": 1, "maximum": 20, "default": 20}
    assert feed["sort"]["enum"] == ["asc", "desc"] and feed["sort"]["default"] == "desc"
    assert feed["since"]["format"] == "date-time" and feed["since"]["pattern"] == RFC3339
    assert feed["search"]["maxLength"] == 100
    comments = query("/v1/posts/{post_id}/comments")
    assert set(comments) == wire_names(CommentsQuery)
    assert comments["offset"]["minimum"] == 0


def test_no_json_schema_2020_keywords_in_a_3_0_document(spec: dict[str, Any]) -> None:
    text = json.dumps(spec["components"])
    assert '"type": "null"' not in text and '"const"' not in text and "$defs" not in text


def test_committed_document_is_the_served_one(spec: dict[str, Any]) -> None:
    assert DOCS_FILE.read_text() == render(spec), "docs/openapi.json is stale: make gen-docs"


def test_gen_docs_needs_no_database(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    out = tmp_path / "openapi.json"
    proc = subprocess.run(
        [sys.executable, "-m", "api.openapi_dump", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == DOCS_FILE.read_text()
    validate(json.loads(out.read_text()))


# --------------------------------------------------------------------------------------------
# Swagger UI, served by the service itself


def test_swagger_ui_assets_are_local(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        page = client.get("/v1/swagger/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert client.get("/v1/swagger").status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
        for asset in assets:
            assert asset.startswith("/v1/swagger/"), asset  # nothing from a CDN
            assert client.get(asset).status_code == 200, asset
        assert "/v1/swagger/openapi.json" in page.text
        assert "cdn" not in page.text.lower()
        assert client.get("/v1/swagger/redoc").status_code == 404  # Redoc is off


def test_swagger_ui_renders_offline_in_headless_chromium(base_url: str) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed: scripts/bootstrap.sh installs it (apt-get)")
    with tempfile.TemporaryDirectory(prefix="gosocial-chromium-") as profile:
        proc = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                # Offline: every host name but the service's address fails to resolve.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{base_url}/v1/swagger/",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'class="swagger-ui' in dom, dom[:2000]
    assert "opblock" in dom
    assert "/v1/posts/{post_id}" in dom
    assert "GoSocial API" in dom
    for tag, _ in TAGS:
        assert f'data-tag="{tag}"' in dom
