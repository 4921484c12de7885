"""JWT issue and verification, password hashing, token hashing and Basic auth."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import bcrypt
import jwt

from api.settings import Settings

ALGORITHM = "HS256"
_VERIFIED_MAX = 10_000  # tokens remembered per worker
_REQUIRED_CLAIMS = ["sub", "iat", "nbf", "exp", "iss", "aud", "jti", "typ"]


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def as_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True, slots=True)
class Bearer:
    """Who a valid token names, and the token epoch it was issued in."""

    user_id: int
    # The user's token epoch when the token was issued (claim `epoch`; 0 when absent, as in
    # tokens issued before epochs existed): a token of another epoch than the user's is refused.
    epoch: int


class Tokens:
    """Signs and verifies the service's JWTs; the algorithm is pinned when verifying."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.access_ttl = settings.access_token_ttl
        self.refresh_ttl = settings.refresh_token_ttl
        self._verified: dict[tuple[str, str], tuple[Bearer, float]] = {}

    def _sign(self, user_id: int, epoch: int, typ: str, ttl: int) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
            "typ": typ,
            "epoch": epoch,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def pair(self, user_id: int, epoch: int) -> TokenPair:
        """Access and refresh tokens of `user_id` in its current token `epoch`."""
        return TokenPair(
            self._sign(user_id, epoch, "access", self.access_ttl),
            self._sign(user_id, epoch, "refresh", self.refresh_ttl),
            self.access_ttl,
        )

    def verify(self, token: str, typ: str) -> Bearer | None:
        """Who a valid token of type `typ` names, else None (any defect: same answer)."""
        seen = self._verified.get((token, typ))
        if seen is not None and seen[1] > time.time():
            return seen[0]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
            bearer = Bearer(int(claims["sub"]), claims.get("epoch", 0))
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        if claims["typ"] != typ or not 0 < bearer.user_id < 2**63:
            return None
        if type(bearer.epoch) is not int:
            return None
        # Verifying costs ~8% of a feed request; a token is immutable, so a verified one stays
        # valid until it expires. Keyed by the whole token, signature included.
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[token, typ] = (bearer, claims["exp"])
        return bearer


def token_hash(token: str) -> bytes:
    """What the database stores of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).digest()


def new_link_token() -> str:
    """The token of a mailed link (activation, password reset)."""
    return secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]


class Passwords:
    """bcrypt off the event loop, on one low-priority thread per worker.

    A cost-12 hash takes ~250 ms of CPU. On the default executor several ran at once and took
    both cores from the event loops (cached GET p99 x5.8 during a login storm); one thread at
    a lower priority (Linux nice values are per thread) lets requests go first.
    """

    def __init__(self, cost: int) -> None:
        self._cost = cost
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="bcrypt", initializer=os.nice, initargs=(5,)
        )
        # Compared against when the email is unknown, so both answers take as long.
        self._dummy = bcrypt.hashpw(b"not a password", bcrypt.gensalt(cost))

    async def _run(self, func: Callable[..., bytes | bool], *args: bytes) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def hash(self, password: str) -> str:
        digest = await self._run(bcrypt.hashpw, password.encode(), bcrypt.gensalt(self._cost))
        return digest.decode()

    async def check(self, password: str, hashed: str | None) -> bool:
        stored = hashed.encode() if hashed else self._dummy
        ok = await self._run(bcrypt.checkpw, password.encode(), stored)
        return ok and hashed is not None

    def outdated(self, hashed: str) -> bool:
        """Whether a stored hash (`$2b$<cost>$...`) was made at a lower cost than BCRYPT_COST."""
        try:
            return int(hashed.split("$")[2]) < self._cost
        except (IndexError, ValueError):
            return False

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def credentials(header: str | None, scheme: str) -> str | None:
    """What an Authorization header carries after its scheme, if that is `scheme` (lower case):
    scheme names are case-insensitive (RFC 9110 §11.1), one or more spaces follow them."""
    name, _, rest = (header or "").strip().partition(" ")
    return rest.strip() if name.lower() == scheme else None


def basic_auth_ok(header: str | None, username: str, password: str) -> bool:
    """Whether an Authorization header carries these Basic credentials (constant-time compare)."""
    encoded = credentials(header, "basic")
    if not encoded:
        return False
    try:
        given = base64.b64decode(encoded, validate=True)
    except ValueError:
        return False
    expected = f"{username}:{password}".encode()
    return hmac.compare_digest(given, expected)
