"""Schema pieces shared by every domain: pages, localized references, input base class."""

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.core.i18n import LANG_PATTERN
from app.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN

Lang = Annotated[
    str,
    StringConstraints(pattern=LANG_PATTERN, max_length=35, to_lower=True),
    Field(description="BCP 47 language tag", examples=["uk"]),
]
Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, max_length=MAX_SLUG_LENGTH),
    Field(description="Lower-case ASCII words joined by '-'", examples=["news"]),
]
# Text fields that are stripped must hold more than spaces: the pattern says so in the spec.
NOT_BLANK = r"\S"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NOT_BLANK)
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


# Validation context key: the caller knows the input holds no NUL (a bulk import sees the
# raw JSON, where NUL can only be written as \u0000), so the per-field walk is skipped.
NUL_FREE = "nul_free"


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(_contains_nul(v) for v in value)
    return False


class InputModel(BaseModel):
    """Request bodies reject unknown fields, so a typo is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        # PostgreSQL cannot store U+0000 in text (and SQLite would store it silently).
        if info.context and info.context.get(NUL_FREE):
            return value
        if _contains_nul(value):
            raise ValueError("NUL characters (U+0000) are not allowed.")
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
    name: str = Field(description="Name in the response language (falls back to the site's).")
    kind: Literal["section", "topic"] = Field(description="`section` or `topic`.")


class AuthorRef(BaseModel):
    slug: str
    name: str = Field(description="Name in the response language (falls back to the site's).")
    bio: str = Field(description="Bio in the response language (falls back like the name).")
    photo_url: str | None
    links: list[str]


class SourceRef(BaseModel):
    slug: str
    name: str
