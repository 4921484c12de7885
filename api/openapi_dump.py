"""`python -m api.openapi_dump [PATH]`: write the OpenAPI document (default: stdout).

The document is the one `/v1/swagger/openapi.json` serves, built the way sanic-ext builds it
when the server starts, but without starting one: no PostgreSQL, Redis or network needed.
`--check PATH` exits 1 when PATH differs from the current document.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from api.app import create_app
from api.sanic_ext_adapter import build_document as built
from api.settings import Settings


def build_document() -> dict[str, Any]:
    """The OpenAPI document of a freshly built app (call once per process: sanic-ext's
    specification is a process-wide singleton)."""
    # Development defaults: the document does not depend on secrets, mailers or databases.
    return built(create_app(Settings(_env_file=None, env="development", mailer="console")))


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def render(document: dict[str, Any]) -> str:
    """Stable text: the router hands routes out in no fixed order, and components are
    registered in the order modules are imported, so paths and schemas are sorted."""
    paths = document.get("paths", {})
    components = document.get("components", {})
    if "schemas" in components:
        schemas = components["schemas"]
        components = {**components, "schemas": {name: schemas[name] for name in sorted(schemas)}}
    document = {
        **document,
        "components": components,
        "paths": {
            path: dict(
                sorted(
                    paths[path].items(),
                    key=lambda kv: _METHODS.index(kv[0]) if kv[0] in _METHODS else -1,
                )
            )
            for path in sorted(paths)
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, help="file to write (default: stdout)")
    parser.add_argument("--check", action="store_true", help="compare with PATH, write nothing")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        if args.path is None:
            parser.error("--check needs PATH")
        current = args.path.read_text() if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is out of date: run `make gen-docs`", file=sys.stderr)
            return 1
        return 0
    if args.path is None:
        sys.stdout.write(text)
    else:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
