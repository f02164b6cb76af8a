"""Schema pieces shared by every domain: pages, localized references, input base class."""

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s]+$", max_length=2000),
    Field(examples=["https://example.com/"]),
]


class InputModel(BaseModel):
    """Request bodies reject unknown fields, so a typo is a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


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


class SourceRef(BaseModel):
    slug: str
    name: str
