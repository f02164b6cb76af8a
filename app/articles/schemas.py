"""Article shapes on the wire: public reads, editor reads, and editor inputs."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from app.core.schemas import (
    NOT_BLANK,
    AuthorRef,
    InputModel,
    Lang,
    PageMeta,
    Slug,
    SourceRef,
    TagRef,
    Timestamp,
    Url,
)
from app.models import ArticleStatus

MAX_BODY_CHARS = 1_000_000
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=NOT_BLANK)
]
Excerpt = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=500)]


# ---- public reads -------------------------------------------------------------------


class TranslationRef(BaseModel):
    lang: str
    slug: str
    url: str = Field(description="Where the front end shows this version (hreflang alternate).")


class ArticleSummary(BaseModel):
    """A feed item: the article in the response language, or its original when untranslated."""

    id: uuid.UUID
    lang: str = Field(description="Language this item is given in.")
    slug: str
    title: str
    excerpt: str
    published_at: datetime
    updated_at: datetime
    primary_tag: TagRef | None = Field(description="The section: the first of `tags`.")
    tags: list[TagRef]
    sources: list[SourceRef]
    translations: list[TranslationRef]
    cover_image_url: str | None
    authors: list[AuthorRef] = Field(description="Bylines in order; the first is the primary.")
    featured: bool = Field(description="A top story.")


class CitedSource(SourceRef):
    kind: str | None
    homepage_url: str | None


class CitationRead(BaseModel):
    position: int
    source: CitedSource
    url: str | None
    via: int | None = Field(description="`position` of the citation this one was reached through.")


class ArticleRead(ArticleSummary):
    body: str = Field(description="Sanitized HTML.")
    citations: list[CitationRead]


def _all_optional(schema: dict[str, Any]) -> None:
    # `fields=` may leave any field out: the documented shape must allow that.
    schema.pop("required", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class ArticleListItem(ArticleSummary):
    """An article in a list (feed, sync). Every field is present unless `fields=` leaves it
    out; `body` comes only with `include=body`."""

    model_config = ConfigDict(json_schema_extra=_all_optional)

    body: str = Field(default="", description="Sanitized HTML; only with `include=body`.")


LIST_ITEM_FIELDS = tuple(ArticleListItem.model_fields)
SUMMARY_FIELDS = tuple(ArticleSummary.model_fields)


class FeedMeta(PageMeta):
    newest_cursor: str | None = Field(
        description="On a first page (no `cursor`): the position of its newest item. Pass it "
        "later as `newer_than` to get only what was published since (pull-to-refresh). When "
        "a `newer_than` page is empty it repeats `newer_than`; null on later pages."
    )


class FeedPage(BaseModel):
    data: list[ArticleListItem]
    meta: FeedMeta


class RelatedPage(BaseModel):
    data: list[ArticleListItem] = Field(
        description="Best first: most shared tags (weighted double) and sources, then newest."
    )


# ---- editor inputs ------------------------------------------------------------------


class TranslationIn(InputModel):
    title: Title
    slug: Slug | None = Field(default=None, description="Generated from the title when omitted.")
    excerpt: Excerpt = ""
    body: Body = ""


class TranslationCreate(TranslationIn):
    lang: Lang


Via = Annotated[
    int, Field(ge=0, description="Index (in this list) of the citation this one came via.")
]


class CitationIn(InputModel):
    source: Slug = Field(description="Slug of an existing source.")
    url: Url | None = None
    via: Via | None = None


class ArticleCreate(InputModel):
    external_id: ExternalId | None = None
    original_lang: Lang
    status: ArticleStatus = ArticleStatus.DRAFT
    published_at: Timestamp | None = Field(
        default=None, description="Defaults to now on publish; in the future means scheduled."
    )
    cover_image_url: Url | None = None
    tags: list[Slug] = Field(default=[], max_length=20, description="First is the section.")
    citations: list[CitationIn] = Field(default=[], max_length=50)
    authors: list[Slug] = Field(
        default=[], max_length=20, description="Author slugs; the first is the primary byline."
    )
    featured: bool = False
    translations: list[TranslationCreate] = Field(min_length=1, max_length=20)


class ArticleUpdate(InputModel):
    """Partial update: only the fields sent change. `tags`/`citations` replace the lists."""

    # Optional but never null (null is a 422): SkipJsonSchema keeps null out of the spec.
    external_id: ExternalId | SkipJsonSchema[None] = None
    original_lang: Lang | SkipJsonSchema[None] = None
    status: ArticleStatus | SkipJsonSchema[None] = None
    published_at: Timestamp | None = None
    cover_image_url: Url | None = None
    tags: list[Slug] | None = Field(default=None, max_length=20)
    citations: list[CitationIn] | None = Field(default=None, max_length=50)
    authors: list[Slug] | None = Field(default=None, max_length=20)
    featured: bool | SkipJsonSchema[None] = None


class PublishRequest(InputModel):
    published_at: Timestamp | None = Field(
        default=None, description="When it goes public; now if omitted, scheduled if future."
    )


class ScheduleRequest(InputModel):
    published_at: Timestamp


# ---- editor reads -------------------------------------------------------------------


class TranslationEditorRead(BaseModel):
    lang: str
    title: str
    slug: str
    excerpt: str
    body: str
    updated_at: datetime


class CitationEditorRead(BaseModel):
    position: int
    source: str
    url: str | None
    via: int | None


class ArticleEditorRead(BaseModel):
    id: uuid.UUID
    external_id: str | None
    original_lang: str
    status: ArticleStatus
    state: Literal["draft", "scheduled", "published", "archived"] = Field(
        description="`published` only once `published_at` has passed; before that `scheduled`."
    )
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Also sent as the ETag; send it back in If-Match.")
    cover_image_url: str | None
    tags: list[str]
    authors: list[str]
    featured: bool
    citations: list[CitationEditorRead]
    translations: list[TranslationEditorRead]
