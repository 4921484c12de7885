"""Mail with a link (the invitation, the password reset): jinja2 templates, one message
builder, three senders, one retry loop.

Senders: `console` (development: logs the link, which is its mailbox), `smtp` (aiosmtplib) and
`sendgrid` (the official library). Every failure inside a sender is classified as transient
(retried with backoff) or permanent (given up at once); every delivery failure reaches the
caller as `MailError` (on which a registration is rolled back).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import aiosmtplib
import python_http_client.exceptions
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sendgrid import SendGridAPIClient

from api import metrics
from api.settings import ConfigError, Settings

logger = logging.getLogger("gosocial.mail")

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    # Usernames are user input: escape them in HTML, leave the text part and subject verbatim.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,  # a misspelt variable fails the send instead of mailing a blank
    keep_trailing_newline=True,
)


class MailError(Exception):
    """The mail was not delivered: the last attempt failed, or the refusal was permanent."""


class _SendFailure(Exception):
    """One failed attempt, with a log-safe reason (never the token, the link or a secret)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class Mailer(Protocol):
    async def send_invitation(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        """Deliver the invitation; raise MailError when it cannot be delivered."""
        ...

    async def send_password_reset(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        """Deliver the password reset link; raise MailError when it cannot be delivered."""
        ...


Transport = Callable[[EmailMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Kind:
    """One mail with a link: its templates (`<template>.html`, `.txt`, `_subject.txt`), the
    page its link opens, and how the logs name it (never with the link)."""

    template: str
    page: str
    name: str


INVITATION = Kind("invitation", "confirm", "invitation")
PASSWORD_RESET = Kind("password_reset", "reset-password", "password reset")


def link_url(settings: Settings, kind: Kind, token: str) -> str:
    # Tokens are URL-safe already; quoting guards the path against anything else.
    return f"{settings.links_base}/{kind.page}/{quote(token, safe='')}"


def build_message(
    settings: Settings,
    kind: Kind,
    *,
    username: str,
    email: str,
    token: str,
    expires_at: datetime,
) -> EmailMessage:
    """A mail of `kind` as one multipart/alternative message (text first, HTML preferred)."""
    if expires_at.tzinfo is None:  # timestamptz comes back aware; a naive value is taken as UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    expires_utc = expires_at.astimezone(UTC)
    context = {
        "username": username,
        "url": link_url(settings, kind, token),
        # Spelled out in English rather than via %A/%B, which follow the process locale.
        "expires": f"{expires_utc:%A} {expires_utc.day} {expires_utc:%B %Y, %H:%M} UTC",
        "expires_iso": expires_utc.isoformat(timespec="seconds"),
    }
    subject = _templates.get_template(f"{kind.template}_subject.txt").render(context)

    message = EmailMessage()
    # Collapsed to one line: a newline in a header value would be rejected (or inject headers).
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.mail_from
    message["To"] = email
    message["Date"] = format_datetime(datetime.now(UTC))
    # An explicit domain: make_msgid() would otherwise call socket.getfqdn(), a DNS lookup.
    message["Message-ID"] = make_msgid(domain=_sender_domain(settings))
    message.set_content(_templates.get_template(f"{kind.template}.txt").render(context))
    message.add_alternative(
        _templates.get_template(f"{kind.template}.html").render(context), subtype="html"
    )
    return message


def _sender_domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    if "@" not in address:
        raise ConfigError("MAIL_FROM must be an email address, e.g. 'GoSocial <no-reply@host>'")
    return address.rpartition("@")[2]


class ConsoleMailer:
    """Development only (refused in production): the link goes to the log instead of a mailbox."""

    def __init__(self, settings: Settings) -> None:
        _sender_domain(settings)
        self._settings = settings

    async def send_invitation(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        await self._send(INVITATION, "activate at", username, email, token, expires_at)

    async def send_password_reset(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        await self._send(
            PASSWORD_RESET, "choose a new password at", username, email, token, expires_at
        )

    async def _send(
        self, kind: Kind, action: str, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        message = build_message(
            self._settings, kind, username=username, email=email, token=token, expires_at=expires_at
        )
        logger.info(
            "%s (console mailer) to %s, subject %r, message-id %s: %s %s",
            kind.name,
            message["To"],
            message["Subject"],
            message["Message-ID"],
            action,
            link_url(self._settings, kind, token),
        )
        metrics.MAIL_SENDS.labels("sent").inc()


class RetryingMailer:
    """Builds the mail and hands it to a transport, retrying transient failures."""

    def __init__(self, settings: Settings, transport: Transport, *, timeout: float) -> None:
        _sender_domain(settings)
        self._settings = settings
        self._transport = transport
        self._timeout = timeout

    async def send_invitation(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        await self._send(INVITATION, username, email, token, expires_at)

    async def send_password_reset(
        self, *, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        await self._send(PASSWORD_RESET, username, email, token, expires_at)

    async def _send(
        self, kind: Kind, username: str, email: str, token: str, expires_at: datetime
    ) -> None:
        message = build_message(
            self._settings, kind, username=username, email=email, token=token, expires_at=expires_at
        )
        attempts = self._settings.mail_attempts
        for attempt in range(1, attempts + 1):
            try:
                # The whole attempt is bounded: library timeouts are per step (SMTP) or per
                # socket operation (urllib), so a slow peer could otherwise hold the request.
                async with asyncio.timeout(self._timeout):
                    await self._transport(message)
                metrics.MAIL_SENDS.labels("sent").inc()
                return
            except _SendFailure as exc:
                failure = exc
            except TimeoutError:
                failure = _SendFailure(f"no answer within {self._timeout:g}s", transient=True)
            except Exception as exc:
                # A bug or a misconfiguration, not the peer: do not retry, but still surface as
                # MailError so the registration is rolled back. The type only, since the text
                # of an unknown exception might quote the mail; the traceback stays chained.
                logger.error("%s to %s: unexpected %s", kind.name, email, type(exc).__name__)
                metrics.MAIL_SENDS.labels("failed").inc()
                raise MailError(f"{kind.name} to {email} not sent") from exc

            if not failure.transient or attempt == attempts:
                logger.warning(
                    "%s to %s: attempt %d/%d failed (%s, %s); giving up",
                    kind.name,
                    email,
                    attempt,
                    attempts,
                    failure,
                    "transient" if failure.transient else "permanent",
                )
                metrics.MAIL_SENDS.labels("failed").inc()
                raise MailError(
                    f"{kind.name} to {email} not delivered after {attempt} attempt(s)"
                ) from failure
            # Full jitter: a uniform delay up to an exponentially growing cap spreads the retries
            # of many concurrent registrations instead of hitting a recovering server together.
            delay = random.uniform(0, self._settings.mail_backoff * 2 ** (attempt - 1))
            metrics.MAIL_SENDS.labels("retried").inc()
            logger.warning(
                "%s to %s: attempt %d/%d failed (%s); retrying in %.2fs",
                kind.name,
                email,
                attempt,
                attempts,
                failure,
                delay,
            )
            await asyncio.sleep(delay)


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def __call__(self, message: EmailMessage) -> None:
        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                use_tls=s.smtp_tls,
                # aiosmtplib refuses both at once; implicit TLS (port 465) wins.
                start_tls=s.smtp_starttls and not s.smtp_tls,
                timeout=s.smtp_timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise _SendFailure(
                f"recipient refused ({codes})", transient=all(400 <= c < 500 for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # RFC 5321: 4xx is "try again later" (greylisting, full queue), 5xx is final.
            raise _SendFailure(
                f"SMTP {exc.code} {exc.message}", transient=400 <= exc.code < 500
            ) from exc
        except OSError as exc:
            # Connection refused or dropped, timeouts, TLS handshake errors (aiosmtplib's
            # connect, disconnect and timeout errors are OSErrors too): the peer may recover.
            raise _SendFailure(f"{type(exc).__name__}: {exc}", transient=True) from exc
        except aiosmtplib.SMTPException as exc:
            # E.g. STARTTLS or AUTH required but not offered: configuration, not luck.
            raise _SendFailure(f"{type(exc).__name__}: {exc}", transient=False) from exc


class SendGridTransport:
    def __init__(self, settings: Settings) -> None:
        # At DEBUG this library logs the request headers (the API key) and the body (the link).
        logging.getLogger("python_http_client").setLevel(logging.WARNING)
        self._client = SendGridAPIClient(settings.sendgrid_api_key, host=settings.sendgrid_api_url)
        self._timeout = settings.smtp_timeout

    async def __call__(self, message: EmailMessage) -> None:
        body = _sendgrid_body(message)
        try:
            # The library is synchronous: run it in a thread. asyncio.timeout cannot stop that
            # thread, so urllib gets the same timeout and the thread ends on its own.
            await asyncio.to_thread(
                self._client.client.mail.send.post, request_body=body, timeout=self._timeout
            )
        except python_http_client.exceptions.HTTPError as exc:
            status = exc.status_code
            raise _SendFailure(
                f"SendGrid HTTP {status} {exc.reason}{_sendgrid_errors(exc.body)}",
                transient=status >= 500 or status == 429,
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            # URLError, refused or reset connections, socket timeouts, truncated responses.
            raise _SendFailure(f"{type(exc).__name__}: {exc}", transient=True) from exc


def _sendgrid_body(message: EmailMessage) -> dict[str, Any]:
    """The v3 /mail/send body for a message made by build_message."""
    sender: Address = message["From"].addresses[0]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None  # build_message always adds both
    from_: dict[str, str] = {"email": sender.addr_spec}
    if sender.display_name:
        from_["name"] = sender.display_name
    return {
        "personalizations": [{"to": [{"email": a.addr_spec} for a in message["To"].addresses]}],
        "from": from_,
        "subject": str(message["Subject"]),
        # SendGrid requires text/plain before text/html.
        "content": [
            {"type": "text/plain", "value": text.get_content()},
            {"type": "text/html", "value": html.get_content()},
        ],
        # No Message-ID: SendGrid sets its own (and answers with X-Message-Id).
    }


def _sendgrid_errors(body: bytes | str | None) -> str:
    """SendGrid's `errors[].message` texts, which say what is wrong without echoing the mail."""
    try:
        errors = json.loads(body or b"")["errors"]
        return ": " + "; ".join(str(e["message"]) for e in errors)[:300]
    except (ValueError, TypeError, KeyError):
        return ""


def build_mailer(settings: Settings) -> Mailer:
    """The mailer MAILER names; raises ConfigError for an unusable MAIL_FROM."""
    if settings.mailer == "smtp":
        # SMTP_TIMEOUT is the budget of one attempt, so that MAIL_ATTEMPTS x SMTP_TIMEOUT plus
        # the backoff stays within REQUEST_TIMEOUT; it doubles as the per-step timeout.
        return RetryingMailer(settings, SmtpTransport(settings), timeout=settings.smtp_timeout)
    if settings.mailer == "sendgrid":
        return RetryingMailer(settings, SendGridTransport(settings), timeout=settings.smtp_timeout)
    return ConsoleMailer(settings)
