"""Schemathesis checks of GoSocial's own rules, loaded by `tests/service/test_fuzz.py`
(hooks = ...)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable

import schemathesis
from pydantic import TypeAdapter, ValidationError
from schemathesis import Case

from api.schemas import Email

_INTERNALS = ("Traceback", "asyncpg", "sqlstate", "SELECT ", "social.", "api.", 'File "')


@schemathesis.check
def error_body_shape(ctx, response, case) -> None:
    """Every error is `{"error": str}` or `{"error": str, "details": [{field, message}, ...]}`,
    names no internals, and every response carries X-Request-ID."""
    if not response.headers.get("x-request-id"):
        raise AssertionError("X-Request-ID header missing")
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"error body is not JSON: {response.content[:200]!r}") from None
    if not isinstance(body, dict) or set(body) not in ({"error"}, {"error", "details"}):
        raise AssertionError(f"error body not in the contract's shape: {body!r}")
    if not isinstance(body["error"], str) or not body["error"]:
        raise AssertionError(f"`error` is not a sentence: {body!r}")
    if "details" in body:
        details = body["details"]
        if not isinstance(details, list) or not details:
            raise AssertionError(f"`details` is not a non-empty list: {body!r}")
        for item in details:
            if (
                not isinstance(item, dict)
                or set(item) != {"field", "message"}
                or not all(isinstance(v, str) for v in item.values())
            ):
                raise AssertionError(f"a `details` entry is not {{field, message}}: {body!r}")
    text = response.content.decode(errors="replace")
    leaked = [word for word in _INTERNALS if word in text]
    if leaked:
        raise AssertionError(f"error body names internals {leaked}: {text[:300]}")


# --------------------------------------------------------------------------------------------
# What the document cannot say: the rules OpenAPI 3.0 has no keyword for, so a request the
# document calls valid may still break one and get its 400. Every positive case is brought
# inside them before it is sent, so that positive_data_acceptance holds the service to the rest
# of the document; negative cases are left as generated. One rule a line, with its reason, in
# EXCLUSIONS. (Also unsayable, but never generated, as schemathesis writes UTF-8 text: lone
# surrogates, which JSON can escape and which the service refuses as not Unicode.)


def _password_bytes(case: Case) -> None:
    password = _body(case).get("password")
    if isinstance(password, str):
        while len(password.encode()) > 72:
            password = password[:-1]
        _body(case)["password"] = password + "p" * max(0, 8 - len(password.encode()))


def _ten_distinct_tags(case: Case) -> None:
    tags = _body(case).get("tags")
    if isinstance(tags, list):
        kept = list(dict.fromkeys(tag.lower() for tag in tags))[:10]
        _body(case)["tags"] = [tag for tag in tags if tag.lower() in kept]


def _deliverable_email(case: Case) -> None:
    email = _body(case).get("email")
    mailing = ("/v1/auth/register", "/v1/auth/password/forgot", "/v1/auth/activation/resend")
    if case.path in mailing and isinstance(email, str):
        try:
            TypeAdapter(Email).validate_python(email)
        except ValidationError:
            _body(case)["email"] = f"fuzz-{len(email)}@example.com"


def _one_version(case: Case) -> None:
    if case.method == "PATCH" and isinstance(case.body, dict):
        version = case.body.get("version")
        if version is None and (case.headers or {}).get("If-Match", "*").strip() == "*":
            case.body["version"] = 1
        elif version is not None and "If-Match" in case.headers:
            case.headers["If-Match"] = f'"{version}"'


def _something_to_change(case: Case) -> None:
    body = case.body if case.method == "PATCH" else None
    if isinstance(body, dict) and all(body.get(f) is None for f in ("title", "content", "tags")):
        body["title"] = "fuzz"


def _not_oneself(case: Case) -> None:
    own = int(os.environ["GOSOCIAL_FUZZ_USER_ID"])
    target = case.path_parameters.get("user_id")  # a string in the coverage phase
    oneself = ("follow", "block", "mute")
    if case.path in {f"/v1/users/{{user_id}}/{verb}" for verb in oneself} and str(target) == str(
        own
    ):
        case.path_parameters["user_id"] = type(target)(own + 1)


def _action_resolves(case: Case) -> None:
    body = _body(case)
    if case.path == "/v1/reports/{report_id}" and body.get("status") == "dismissed":
        body.pop("action", None)


def _content_to_delete(case: Case) -> None:
    body = _body(case)
    if case.path == "/v1/reports/{report_id}" and body.get("action") == "delete_content":
        body.pop("action")


def _no_made_up_cursor(case: Case) -> None:
    if isinstance(case.query, dict):
        case.query.pop("cursor", None)


def _one_request_per_key(case: Case) -> None:
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and key:
        request = json.dumps([case.path, case.path_parameters, case.body], sort_keys=True)
        digest = hashlib.sha256(request.encode()).hexdigest()
        case.headers["Idempotency-Key"] = f"{key[:190]}-{digest}"


EXCLUSIONS: tuple[tuple[str, Callable[[Case], None]], ...] = (
    ("a password is 8 to 72 bytes: minLength and maxLength count characters", _password_bytes),
    ("at most 10 distinct tags ignoring case: maxItems counts duplicates too", _ten_distinct_tags),
    ("email-validator refuses more than `format: email` does", _deliverable_email),
    (
        "PATCH needs `version` or If-Match naming it (`*` names none): no rule spans body and "
        "header",
        _one_version,
    ),
    (
        "a PATCH changes a field: null stands for unchanged, `required` allows it",
        _something_to_change,
    ),
    ("nobody follows, blocks or mutes itself: the caller is not in the document", _not_oneself),
    (
        "a report closed with an action is resolved: no rule ties one field to another",
        _action_resolves,
    ),
    (
        "delete_content needs a report of content: what a report names is stored, not documented",
        _content_to_delete,
    ),
    ("a cursor is signed: only one the service issued (in a Link) is valid", _no_made_up_cursor),
    (
        "an Idempotency-Key names one request: no keyword ties a header to a body",
        _one_request_per_key,
    ),
)


@schemathesis.hook
def map_case(context, case: Case) -> Case:
    if case.meta is not None and case.meta.generation.mode.is_positive:
        for _, keep_inside in EXCLUSIONS:
            keep_inside(case)
    return case


def _body(case: Case) -> dict:
    return case.body if isinstance(case.body, dict) else {}
