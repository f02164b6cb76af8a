"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), the fields Dopys fills in."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.articles.schemas import TranslationRef
from app.core.schemas import Moment


class JsonFeedItemExtension(BaseModel):
    translations: list[TranslationRef] = Field(
        description="Every version of the article with its front-end URL (hreflang alternates)."
    )


class JsonFeedAuthor(BaseModel):
    name: str = Field(description="In the feed's language.")
    url: str | None = Field(default=None, description="The author's first profile link.")
    avatar: str | None = None


class JsonFeedItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="Stable across edits and languages: `urn:uuid:<article id>`.")
    url: str = Field(description="The article on the front end, in the item's language.")
    title: str = Field(description="Plain text.")
    content_html: str | None = Field(
        default=None, description="The body: sanitized HTML; absent for a restricted article."
    )
    content_text: str | None = Field(
        default=None,
        description="A restricted article's excerpt (plain text), in place of its body.",
    )
    summary: str | None = Field(default=None, description="The excerpt: plain text.")
    image: str | None = None
    date_published: Moment
    date_modified: Moment
    language: str
    tags: list[str] = Field(
        description="Tag names in the feed's language, plain text; the first is the section."
    )
    authors: list[JsonFeedAuthor] | None = Field(
        default=None, description="Bylines in order (absent when there are none)."
    )
    dopys: JsonFeedItemExtension = Field(alias="_dopys")


class JsonFeed(BaseModel):
    version: Literal["https://jsonfeed.org/version/1.1"] = "https://jsonfeed.org/version/1.1"
    title: str
    home_page_url: str
    feed_url: str
    description: str
    language: str
    items: list[JsonFeedItem]
