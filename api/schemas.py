"""Request and response models (the DTOs); request models reject unknown fields.

The request models are the single source of the input rules: `@endpoint` (api/endpoint.py)
validates with them and writes them into the OpenAPI document, so every bound OpenAPI 3.0 can
state (lengths, patterns, ranges, enums) is stated here, as a constraint. What it cannot state
(bytes rather than characters, case-insensitive duplicates) is a validator, and
tests/fuzz_hooks.py lists it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_INT4 = 2**31 - 1
MAX_BIGINT = 2**63 - 1
# api.validation refuses NUL in any string (PostgreSQL text cannot hold it); free text says so.
NO_NUL = r"^[^\u0000]*$"
# Post text: something other than whitespace, and no NUL (CHECK posts_*_not_blank too).
NOT_BLANK = r"^[^\u0000]*[^\u0000\s][^\u0000]*$"
# At most 5 comma-separated tags of 1 to 32 characters, no NUL; empty means no filter.
FEED_TAGS = r"^([^,\u0000]{1,32}(,[^,\u0000]{1,32}){0,4})?$"
USERNAME = r"^[A-Za-z0-9_.-]+$"
# What pydantic parses of RFC 3339: seconds, at most 9 fractional digits, an offset in minutes.
RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
# A mailed link's token (activation, password reset): api.security.new_link_token's alphabet.
LINK_TOKEN = r"^[A-Za-z0-9_-]{32,128}$"
# Printable ASCII (docs/api.md, idempotency); no space at either end, which HTTP would strip in
# transit.
IDEMPOTENCY_KEY = r"^[!-~]([ -~]*[!-~])?$"


def _decimal_up_to(limit: int) -> str:
    """A pattern of the decimal numbers 1 to `limit`, so a string can carry a bounded number:
    fewer digits than `limit`, or as many and below it from some digit on, or `limit` itself."""
    top = str(limit)

    def below(i: int) -> str:
        low, high, rest = int(i == 0), int(top[i]) - 1, len(top) - i - 1
        digit = str(low) if low == high else f"[{low}-{high}]"
        return top[:i] + digit + ("" if rest == 0 else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}")

    same = [below(i) for i in range(len(top)) if int(top[i]) > int(i == 0)]
    return "(?:" + "|".join([f"[1-9][0-9]{{0,{len(top) - 2}}}", *same, top]) + ")"


# If-Match (RFC 9110 §13.1.1): `*`, or a comma-separated list of entity-tags (`"x"`, `W/"x"`),
# empty elements allowed, the empty list too (§5.6.1: `#element`), which matches nothing.
# docs/api.md writes a post's entity-tag `"<version>"`: a tag holding anything but a version the
# body field could hold is malformed here.
ENTITY_TAG = rf'(?:W/)?"{_decimal_up_to(MAX_INT4)}"'
IF_MATCH = rf"^(?:\*|[ \t,]*(?:{ENTITY_TAG}(?:[ \t]*,[ \t,]*{ENTITY_TAG})*[ \t,]*)?)$"
CURSOR = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
_TYPE = "(?:follow|like|comment|mention)"
NOTIFICATION_TYPES = rf"^{_TYPE}(?:,{_TYPE})*$"

# Each pattern's rule in words, for the `400` details (pydantic's own message quotes the regex).
PATTERN_RULES = {
    NO_NUL: "must not contain NUL characters",
    NOT_BLANK: "must contain more than whitespace, and no NUL characters",
    FEED_TAGS: "at most 5 comma-separated tags of 1 to 32 characters",
    USERNAME: "only letters, digits, `_`, `.` and `-`",
    IF_MATCH: '`*`, or the ETag of the version you read (`"3"`); several separated by commas',
    IDEMPOTENCY_KEY: "printable ASCII characters only",
    RFC3339: "must be an RFC 3339 date-time with an offset",
    LINK_TOKEN: "is not a token this service mailed",
    CURSOR: 'is not a cursor this service sent: take it from a `Link: rel="next"`',
    NOTIFICATION_TYPES: "comma-separated types among follow, like, comment and mention",
}


def _password_bytes(value: str) -> str:
    # bcrypt's limit is 72 bytes, not characters: 37 "é" are 74 bytes.
    if not 8 <= len(value.encode()) <= 72:
        raise ValueError("must be 8 to 72 bytes long")
    return value


def _at_most_72_bytes(value: str) -> str:
    # A longer password cannot be right, and bcrypt 5 raises on it (a 500) instead of answering.
    if len(value.encode()) > 72:
        raise ValueError("must be at most 72 bytes long")
    return value


def _email(value: str) -> str:
    """A valid address of at most 255 characters, as docs/api.md says, normalized as EmailStr
    normalizes. email-validator caps a whole address at 254 (RFC 5321's path less its angle
    brackets): each part is checked by it alone, with a short stand-in for the other."""
    if len(value) > 255:
        raise ValueError("must be at most 255 characters long")
    local, at, domain = value.rpartition("@")
    if not at:
        raise ValueError("must be an email address: an @-sign is missing")
    try:
        local_part = validate_email(f"{local}@example.com", check_deliverability=False)
        domain_part = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    return f"{local_part.local_part}@{domain_part.domain}"


def _rfc3339(value: object) -> object:
    # pydantic alone also takes Unix timestamps ("0.5") and dates without a time.
    if isinstance(value, str) and not re.fullmatch(RFC3339, value):
        if re.fullmatch(RFC3339, value[:-6] + value[-6:].replace(" ", "+")):
            # `+02:00` sent unencoded: a query string's `+` is a space (form encoding).
            raise ValueError("the offset's `+` arrived as a space: send it as `%2B`")
        raise ValueError("must be an RFC 3339 date-time with an offset")
    return value


def _in_utc(value: datetime) -> datetime:
    # An offset can take year 1 or 9999 past datetime's range once in UTC, where asyncpg cannot
    # send it (a 500); no post is that old or new, so the range's end is the same bound.
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


def _distinct(tags: list[str]) -> list[str]:
    # As social.distinct_tags: duplicates compared case-insensitively, the first spelling stays.
    unique: dict[str, str] = {}
    for tag in tags:
        unique.setdefault(tag.lower(), tag)
    if len(unique) > 10:
        raise ValueError("at most 10 distinct tags")
    return list(unique.values())


Username = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=USERNAME)]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=255),
    AfterValidator(_email),
    WithJsonSchema(
        {"type": "string", "format": "email", "minLength": 3, "maxLength": 255},
    ),
]
# 8 to 72 bytes; in characters (what the document can say) that is at least 2 and at most 72.
Password = Annotated[
    str,
    StringConstraints(min_length=2, max_length=72, pattern=NO_NUL),
    AfterValidator(_password_bytes),
    Field(description="8 to 72 bytes in UTF-8 (bcrypt's limit), not characters: 37 `é` are 74"),
]
Title = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NOT_BLANK)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=NOT_BLANK)]
CommentText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=NO_NUL)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_NUL)]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=100,
        description="at most 10 distinct tags, compared case-insensitively (duplicates are "
        "removed, the first spelling kept)",
    ),
    AfterValidator(_distinct),
]
Rfc3339 = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_in_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
]
# Opaque to clients: the `Link: rel="next"` of a full page carries the next one's.
Cursor = Annotated[
    str,
    StringConstraints(max_length=200, pattern=CURSOR),
    Field(description='from the previous page\'s `Link: rel="next"`; not with an offset'),
]
InvitationToken = Annotated[str, StringConstraints(pattern=LINK_TOKEN)]  # a path segment


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RegisterBody(Body):
    username: Username
    email: Email
    password: Password


# A password given to be checked: any length a stored one could have.
GivenPassword = Annotated[
    str,
    StringConstraints(min_length=1, max_length=72, pattern=NO_NUL),
    AfterValidator(_at_most_72_bytes),
    Field(description="at most 72 bytes in UTF-8 (bcrypt's limit), not characters"),
]


class LoginBody(Body):
    email: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=NO_NUL)]
    password: GivenPassword


class ForgotBody(Body):
    email: Email


class ResetBody(Body):
    token: Annotated[str, StringConstraints(max_length=128, pattern=LINK_TOKEN)]
    password: Password


class PasswordChangeBody(Body):
    current_password: GivenPassword
    password: Password


class PasswordBody(Body):
    password: GivenPassword


class RefreshBody(Body):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=NO_NUL)]


class PostCreate(Body):
    title: Title
    content: Content
    tags: Tags = []


def _one_change_at_least(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """`anyOf` one of the fields to change required: every field but `version`."""
    schema["anyOf"] = [{"required": [f]} for f in schema["properties"] if f != "version"]


class PostUpdate(Body):
    # At least one field to change (api.update_post refuses an update of nothing): documented
    # here so clients and generated tests know it.
    model_config = ConfigDict(json_schema_extra=_one_change_at_least)

    title: Title | None = None
    content: Content | None = None
    tags: Tags | None = None
    # The version the client read; If-Match may carry it instead.
    version: Annotated[int, Field(ge=1, le=MAX_INT4)] | None = None


class CommentCreate(Body):
    content: CommentText


class RoleBody(Body):
    role: Literal["user", "moderator", "admin"]


class ResendBody(Body):
    email: Email


Id = Annotated[int, Field(ge=1, le=MAX_BIGINT)]
REPORT_TARGETS = ("post_id", "comment_id", "user_id")


def _one_target(schema: dict[str, Any], model: type[BaseModel]) -> None:
    schema["oneOf"] = [{"required": [target]} for target in REPORT_TARGETS]
    for target in REPORT_TARGETS:  # absent rather than a null default
        schema["properties"][target].pop("default", None)


class ReportCreate(Body):
    model_config = ConfigDict(json_schema_extra=_one_target)

    # Absent or an id, never null (the document's oneOf counts the fields present): an absent
    # one is None (defaults are not validated), a null is refused like any other non-integer.
    post_id: Id = None  # type: ignore[assignment]
    comment_id: Id = None  # type: ignore[assignment]
    user_id: Id = None  # type: ignore[assignment]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=NO_NUL)]

    @model_validator(mode="after")
    def _exactly_one_target(self) -> ReportCreate:
        if sum(getattr(self, target) is not None for target in REPORT_TARGETS) != 1:
            raise ValueError("name exactly one of post_id, comment_id and user_id")
        return self


def _no_null_action(schema: dict[str, Any], model: type[BaseModel]) -> None:
    schema["properties"]["action"].pop("default", None)


class ReportClose(Body):
    model_config = ConfigDict(json_schema_extra=_no_null_action)

    status: Literal["resolved", "dismissed"]
    # Absent or an action, never null (OpenAPI 3.0 cannot put null in an enum).
    action: Annotated[
        Literal["delete_content", "suspend_user"], Field(description="only with `resolved`")
    ] = None  # type: ignore[assignment]


class Query(BaseModel):
    # Query strings are text: numbers are parsed (lax), unknown parameters are ignored.
    model_config = ConfigDict(extra="ignore")


class FeedQuery(Query):
    limit: int = Field(20, ge=1, le=20)
    offset: int = Field(0, ge=0, le=MAX_INT4)
    sort: Literal["asc", "desc"] = "desc"
    tags: Annotated[str, StringConstraints(pattern=FEED_TAGS)] | None = None
    search: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] | None = None
    since: Rfc3339 | None = None
    until: Rfc3339 | None = None
    cursor: Cursor | None = None

    @property
    def tag_list(self) -> list[str] | None:
        return _split_tags(self.tags) or None


def _split_tags(value: str | None) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in (value or "").split(",") if t.strip()))


class CommentsQuery(Query):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=MAX_INT4)
    cursor: Cursor | None = None


def _no_offset(data: Any) -> Any:
    """docs/api.md, revision 1.2: the new lists page by cursor only, so `offset` is a `400`
    (named as its own field) rather than ignored like an unknown parameter."""
    if isinstance(data, dict) and "offset" in data:
        error = PydanticCustomError(
            "value_error", "not taken here: follow the `Link` header's cursor"
        )
        raise ValidationError.from_exception_data(
            "query", [InitErrorDetails(type=error, loc=("offset",), input=data["offset"])]
        )
    return data


class ReportsQuery(Query):
    status: Literal["open", "resolved", "dismissed"] = "open"
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None

    _cursor_only = model_validator(mode="before")(_no_offset)


class NotificationsQuery(Query):
    limit: int = Field(20, ge=1, le=50)
    cursor: Cursor | None = None
    types: Annotated[str, StringConstraints(pattern=NOTIFICATION_TYPES)] | None = Field(
        None, description="only these types (comma-separated)"
    )

    _cursor_only = model_validator(mode="before")(_no_offset)

    @property
    def type_list(self) -> list[str] | None:
        return self.types.split(",") if self.types else None


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up_to: Id | None = Field(None, description="the newest notification read; absent: all")


class UserSearchQuery(Query):
    q: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)] = Field(
        description="the start of a username, compared without regard to case"
    )
    limit: int = Field(20, ge=1, le=20)


class UserListQuery(Query):
    """A list of users (likers, blocks, mutes, followers): cursor pages, newest first."""

    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor | None = None

    _cursor_only = model_validator(mode="before")(_no_offset)


class Headers(BaseModel):
    # A field's alias is its header's name; headers the model does not declare are ignored.
    model_config = ConfigDict(extra="ignore")


class PostUpdateHeaders(Headers):
    if_match: Annotated[str, StringConstraints(pattern=IF_MATCH)] | None = Field(
        None,
        alias="If-Match",
        description='the version read, as its ETag (`"<version>"`): stands in for the body '
        "field. `*` says nothing of the version; of a list, the post's current version must "
        "be one; a weak tag never matches (strong comparison, RFC 9110 §13.1.1)",
    )

    @property
    def versions(self) -> frozenset[int] | None:
        """The versions If-Match names (None: no If-Match, or `*`). A weak tag never matches:
        If-Match compares strongly (RFC 9110 §13.1.1)."""
        if self.if_match is None or self.if_match == "*":
            return None
        tags = re.findall(r'(W/)?"([0-9]+)"', self.if_match)
        return frozenset(int(version) for weak, version in tags if not weak)


class CreateHeaders(Headers):
    idempotency_key: (
        Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=IDEMPOTENCY_KEY)]
        | None
    ) = Field(
        None,
        alias="Idempotency-Key",
        description="1 to 255 printable ASCII characters: the same key and body within 24 "
        "hours creates nothing new and answers the first answer again",
    )


# --------------------------------------------------------------------------------------------
# Response shapes, for the OpenAPI document only: never validated (the database builds the JSON
# itself, and the ops routes build theirs by hand).


class Role(BaseModel):
    id: int
    name: Literal["user", "moderator", "admin"]
    level: int


class User(BaseModel):
    id: int
    username: str
    email: str | None = Field(None, description="only for the user itself and admins")
    created_at: datetime
    is_active: bool
    role: Role
    followers_count: int = Field(description="may lag by up to CACHE_TTL seconds")
    following_count: int = Field(description="may lag by up to CACHE_TTL seconds")
    posts_count: int = Field(description="may lag by up to CACHE_TTL seconds")


class Author(BaseModel):
    """A user as lists and posts name it."""

    id: int
    username: str


class Relationship(BaseModel):
    """How the caller and another user stand, from the caller's side."""

    following: bool
    followed_by: bool
    blocking: bool
    blocked_by: bool
    muting: bool


class Post(BaseModel):
    id: int
    user_id: int
    title: str
    content: str
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    comments_count: int
    likes_count: int
    liked: bool = Field(description="whether the caller likes it")
    user: Author


class Comment(BaseModel):
    id: int
    post_id: int
    user_id: int
    content: str
    created_at: datetime
    user: Author


class ReportTarget(BaseModel):
    type: Literal["post", "comment", "user"]
    id: int


class Report(BaseModel):
    id: int
    reporter: Author
    target: ReportTarget
    reason: str
    status: Literal["open", "resolved", "dismissed"]
    action: Literal["delete_content", "suspend_user"] | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: Author | None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class Accepted(BaseModel):
    message: str


class FieldError(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    error: str
    details: list[FieldError] | None = None


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    database: Literal["ok", "down"]
    cache: Literal["ok", "off", "down"]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    env: str
    version: str
    database: Literal["ok", "unavailable"]
    cache: Literal["ok", "unavailable", "disabled"]


class PoolFigures(BaseModel):
    size: int
    idle: int
    in_use: int
    min: int
    max: int
    waiting: int = Field(description="callers waiting to acquire a connection")


class CacheFigures(BaseModel):
    enabled: bool
    hits: int
    misses: int
    errors: int


class RateLimitFigures(BaseModel):
    enabled: bool
    rejected: int


class ReadFigures(BaseModel):
    replicas: bool = Field(description="DATABASE_READ_URL is set")
    on_replica: int = Field(description="read-only calls a replica answered")
    on_primary: int = Field(
        description="read-only calls the primary answered although replicas are set: the "
        "caller's last write not yet replayed, or no replica available"
    )


class DebugVars(BaseModel):
    version: str
    uptime_seconds: float
    tasks: int = Field(description="live asyncio tasks of this worker")
    database: PoolFigures
    reads: ReadFigures
    cache: CacheFigures
    rate_limit: RateLimitFigures
    requests: dict[str, int] = Field(description="responses by status class, e.g. `2xx`")


class PostRef(BaseModel):
    id: int
    title: str


class CommentRef(BaseModel):
    id: int
    content: str


class Notification(BaseModel):
    id: int
    type: Literal["follow", "like", "comment", "mention"]
    created_at: datetime
    read: bool
    actor: Author
    post: PostRef | None = Field(description="every type but follow: the post (commented on)")
    comment: CommentRef | None = Field(description="a comment, or a mention in one")


class UnreadCount(BaseModel):
    count: int
