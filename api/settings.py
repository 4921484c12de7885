"""Every configuration variable of the service, typed, with its default (one place).

Values come from the environment, then from an optional `.env` file in the working directory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "gosocial-development-secret-change-me"  # refused in production


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    workers: int = Field(1, ge=1)
    env: Literal["development", "production"] = "development"

    database_url: str = "postgresql://gosocial@127.0.0.1:55432/gosocial"
    # Replicas for the read-only calls (api/replica_reads.py); empty: everything on DATABASE_URL.
    database_read_url: str = ""
    db_pool_min: int = Field(2, ge=0)
    db_pool_max: int = Field(20, ge=1)
    db_query_timeout: float = Field(5.0, gt=0)
    # DATABASE_URL is PgBouncer in transaction mode (api/pool.py create_pool says what changes).
    db_pgbouncer: bool = False

    # Empty: no cache and an in-process rate limiter.
    redis_url: str = "redis://127.0.0.1:56379/0"
    cache_ttl: int = Field(60, ge=1)

    jwt_secret: str = Field(DEV_JWT_SECRET, repr=False)
    jwt_issuer: str = "gosocial"
    jwt_audience: str = "gosocial"
    access_token_ttl: int = Field(900, ge=1)
    refresh_token_ttl: int = Field(604800, ge=1)
    invitation_ttl: int = Field(259200, ge=1)
    password_reset_ttl: int = Field(3600, ge=1)
    bcrypt_cost: int = Field(12, ge=4, le=16)

    mailer: Literal["console", "smtp", "sendgrid"] = "console"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = Field("", repr=False)
    smtp_starttls: bool = True
    smtp_tls: bool = False  # implicit TLS (port 465) instead of STARTTLS
    smtp_timeout: float = Field(10.0, gt=0)
    sendgrid_api_key: str = Field("", repr=False)
    sendgrid_api_url: str = "https://api.sendgrid.com"
    mail_from: str = "GoSocial <no-reply@gosocial.local>"
    mail_attempts: int = Field(3, ge=1)
    mail_backoff: float = Field(0.5, ge=0)  # first retry delay, doubled each attempt, with jitter
    # Base of the links in mail; empty: the service itself, whose /confirm and /reset-password
    # pages complete them (see `links_base`).
    frontend_url: str = ""
    # The sweeper's period (api/sweeper.py): expired invitations, idempotency keys past 24 h,
    # passed login-throttle windows.
    invitation_sweep_interval: float = Field(300.0, gt=0)
    # Login throttling per account (docs/api.md): this many failed logins for one email within the
    # window (seconds, from the first failure), and every login for it answers 429 until then.
    login_max_failures: int = Field(5, ge=1)
    login_throttle_window: int = Field(900, ge=1)

    cors_allowed_origin: str = "http://localhost:5173"
    rate_limit_enabled: bool = True
    rate_limit_requests: int = Field(20, ge=1)
    rate_limit_window: int = Field(5, ge=1)
    # Header a trusted reverse proxy sets to the client IP (e.g. X-Forwarded-For); empty: socket.
    trusted_proxy_header: str = ""
    # The edge (api/edge.py): absolute deadlines from a stage's first byte, connection caps.
    request_timeout: float = Field(60.0, gt=0)  # a whole request: its body and its answer
    header_timeout: float = Field(10.0, gt=0)  # the request line and headers; a new connection
    keep_alive_timeout: float = Field(15.0, gt=0)  # idle between requests
    max_connections: int = Field(10000, ge=1)  # open connections per worker
    max_connections_per_client: int = Field(256, ge=1)  # per worker and client address
    # SIGTERM: stop accepting, give in-flight requests this long, then close the pools.
    graceful_shutdown_timeout: float = Field(15.0, ge=0)
    access_log: bool = True  # one JSON line per request on stderr
    # OTLP/HTTP collector for traces (api/tracing.py); empty: tracing off.
    otel_exporter_otlp_endpoint: str = ""

    basic_auth_username: str = "admin"
    basic_auth_password: str = Field("admin", repr=False)  # refused in production

    @property
    def links_base(self) -> str:
        """Where the links in mail point: FRONTEND_URL, else this service's own address."""
        if self.frontend_url:
            return self.frontend_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def check_production(self) -> None:
        """Refuse development defaults in production (raises ConfigError naming each problem).

        Kept out of pydantic validation: its error text echoes every input value, secrets too.
        """
        if self.env != "production":
            return
        problems = []
        if self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
            problems.append("JWT_SECRET must be set to a random value of at least 32 characters")
        if (self.basic_auth_username, self.basic_auth_password) == ("admin", "admin"):
            problems.append("BASIC_AUTH_USERNAME/BASIC_AUTH_PASSWORD must not be admin/admin")
        if self.mailer == "console":
            problems.append("MAILER must be smtp or sendgrid")
        if self.mailer == "smtp" and not self.smtp_host:
            problems.append("MAILER=smtp needs SMTP_HOST")
        if self.mailer == "sendgrid" and not self.sendgrid_api_key:
            problems.append("MAILER=sendgrid needs SENDGRID_API_KEY")
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))


class ConfigError(Exception):
    """The configuration cannot be served."""
