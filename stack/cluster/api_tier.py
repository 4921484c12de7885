"""The API over the cluster: Redis shared by the instances, and `python -m api` instances with
writes on the primary port, reads on the replica port and one signing key kept beside the data
(so a token is good at every instance and after a restart)."""

from __future__ import annotations

import os
import secrets
import sys
import urllib.request
from pathlib import Path

from stack import ROOT
from stack.cluster.proxies import API_CHECK
from stack.processes import Service


def api_serving(port: int) -> bool:
    """Whether an API instance (or HAProxy's front) answers its check on `port` with a 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{API_CHECK}", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def redis(base_dir: Path, port: int) -> Service:
    """Redis for the cache, the rate limiter and the write positions; nothing kept on disk."""
    directory = base_dir / "redis"
    return Service(
        "redis",
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(directory)),
        ],
        directory / "redis.log",
    )


class ApiTier:
    """What an API instance over the cluster is given. `overrides`: variables on top of
    `env()`'s for every instance (e.g. the rate limit of the tests)."""

    def __init__(
        self,
        base_dir: Path,
        *,
        primary_url: str,
        replica_url: str,
        redis_url: str,
        front_url: str,
        overrides: dict[str, str],
    ) -> None:
        self.base_dir = base_dir
        self.primary_url, self.replica_url = primary_url, replica_url
        self.redis_url, self.front_url = redis_url, front_url
        self.overrides = overrides

    def jwt_secret(self) -> str:
        """The instances' signing key: made once, then kept beside the data (mode 0600)."""
        path = self.base_dir / "api" / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
        return path.read_text().strip()

    def env(self, port: int) -> dict[str, str]:
        """An instance's variables: writes on the primary port, reads on the replica port, the
        shared Redis, console mail, the cluster's signing key; then the overrides."""
        return {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "1",
            "DATABASE_URL": self.primary_url,
            "DATABASE_READ_URL": self.replica_url,
            "REDIS_URL": self.redis_url,
            "MAILER": "console",
            "JWT_SECRET": self.jwt_secret(),
            "FRONTEND_URL": self.front_url,  # the links in mail lead to the front
            "TRUSTED_PROXY_HEADER": "X-Forwarded-For",  # HAProxy's, for the rate limiter
            **self.overrides,
        }

    def service(self, name: str, port: int, env: dict[str, str] | None = None) -> Service:
        """`python -m api` on `port` (not started), with `env` on top of `env()`, logging to
        `<name>/api.log`."""
        return Service(
            name,
            [sys.executable, "-m", "api"],
            self.base_dir / name / "api.log",
            cwd=ROOT,
            env={**self.env(port), **(env or {})},
        )
