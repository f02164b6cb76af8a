"""schema.org data (JSON-LD) for an article page: `NewsArticle` for articles, `WebPage` for
pages, made from the fields the page already renders (so its names are in the same
language) and the publisher's settings. Never the body: a restricted article's text stays
withheld, and Google reads the text from the page itself.

What Google documents for articles (developers.google.com/search/docs/appearance/
structured-data/article) and for subscription and paywalled content (.../paywalled-content)
decides the shape: `headline`, `image`, `datePublished`, `dateModified`, `author` with `name`
and `url`, `publisher`; `isAccessibleForFree` and a `hasPart` naming the paywalled element.
`correction` (schema.org CorrectionComment) is left out until articles record corrections."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.config import Settings
from app.core.schemas import moment_text

CONTEXT = "https://schema.org"
# Google recommends headlines of at most 110 characters (longer ones may be cut off).
MAX_HEADLINE = 110
ELLIPSIS = "…"

Node = dict[str, Any]


@dataclass(frozen=True)
class Publisher:
    """The settings that shape the data besides the article (Renderer's fingerprint)."""

    name: str = "Dopys"
    url: str | None = None
    logo_url: str | None = None
    author_url_template: str | None = None
    paywall_selector: str = ".paywall"

    @classmethod
    def of(cls, settings: Settings) -> "Publisher":
        return cls(
            name=settings.site_title,
            url=settings.publisher_url,
            logo_url=settings.publisher_logo_url,
            author_url_template=settings.frontend_author_url_template,
            paywall_selector=settings.paywall_css_selector,
        )

    def node(self) -> Node:
        node: Node = {"@type": "Organization", "name": self.name}
        if self.url:
            node["url"] = self.url
        if self.logo_url:
            node["logo"] = {"@type": "ImageObject", "url": self.logo_url}
        return node

    def author_url(self, lang: str, slug: str) -> str | None:
        if not self.author_url_template:
            return None
        return self.author_url_template.replace("{lang}", lang).replace("{slug}", slug)


@dataclass(frozen=True)
class Page:
    """One translation of an article as its page shows it (all already rendered)."""

    is_article: bool
    restricted: bool
    lang: str
    original_lang: str
    url: str
    title: str
    description: str
    published_at: datetime
    updated_at: datetime
    image: Node | str | None
    authors: list[Any]  # AuthorRef
    section: str | None
    keywords: list[str]
    citations: list[Any]  # CitationRead
    translations: list[Any]  # TranslationRef


def headline(title: str) -> str:
    """`title`, cut at a word to at most MAX_HEADLINE characters with an ellipsis."""
    if len(title) <= MAX_HEADLINE:
        return title
    cut = title[: MAX_HEADLINE - len(ELLIPSIS)]
    words = cut.rsplit(" ", 1)[0] if " " in cut.strip() else cut
    return words.rstrip(" ,.;:—–-") + ELLIPSIS


def structured_data(page: Page, publisher: Publisher) -> Node:
    data: Node = {
        "@context": CONTEXT,
        "@type": "NewsArticle" if page.is_article else "WebPage",
        "@id": page.url,
        "url": page.url,
        "headline": headline(page.title),
        "description": page.description,
        "inLanguage": page.lang,
        "datePublished": moment_text(page.published_at),
        "dateModified": moment_text(page.updated_at),
        "author": _authors(page, publisher),
        "publisher": publisher.node(),
        "isAccessibleForFree": not page.restricted,
    }
    if page.is_article:
        # The article is the main thing of its page; a WebPage is its own page.
        data["mainEntityOfPage"] = {"@type": "WebPage", "@id": page.url}
    if page.image is not None:
        data["image"] = [page.image]
    if page.restricted:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": publisher.paywall_selector,
        }
    if page.section:
        data["articleSection"] = page.section
    if page.keywords:
        data["keywords"] = page.keywords
    if page.citations:
        data["citation"] = [_citation(citation) for citation in page.citations]
    data.update(_translation_links(page))
    return data


def _authors(page: Page, publisher: Publisher) -> list[Node]:
    """The bylines as Persons; none: the newsroom itself (the publisher)."""
    if not page.authors:
        return [publisher.node()]
    people = []
    for author in page.authors:
        person: Node = {"@type": "Person", "name": author.name}
        url = publisher.author_url(page.lang, author.slug) or next(iter(author.links), None)
        if url:
            person["url"] = url
        if author.links:
            person["sameAs"] = list(author.links)
        people.append(person)
    return people


def _citation(citation: Any) -> Node:
    source = citation.source
    organization: Node = {"@type": "Organization", "name": source.name}
    if source.homepage_url:
        organization["url"] = source.homepage_url
    node: Node = {"@type": "CreativeWork", "name": source.name, "publisher": organization}
    url = citation.url or source.homepage_url
    if url:
        node["url"] = url
    return node


def _translation_links(page: Page) -> Node:
    """A translation points at its original; the original at its translations."""
    others = [ref for ref in page.translations if ref.lang != page.lang]
    if page.lang != page.original_lang:
        original = [ref for ref in others if ref.lang == page.original_lang]
        return {"translationOfWork": {"@id": original[0].url}} if original else {}
    if others:
        return {"workTranslation": [{"@id": ref.url} for ref in others]}
    return {}


def image_of(cover: Any, og_image: str | None) -> Node | str | None:
    """The cover as an ImageObject (its size when known), else the share image's URL."""
    if cover is None:
        return og_image
    node: Node = {"@type": "ImageObject", "url": cover.url}
    if cover.width:
        node["width"] = cover.width
    if cover.height:
        node["height"] = cover.height
    if cover.caption:
        node["caption"] = cover.caption
    return node
