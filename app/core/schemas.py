"""Schema pieces shared by every domain: pages, localized references, input base class."""

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.core.html import FORBIDDEN_CHARS_RE, plain_text
from app.core.i18n import LANG_PATTERN
from app.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN

Lang = Annotated[
    str,
    StringConstraints(pattern=LANG_PATTERN, max_length=35, to_lower=True),
    Field(description="BCP 47 language tag", examples=["uk"]),
]
# Marks a response value that is always one of the site's languages: the OpenAPI document
# lists the configured ones (SUPPORTED_LANGS) as its `enum` (app.core.openapi).
SITE_LANG_MARKER = "x-dopys-site-language"
SiteLang = Annotated[
    str,
    Field(
        description="One of the site's languages.",
        examples=["uk"],
        json_schema_extra={SITE_LANG_MARKER: True},
    ),
]
Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH),
    Field(description="Lower-case ASCII words joined by '-'", examples=["news"]),
]
# Text fields that are stripped must hold more than spaces: the pattern says so in the spec.
NOT_BLANK = r"\S"

NUL_MESSAGE = "NUL characters (U+0000) are not allowed."
CONTROL_MESSAGE = (
    "Control characters are not allowed (U+0001 to U+001F but tab, LF and CR; U+007F; "
    "lone surrogates; U+FFFE, U+FFFF)."
)


def forbidden_chars_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None: PostgreSQL refuses NUL, XML (the RSS and Atom
    feeds) the other control characters."""
    found = FORBIDDEN_CHARS_RE.search(value)
    if found is None:
        return None
    return NUL_MESSAGE if found.group() == "\x00" else CONTROL_MESSAGE


def _plain_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the str schema after this says what is wrong
    problem = forbidden_chars_problem(value)
    if problem is not None:
        raise ValueError(problem)
    text = plain_text(value)
    if value.strip() and not text.strip():
        raise ValueError("Holds only markup; plain text needs some words.")
    return text


PLAIN_TEXT_DOC = (
    "Plain text, never HTML: markup is stripped as an HTML parser reads it (a `<` followed "
    "by a letter, `/`, `!` or `?` starts a tag) and entities are decoded once, so what is "
    "stored and served holds no tag. Render it as text (escape it for HTML)."
)
# Makes a str field plain text. Goes LAST in Annotated, after StringConstraints: it runs
# first, and the constraints (lengths, pattern, stripping) then apply to the clean text.
#     Caption = Annotated[str, StringConstraints(max_length=500), PLAIN_TEXT]
PLAIN_TEXT = BeforeValidator(_plain_text)
# Any text field of up to 5,000 characters (surrounding spaces stripped; may be empty).
PlainText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
SourceKind = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=50),
    PLAIN_TEXT,
    Field(description="What kind of source it is, in plain text.", examples=["think_tank"]),
]
# dict[Lang, Name] as JSON Schema says it: every key a language tag, every value a name
# (Pydantic would render the key pattern as patternProperties, which lets other keys by).
Names = Annotated[
    dict[Lang, Name],
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": LANG_PATTERN, "maxLength": 35},
            "additionalProperties": {
                "type": "string",
                "description": PLAIN_TEXT_DOC,
                "minLength": 1,
                "maxLength": 200,
                "pattern": NOT_BLANK,
            },
            "minProperties": 1,
            "examples": [{"uk": "Новини", "en": "News"}],
        }
    ),
]
Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2000),
    Field(examples=["https://example.com/"]),
]


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T00:00+14:00 is a valid ISO date that no UTC clock can show: a 422, not a 500.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("Date out of range once converted to UTC.") from exc


def _iso_text(value: Any) -> Any:
    # Pydantic would read a number as seconds since 1970; the spec promises ISO 8601 text.
    if not isinstance(value, str | datetime):
        raise ValueError("Give an ISO 8601 date-time with an offset, as text.")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_utc)]


def _whole_seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def moment_text(value: datetime, *, exact: bool = False) -> str:
    """A timestamp as the API writes every one: RFC 3339 in UTC with `Z`, in whole seconds
    (`2026-11-30T08:00:00Z`). `exact` keeps the stored fraction of a second, for exports:
    a restore must order articles published within one second as they were."""
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return (utc if exact else utc.replace(microsecond=0)).isoformat() + "Z"


# Every timestamp a response carries has the same precision: whole seconds (what HTTP dates
# and feed readers keep too), whether the database stored microseconds or not.
Moment = Annotated[
    datetime,
    AfterValidator(_whole_seconds),
    PlainSerializer(moment_text, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


def json_bytes(value: Any, *, exact_times: bool = False) -> bytes:
    """JSON of plain data (webhook messages, export lines), its timestamps written as
    response models write them (moment_text)."""

    def default(item: Any) -> Any:
        if isinstance(item, datetime):
            return moment_text(item, exact=exact_times)
        raise TypeError(f"{type(item).__name__} is not JSON")

    return orjson.dumps(value, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME)


# Validation context key: the caller knows the input holds no forbidden character (a bulk
# import sees the raw JSON, where one can only be written as a \u escape), so the
# per-field walk is skipped.
CONTROL_FREE = "control_free"


def _forbidden_in(value: Any) -> str | None:
    if isinstance(value, str):
        return forbidden_chars_problem(value)
    if isinstance(value, dict):
        return next(
            (p for k, v in value.items() if (p := _forbidden_in(k) or _forbidden_in(v))), None
        )
    if isinstance(value, list | tuple | set):
        return next((p for v in value if (p := _forbidden_in(v))), None)
    return None


class InputModel(BaseModel):
    """Request bodies reject unknown fields, so a typo is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_control_chars(cls, value: Any, info: ValidationInfo) -> Any:
        # PostgreSQL cannot store U+0000 in text (and SQLite would store it silently); XML,
        # and so the RSS and Atom feeds, cannot carry the other C0 controls.
        if info.context and info.context.get(CONTROL_FREE):
            return value
        problem = _forbidden_in(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class PageMeta(BaseModel):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    limit: int


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    data: list[ItemT]
    meta: PageMeta


class TagRef(BaseModel):
    slug: str
    name: str = Field(
        description="Name in the response language (falls back to the site's). Plain text."
    )
    kind: Literal["section", "topic"] = Field(description="`section` or `topic`.")


class AuthorRef(BaseModel):
    slug: str
    name: str = Field(
        description="Name in the response language (falls back to the site's). Plain text."
    )
    bio: str = Field(
        description="Bio in the response language (falls back like the name). Plain text."
    )
    photo_url: str | None
    links: list[str]


class SourceRef(BaseModel):
    slug: str
    name: str = Field(description="Plain text.")
