"""Invitation mail against real protocols: an aiosmtpd server and a local HTTP stand-in for
SendGrid's v3 endpoint. No PostgreSQL or Redis needed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from api.mail import (
    ConsoleMailer,
    MailError,
    RetryingMailer,
    SendGridTransport,
    SmtpTransport,
    build_mailer,
)
from api.settings import ConfigError, Settings
from tests.services import free_port, smtp_server

pytestmark = pytest.mark.asyncio

FRONTEND = "http://front.test:5173"
EXPIRES = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
API_KEY = "SG.test-key-never-logged"
SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-never-logged"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "frontend_url": FRONTEND,
        "mail_from": "GoSocial <no-reply@gosocial.test>",
        "mail_attempts": 3,
        "mail_backoff": 0.01,
        "smtp_host": "127.0.0.1",
        "smtp_starttls": False,  # aiosmtpd here speaks plain SMTP
        "smtp_tls": False,
        "smtp_username": "",
        "smtp_password": "",
        "smtp_timeout": 5.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def token() -> str:
    return secrets.token_urlsafe(32)


def client_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the service logged; aiosmtpd's own `mail.log` echoes the DATA it receives."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")


# --- SMTP ---------------------------------------------------------------------------------


class RecordingHandler:
    """Answers DATA from a script (then `default`), and records the messages it accepts."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.default = "250 Message accepted for delivery"
        self.delay = 0.0
        self.data_calls = 0
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.data_calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.startswith("250"):
            self.envelopes.append(envelope)
        return reply

    def message(self, index: int = 0) -> EmailMessage:
        raw = self.envelopes[index].original_content
        assert raw is not None
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def authenticate(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data == (SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235/535


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        yield handler, port


@pytest.fixture
def smtp_auth() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    with smtp_server(
        handler,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,  # no certificate here; production uses STARTTLS or TLS
    ) as port:
        yield handler, port


def smtp_mailer(port: int, **overrides: Any) -> RetryingMailer:
    mailer = build_mailer(make_settings(mailer="smtp", smtp_port=port, **overrides))
    assert isinstance(mailer, RetryingMailer)
    return mailer


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


async def test_smtp_delivers_multipart_invitation(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    tok = token()
    await smtp_mailer(port).send_invitation(
        username="alice", email="alice@example.com", token=tok, expires_at=EXPIRES
    )

    assert handler.data_calls == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "no-reply@gosocial.test"
    assert envelope.rcpt_tos == ["alice@example.com"]
    message = handler.message()
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Welcome to GoSocial, alice: activate your account"
    assert message["From"] == "GoSocial <no-reply@gosocial.test>"
    assert message["To"] == "alice@example.com"
    assert message["Date"] and message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@gosocial.test>")
    link = f"{FRONTEND}/confirm/{tok}"
    for content in parts(message):
        assert link in content
        assert "alice" in content
        assert "Friday 27 November 2026, 10:00 UTC" in content
    assert f'href="{link}"' in parts(message)[1]


async def test_html_part_escapes_username(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    await smtp_mailer(port).send_invitation(
        username="<b>eve</b>&co", email="eve@example.com", token=token(), expires_at=EXPIRES
    )
    text, html = parts(handler.message())
    assert "&lt;b&gt;eve&lt;/b&gt;&amp;co" in html
    assert "<b>eve" not in html
    assert "Hello <b>eve</b>&co," in text  # plain text is not HTML: shown verbatim


async def test_smtp_retries_transient_replies(
    smtp: tuple[RecordingHandler, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = smtp
    handler.replies = ["451 Try again later", "451 Try again later"]
    tok = token()
    with caplog.at_level(logging.DEBUG):
        await smtp_mailer(port).send_invitation(
            username="bob", email="bob@example.com", token=tok, expires_at=EXPIRES
        )
    assert handler.data_calls == 3
    assert len(handler.envelopes) == 1
    warnings = [r for r in caplog.records if r.name == "gosocial.mail"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    logged = client_log(caplog)
    assert "bob@example.com" in logged and "451" in logged
    assert tok not in logged and "/confirm/" not in logged


async def test_smtp_permanent_reply_fails_at_once(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    handler.default = "550 Mailbox unavailable"
    with pytest.raises(MailError):
        await smtp_mailer(port).send_invitation(
            username="bob", email="bob@example.com", token=token(), expires_at=EXPIRES
        )
    assert handler.data_calls == 1
    assert handler.envelopes == []


async def test_smtp_gives_up_after_mail_attempts(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    handler.default = "451 Try again later"
    with pytest.raises(MailError, match="after 4 attempt"):
        await smtp_mailer(port, mail_attempts=4).send_invitation(
            username="bob", email="bob@example.com", token=token(), expires_at=EXPIRES
        )
    assert handler.data_calls == 4


async def test_smtp_slow_server_times_out_and_retries(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    handler.delay = 2.0
    with pytest.raises(MailError, match="after 2 attempt"):
        await smtp_mailer(port, mail_attempts=2, smtp_timeout=0.3).send_invitation(
            username="bob", email="bob@example.com", token=token(), expires_at=EXPIRES
        )
    assert handler.data_calls == 2


async def test_smtp_connection_refused_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gosocial.mail"), pytest.raises(MailError):
        await smtp_mailer(free_port()).send_invitation(
            username="bob", email="bob@example.com", token=token(), expires_at=EXPIRES
        )
    assert len([r for r in caplog.records if r.name == "gosocial.mail"]) == 3


# Deliberate: the stand-in server has no certificate, so it accepts AUTH in the clear.
auth_in_clear = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@auth_in_clear
async def test_smtp_login(smtp_auth: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp_auth
    mailer = smtp_mailer(port, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD)
    await mailer.send_invitation(
        username="carol", email="carol@example.com", token=token(), expires_at=EXPIRES
    )
    assert len(handler.envelopes) == 1


@auth_in_clear
async def test_smtp_wrong_password_is_permanent(
    smtp_auth: tuple[RecordingHandler, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = smtp_auth
    mailer = smtp_mailer(port, smtp_username=SMTP_USER, smtp_password="wrong-password-xyz")
    with caplog.at_level(logging.DEBUG), pytest.raises(MailError, match="after 1 attempt"):
        await mailer.send_invitation(
            username="carol", email="carol@example.com", token=token(), expires_at=EXPIRES
        )
    logged = client_log(caplog)
    assert "535" in logged
    assert "wrong-password-xyz" not in logged
    assert handler.data_calls == 0


# --- SendGrid -----------------------------------------------------------------------------


class SendGridStub(ThreadingHTTPServer):
    """Records each request and answers from a script of statuses (then 202)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SendGridHandler)
        self.statuses: list[int] = []
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _SendGridHandler(BaseHTTPRequestHandler):
    server: SendGridStub

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        status = self.server.statuses.pop(0) if self.server.statuses else 202
        payload = (
            b""
            if status == 202
            else json.dumps(
                {"errors": [{"message": f"stub error {status}", "field": None}]}
            ).encode()
        )
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


@pytest.fixture
def sendgrid() -> Iterator[SendGridStub]:
    server = SendGridStub()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def sendgrid_mailer(server: SendGridStub, **overrides: Any) -> RetryingMailer:
    settings = make_settings(
        mailer="sendgrid", sendgrid_api_key=API_KEY, sendgrid_api_url=server.url, **overrides
    )
    mailer = build_mailer(settings)
    assert isinstance(mailer, RetryingMailer)
    return mailer


async def test_sendgrid_posts_v3_mail_send(
    sendgrid: SendGridStub, caplog: pytest.LogCaptureFixture
) -> None:
    tok = token()
    with caplog.at_level(logging.DEBUG):
        await sendgrid_mailer(sendgrid).send_invitation(
            username="dave", email="dave@example.com", token=tok, expires_at=EXPIRES
        )

    [request] = sendgrid.requests
    assert request["path"] == "/v3/mail/send"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert request["headers"]["Content-Type"] == "application/json"
    body = request["json"]
    assert body["personalizations"] == [{"to": [{"email": "dave@example.com"}]}]
    assert body["from"] == {"email": "no-reply@gosocial.test", "name": "GoSocial"}
    assert body["subject"] == "Welcome to GoSocial, dave: activate your account"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    for content in body["content"]:
        assert f"{FRONTEND}/confirm/{tok}" in content["value"]
        assert "dave" in content["value"]
    # python_http_client logs headers and payload at DEBUG: pinned to WARNING.
    assert API_KEY not in caplog.text
    assert tok not in caplog.text


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_sendgrid_retries_transient_status(sendgrid: SendGridStub, status: int) -> None:
    sendgrid.statuses = [status]
    await sendgrid_mailer(sendgrid).send_invitation(
        username="dave", email="dave@example.com", token=token(), expires_at=EXPIRES
    )
    assert len(sendgrid.requests) == 2


async def test_sendgrid_client_error_fails_at_once(
    sendgrid: SendGridStub, caplog: pytest.LogCaptureFixture
) -> None:
    sendgrid.statuses = [400]
    with caplog.at_level(logging.WARNING), pytest.raises(MailError, match="after 1 attempt"):
        await sendgrid_mailer(sendgrid).send_invitation(
            username="dave", email="dave@example.com", token=token(), expires_at=EXPIRES
        )
    assert len(sendgrid.requests) == 1
    assert "HTTP 400" in caplog.text and "stub error 400" in caplog.text


async def test_sendgrid_unreachable_is_retried() -> None:
    settings = make_settings(
        mailer="sendgrid",
        sendgrid_api_key=API_KEY,
        sendgrid_api_url=f"http://127.0.0.1:{free_port()}",
        mail_attempts=2,
    )
    with pytest.raises(MailError, match="after 2 attempt"):
        await build_mailer(settings).send_invitation(
            username="dave", email="dave@example.com", token=token(), expires_at=EXPIRES
        )


# --- console and wiring -------------------------------------------------------------------


async def test_console_mailer_logs_the_link(caplog: pytest.LogCaptureFixture) -> None:
    tok = token()
    mailer = build_mailer(make_settings(mailer="console"))
    assert isinstance(mailer, ConsoleMailer)
    with caplog.at_level(logging.INFO, logger="gosocial.mail"):
        await mailer.send_invitation(
            username="erin", email="erin@example.com", token=tok, expires_at=EXPIRES
        )
    [record] = [r for r in caplog.records if r.name == "gosocial.mail"]
    assert record.levelno == logging.INFO
    assert f"{FRONTEND}/confirm/{tok}" in record.getMessage()
    assert "erin@example.com" in record.getMessage()


async def test_console_mailer_logs_the_reset_link(caplog: pytest.LogCaptureFixture) -> None:
    tok = token()
    mailer = build_mailer(make_settings(mailer="console"))
    with caplog.at_level(logging.INFO, logger="gosocial.mail"):
        await mailer.send_password_reset(
            username="erin", email="erin@example.com", token=tok, expires_at=EXPIRES
        )
    [record] = [r for r in caplog.records if r.name == "gosocial.mail"]
    assert f"{FRONTEND}/reset-password/{tok}" in record.getMessage()
    assert record.getMessage().startswith("password reset (console mailer) to erin@example.com")


async def test_smtp_delivers_the_multipart_reset_mail(smtp: tuple[RecordingHandler, int]) -> None:
    handler, port = smtp
    tok = token()
    await smtp_mailer(port).send_password_reset(
        username="<b>bob</b>", email="bob@example.com", token=tok, expires_at=EXPIRES
    )
    assert handler.data_calls == 1
    message = handler.message()
    text, html = parts(message)
    link = f"{FRONTEND}/reset-password/{tok}"
    assert link in text and f'href="{link}"' in html
    assert "&lt;b&gt;bob&lt;/b&gt;" in html and "<b>bob</b>" in text  # escaped in HTML only
    assert message["Subject"] == "Reset your GoSocial password, <b>bob</b>"
    assert "Friday 27 November 2026, 10:00 UTC" in text


async def test_links_lead_to_the_service_itself_by_default() -> None:
    settings = Settings(_env_file=None, host="127.0.0.1", port=8123)
    assert settings.links_base == "http://127.0.0.1:8123"
    assert Settings(_env_file=None, host="::1", port=8123).links_base == "http://[::1]:8123"
    assert (
        Settings(_env_file=None, frontend_url="https://app.test/").links_base == "https://app.test"
    )


async def test_build_mailer_wiring() -> None:
    assert isinstance(
        build_mailer(make_settings(mailer="smtp", smtp_port=2525))._transport,  # type: ignore[attr-defined]
        SmtpTransport,
    )
    assert isinstance(
        build_mailer(make_settings(mailer="sendgrid", sendgrid_api_key=API_KEY))._transport,  # type: ignore[attr-defined]
        SendGridTransport,
    )
    with pytest.raises(ConfigError):
        build_mailer(make_settings(mail_from="not an address"))
