"""Article shapes on the wire: public reads, editor reads, and editor inputs."""

import uuid
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.core.html import MAX_HTML_DEPTH, html_depth_exceeds
from app.core.schemas import (
    NOT_BLANK,
    PLAIN_TEXT,
    PLAIN_TEXT_DOC,
    AuthorRef,
    InputModel,
    Lang,
    Moment,
    PageMeta,
    SiteLang,
    Slug,
    SourceRef,
    TagRef,
    Timestamp,
    Url,
)
from app.models import ArticleStatus, ArticleType, ArticleVisibility

MAX_BODY_CHARS = 1_000_000
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=NOT_BLANK),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
Excerpt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    PLAIN_TEXT,
    Field(description=f"{PLAIN_TEXT_DOC} Made from the body when empty."),
]


def _shallow_enough(html: str) -> str:
    # Checked before the sanitizer sees it: parsing deep nesting costs superlinear time.
    if html_depth_exceeds(html):
        raise ValueError(f"HTML nested deeper than {MAX_HTML_DEPTH} elements.")
    return html


BODY_DOC = (
    "HTML, the one HTML field: sanitized on every write (no scripts, event handlers, "
    f"styles or unsafe URLs), at most {MAX_HTML_DEPTH} elements deep."
)
Body = Annotated[
    str,
    StringConstraints(max_length=MAX_BODY_CHARS),
    AfterValidator(_shallow_enough),
    Field(description=BODY_DOC),
]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=500)]
CoverAlt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=1000),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
CoverCaption = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
CoverCredit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
MetaTitle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=300),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
MetaDescription = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=1000),
    PLAIN_TEXT,
    Field(description=PLAIN_TEXT_DOC),
]
Pixels = Annotated[int, Field(ge=1, le=100_000)]


# ---- public reads -------------------------------------------------------------------


class TranslationRef(BaseModel):
    lang: SiteLang
    slug: str
    url: str = Field(description="Where the front end shows this version (hreflang alternate).")


class CoverImage(BaseModel):
    """The cover image; `alt`, `caption` and `credit` in the item's language."""

    url: str
    width: int | None
    height: int | None
    alt: str | None = Field(description="Text alternative for screen readers.")
    caption: str | None
    credit: str | None = Field(description="Photographer or agency line.")


class Seo(BaseModel):
    meta_title: str = Field(description="The translation's `meta_title`, else its title.")
    meta_description: str = Field(
        description="The translation's `meta_description`, else its excerpt."
    )
    og_image: str | None = Field(
        description="The translation's `og_image`, else the cover image's URL."
    )


class ArticleSummary(BaseModel):
    """A feed item: the article in the response language, or its original when untranslated."""

    id: uuid.UUID
    lang: SiteLang = Field(description="Language this item is given in.")
    slug: str
    title: str = Field(description=PLAIN_TEXT_DOC)
    excerpt: str = Field(description=PLAIN_TEXT_DOC)
    published_at: Moment
    updated_at: Moment
    primary_tag: TagRef | None = Field(description="The section: the first of `tags`.")
    tags: list[TagRef]
    sources: list[SourceRef]
    translations: list[TranslationRef]
    cover_image: CoverImage | None
    visibility: ArticleVisibility = Field(
        description="`restricted` (members-only, paid): listed with title and excerpt; its "
        "body is never served (null)."
    )
    authors: list[AuthorRef] = Field(description="Bylines in order; the first is the primary.")
    featured: bool = Field(description="A top story.")


class CitedSource(SourceRef):
    kind: str | None = Field(description="Plain text.")
    homepage_url: str | None


class CitationRead(BaseModel):
    position: int
    source: CitedSource
    url: str | None
    via: int | None = Field(description="`position` of the citation this one was reached through.")


STRUCTURED_EXAMPLE: dict[str, Any] = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "@id": "https://example.com/en/kyiv-metro",
    "url": "https://example.com/en/kyiv-metro",
    "headline": "Kyiv metro reopens",
    "description": "Three stations reopen today.",
    "inLanguage": "en",
    "datePublished": "2026-11-30T08:00:00Z",
    "dateModified": "2026-11-30T09:15:00Z",
    "author": [{"@type": "Person", "name": "Anna", "url": "https://example.com/en/authors/anna"}],
    "publisher": {
        "@type": "Organization",
        "name": "Dopys",
        "logo": {"@type": "ImageObject", "url": "https://example.com/logo.png"},
    },
    "isAccessibleForFree": True,
    "mainEntityOfPage": {"@type": "WebPage", "@id": "https://example.com/en/kyiv-metro"},
    "image": [{"@type": "ImageObject", "url": "https://img.example/c.jpg", "width": 1200}],
    "articleSection": "News",
    "keywords": ["News", "Kyiv"],
    "citation": [
        {
            "@type": "CreativeWork",
            "name": "ISW",
            "url": "https://understandingwar.org/",
            "publisher": {"@type": "Organization", "name": "ISW"},
        }
    ],
}


class ArticleRead(ArticleSummary):
    body: str | None = Field(
        description="Sanitized HTML (the only HTML field); null when `visibility` is restricted."
    )
    citations: list[CitationRead]
    canonical_url: str | None = Field(description="Where the original is (a syndicated copy).")
    seo: Seo
    reading_time_minutes: int = Field(
        description="Words of the body's text / 200 per minute, rounded up; at least 1 for a "
        "non-empty body, 0 for an empty one."
    )
    structured_data: dict[str, Any] = Field(
        description="schema.org data (JSON-LD) for the page: paste it as it is into a "
        "script element of type `application/ld+json`. `NewsArticle` for an article, "
        "`WebPage` for a page; in this translation's language, with its front-end URL. "
        "Never the body; a restricted article says `isAccessibleForFree: false` and, in "
        "`hasPart`, the CSS selector of its members-only part (setting PAYWALL_CSS_SELECTOR).",
        json_schema_extra={"examples": [STRUCTURED_EXAMPLE]},
    )


def _body_optional(schema: dict[str, Any]) -> None:
    # Every field but `body` and `structured_data` is always there (a `fields=` projection
    # has its own media type and schema, ArticleListItemSparse: app.core.openapi); those
    # two have no default to show.
    for name in ("body", "structured_data"):
        schema["properties"][name].pop("default", None)


class ArticleListItem(ArticleSummary):
    """An article in a list (feed, search, sync): every field always present, `body` only
    with `include=body` and `structured_data` only with `include=structured_data`. A
    `fields=` request answers ArticleListItemSparse instead."""

    model_config = ConfigDict(json_schema_extra=_body_optional)

    body: str | None = Field(
        default="",
        description="Sanitized HTML (the only HTML field); only with `include=body`; null when "
        "restricted.",
    )
    structured_data: dict[str, Any] | None = Field(
        default=None,
        description="The article page's `structured_data` (schema.org JSON-LD); only with "
        "`include=structured_data` (feeds of articles and pages, sync).",
    )


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
    cover_alt: CoverAlt | None = Field(default=None, description="The cover's alt text.")
    cover_caption: CoverCaption | None = None
    cover_credit: CoverCredit | None = None
    meta_title: MetaTitle | None = Field(default=None, description="Defaults to the title.")
    meta_description: MetaDescription | None = Field(
        default=None, description="Defaults to the excerpt."
    )
    og_image: Url | None = Field(default=None, description="Defaults to the cover image.")


class TranslationCreate(TranslationIn):
    lang: Lang


Via = Annotated[
    int, Field(ge=0, description="Index (in this list) of the citation this one came via.")
]


class CitationIn(InputModel):
    source: Slug = Field(description="Slug of an existing source.")
    url: Url | None = None
    via: Via | None = None


class CoverImageIn(InputModel):
    url: Url
    width: Pixels | None = None
    height: Pixels | None = None


class CoverInput(InputModel):
    """`cover_image`, or the older `cover_image_url` (short for `{"url": ...}`)."""

    cover_image: CoverImageIn | None = None
    cover_image_url: Url | None = Field(
        default=None, deprecated=True, description="Use `cover_image`."
    )

    @field_validator("cover_image_url")
    @classmethod
    def _one_cover(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("cover_image") is not None:
            raise ValueError("Give cover_image or cover_image_url, not both.")
        return value

    @model_validator(mode="after")
    def _legacy_cover(self) -> Self:
        if "cover_image_url" in self.model_fields_set:
            # Through __dict__: reading a deprecated field warns.
            url = self.__dict__["cover_image_url"]
            self.__dict__["cover_image_url"] = None
            self.cover_image = None if url is None else CoverImageIn(url=url)
            self.model_fields_set.discard("cover_image_url")
            self.model_fields_set.add("cover_image")
        return self


class ArticleCreate(CoverInput):
    external_id: ExternalId | None = None
    original_lang: Lang
    type: ArticleType = Field(
        default=ArticleType.ARTICLE, description="Fixed at creation; pages are not articles."
    )
    status: ArticleStatus = ArticleStatus.DRAFT
    visibility: ArticleVisibility = ArticleVisibility.PUBLIC
    published_at: Timestamp | None = Field(
        default=None, description="Defaults to now on publish; in the future means scheduled."
    )
    canonical_url: Url | None = None
    tags: list[Slug] = Field(default=[], max_length=20, description="First is the section.")
    citations: list[CitationIn] = Field(default=[], max_length=50)
    authors: list[Slug] = Field(
        default=[], max_length=20, description="Author slugs; the first is the primary byline."
    )
    featured: bool = False
    translations: list[TranslationCreate] = Field(min_length=1, max_length=20)


class ArticleUpdate(CoverInput):
    """Partial update: only the fields sent change. `tags`/`citations` replace the lists."""

    # Optional but never null (null is a 422): SkipJsonSchema keeps null out of the spec.
    external_id: ExternalId | SkipJsonSchema[None] = None
    original_lang: Lang | SkipJsonSchema[None] = None
    status: ArticleStatus | SkipJsonSchema[None] = None
    visibility: ArticleVisibility | SkipJsonSchema[None] = None
    published_at: Timestamp | None = None
    canonical_url: Url | None = None
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
    title: str = Field(description=PLAIN_TEXT_DOC)
    slug: str
    excerpt: str = Field(description=PLAIN_TEXT_DOC)
    body: str = Field(description="Sanitized HTML (the only HTML field).")
    cover_alt: str | None
    cover_caption: str | None
    cover_credit: str | None
    meta_title: str | None
    meta_description: str | None
    og_image: str | None
    updated_at: Moment


class CitationEditorRead(BaseModel):
    position: int
    source: str
    url: str | None
    via: int | None


class CoverImageEditorRead(BaseModel):
    url: str
    width: int | None
    height: int | None


class ArticleEditorRead(BaseModel):
    id: uuid.UUID
    external_id: str | None
    original_lang: str
    type: ArticleType
    status: ArticleStatus
    visibility: ArticleVisibility
    state: Literal["draft", "scheduled", "published", "archived"] = Field(
        description="`published` only once `published_at` has passed; before that `scheduled`."
    )
    published_at: Moment | None
    created_at: Moment
    updated_at: Moment
    version: int = Field(description="Also sent as the ETag; send it back in If-Match.")
    cover_image: CoverImageEditorRead | None
    canonical_url: str | None
    tags: list[str]
    authors: list[str]
    featured: bool
    citations: list[CitationEditorRead]
    translations: list[TranslationEditorRead]
