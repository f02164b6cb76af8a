"""Building public response objects from rows: the one place an article's public shape
is decided (its translation for a reader, every name in that translation's language, the
restricted body withheld). app.articles.fragments stores what it renders; reads without a
current stored rendering render here."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.articles import repository as repo
from app.articles.rules import reading_time_minutes
from app.articles.schemas import (
    ArticleListItem,
    ArticleRead,
    CitationRead,
    CitedSource,
    CoverImage,
    Seo,
    TranslationRef,
)
from app.articles.structured import Page, Publisher, image_of, structured_data
from app.core.i18n import localized
from app.core.schemas import AuthorRef, SourceRef, TagRef
from app.models import ArticleType, ArticleVisibility


@dataclass(frozen=True)
class Locale:
    """Everything that shapes a public response besides the data."""

    lang: str
    default_lang: str
    url_template: str
    now: datetime
    # What pages' schema.org data says of the site; lists and webhooks do not use it.
    publisher: Publisher = field(default_factory=Publisher)

    def url(self, lang: str, slug: str) -> str:
        return self.url_template.replace("{lang}", lang).replace("{slug}", slug)

    def name(self, names: dict[str, str], fallback: str) -> str:
        """A name in the reader's language, else the site's (a tag's or an author's page)."""
        return localized(names, (self.lang, self.default_lang), fallback)


@dataclass(frozen=True, slots=True)
class Namer:
    """Picks each name of one response: the first of `langs` a name has (Bundle._namer)."""

    langs: tuple[str, ...]

    def __call__(self, names: dict[str, str], fallback: str) -> str:
        return localized(names, self.langs, fallback)


def list_items(
    session: Session, ids: Sequence[uuid.UUID], locale: Locale, *, with_body: bool
) -> list[ArticleListItem]:
    """List items (feed, sync) for `ids`, in that order; bodies only when asked."""
    if not ids:
        return []
    bundle = Bundle.load(session, ids, with_body=with_body)
    return [bundle.list_item(article_id, locale, with_body=with_body) for article_id in ids]


def _by_article(rows: Sequence[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.article_id].append(row)
    return grouped


@dataclass
class Bundle:
    """The rows behind a set of articles, grouped by article."""

    articles: dict[uuid.UUID, Any]
    translations: dict[uuid.UUID, list[Any]]
    tags: dict[uuid.UUID, list[Any]]
    citations: dict[uuid.UUID, list[Any]]
    tag_names: dict[int, dict[str, str]]
    source_names: dict[int, dict[str, str]]
    authors: dict[uuid.UUID, list[Any]]
    author_names: dict[int, dict[str, str]]
    author_bios: dict[int, dict[str, str]]
    # Per (article, language): the same for every reader, and the costliest field.
    _reading_times: dict[tuple[uuid.UUID, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, ids: Sequence[uuid.UUID], *, with_body: bool) -> "Bundle":
        translations = _by_article(repo.translations_of(session, ids, with_body=with_body))
        tags = _by_article(repo.tags_of(session, ids))
        citations = _by_article(repo.citations_of(session, ids))
        tag_ids = sorted({row.id for rows in tags.values() for row in rows})
        source_ids = sorted({row.source_id for rows in citations.values() for row in rows})
        authors = _by_article(repo.authors_of(session, ids))
        author_ids = sorted({row.id for rows in authors.values() for row in rows})
        names, bios = repo.author_names(session, author_ids) if author_ids else ({}, {})
        return cls(
            articles=repo.articles_by_id(session, ids),
            translations=translations,
            tags=tags,
            citations=citations,
            tag_names=repo.tag_names(session, tag_ids) if tag_ids else {},
            source_names=repo.source_names(session, source_ids) if source_ids else {},
            authors=authors,
            author_names=names,
            author_bios=bios,
        )

    def _version(self, article_id: uuid.UUID, lang: str) -> Any:
        """The translation in `lang`, else the original, else any."""
        versions = self.translations[article_id]
        by_lang = {v.lang: v for v in versions}
        original = self.articles[article_id].original_lang
        return by_lang.get(lang) or by_lang.get(original) or versions[0]

    def _namer(self, article_id: uuid.UUID, version: Any, locale: Locale) -> Namer:
        """Names for a response in `version`'s language: one language per response (its
        Content-Language). A name missing in it falls back as the body does, to the
        article's original, then to the site's language, then to any."""
        original = self.articles[article_id].original_lang
        return Namer((version.lang, original, locale.default_lang))

    def list_item(
        self, article_id: uuid.UUID, locale: Locale, *, with_body: bool
    ) -> ArticleListItem:
        fields = self.summary_fields(article_id, locale, locale.lang)
        if with_body:
            fields["body"] = self._body(article_id, self._version(article_id, locale.lang))
        return ArticleListItem(**fields)

    def full(self, article_id: uuid.UUID, locale: Locale, lang: str) -> ArticleRead:
        fields = self.summary_fields(article_id, locale, lang)
        return ArticleRead(**fields, **self.page_fields(article_id, locale, lang, fields))

    def page_fields(
        self, article_id: uuid.UUID, locale: Locale, lang: str, summary: dict[str, Any]
    ) -> dict[str, Any]:
        """What an article page adds to its list item (`summary`: that item's fields)."""
        version = self._version(article_id, lang)
        cover = summary["cover_image"]
        fields: dict[str, Any] = {
            "body": self._body(article_id, version),
            "citations": self._citations(article_id, self._namer(article_id, version, locale)),
            "canonical_url": self.articles[article_id].canonical_url,
            "seo": Seo(
                meta_title=version.meta_title or version.title,
                meta_description=version.meta_description or version.excerpt,
                og_image=version.og_image or (cover.url if cover else None),
            ),
            "reading_time_minutes": self._reading_time(article_id, version),
        }
        fields["structured_data"] = self._structured(article_id, version, locale, summary, fields)
        return fields

    def _structured(
        self,
        article_id: uuid.UUID,
        version: Any,
        locale: Locale,
        summary: dict[str, Any],
        page: dict[str, Any],
    ) -> dict[str, Any]:
        """The page's schema.org data, from what the page shows (its names, its URLs)."""
        article = self.articles[article_id]
        section = summary["primary_tag"]
        return structured_data(
            Page(
                is_article=article.type == ArticleType.ARTICLE,
                restricted=article.visibility == ArticleVisibility.RESTRICTED,
                lang=version.lang,
                original_lang=article.original_lang,
                url=locale.url(version.lang, version.slug),
                title=version.title,
                description=page["seo"].meta_description,
                published_at=summary["published_at"],
                updated_at=summary["updated_at"],
                image=image_of(summary["cover_image"], version.og_image),
                authors=summary["authors"],
                section=section.name if section is not None else None,
                keywords=[tag.name for tag in summary["tags"]],
                citations=page["citations"],
                translations=summary["translations"],
            ),
            locale.publisher,
        )

    def _reading_time(self, article_id: uuid.UUID, version: Any) -> int:
        key = (article_id, version.lang)
        if key not in self._reading_times:
            self._reading_times[key] = reading_time_minutes(version.body)
        return self._reading_times[key]

    def version_of(self, article_id: uuid.UUID, lang: str) -> str:
        """The language lists show a reader of `lang`: theirs, else the original, else any."""
        return str(self._version(article_id, lang).lang)

    def _body(self, article_id: uuid.UUID, version: Any) -> str | None:
        """The one place a body leaves for a public response: never a restricted one's."""
        if self.articles[article_id].visibility == ArticleVisibility.RESTRICTED:
            return None
        return str(version.body)

    def _cover(self, article: Any, version: Any) -> CoverImage | None:
        if article.cover_url is None:
            return None
        return CoverImage(
            url=article.cover_url,
            width=article.cover_width,
            height=article.cover_height,
            alt=version.cover_alt,
            caption=version.cover_caption,
            credit=version.cover_credit,
        )

    def summary_fields(self, article_id: uuid.UUID, locale: Locale, lang: str) -> dict[str, Any]:
        article = self.articles[article_id]
        version = self._version(article_id, lang)
        name = self._namer(article_id, version, locale)
        tags = [
            TagRef(
                slug=row.slug,
                name=name(self.tag_names.get(row.id, {}), row.slug),
                kind=row.kind,
            )
            for row in self.tags[article_id]
        ]
        return {
            "id": article_id,
            "lang": version.lang,
            "slug": version.slug,
            "title": version.title,
            "excerpt": version.excerpt,
            "published_at": article.published_at,
            "updated_at": max(article.updated_at, version.updated_at),
            "primary_tag": tags[0] if tags else None,
            "tags": tags,
            "sources": self._sources(article_id, name),
            "translations": [
                TranslationRef(lang=v.lang, slug=v.slug, url=locale.url(v.lang, v.slug))
                for v in self.translations[article_id]
            ],
            "cover_image": self._cover(article, version),
            "visibility": article.visibility,
            "authors": [
                AuthorRef(
                    slug=row.slug,
                    name=name(self.author_names.get(row.id, {}), row.slug),
                    bio=name(self.author_bios.get(row.id, {}), ""),
                    photo_url=row.photo_url,
                    links=row.links,
                )
                for row in self.authors[article_id]
            ],
            "featured": article.featured,
        }

    def _sources(self, article_id: uuid.UUID, name: Namer) -> list[SourceRef]:
        seen: dict[str, SourceRef] = {}
        for row in self.citations[article_id]:
            if row.slug not in seen:
                seen[row.slug] = SourceRef(
                    slug=row.slug,
                    name=name(self.source_names.get(row.source_id, {}), row.slug),
                )
        return list(seen.values())

    def _citations(self, article_id: uuid.UUID, name: Namer) -> list[CitationRead]:
        rows = self.citations[article_id]
        position_of = {row.id: row.position for row in rows}
        return [
            CitationRead(
                position=row.position,
                source=CitedSource(
                    slug=row.slug,
                    name=name(self.source_names.get(row.source_id, {}), row.slug),
                    kind=row.kind,
                    homepage_url=row.homepage_url,
                ),
                url=row.url,
                via=position_of.get(row.via_id) if row.via_id is not None else None,
            )
            for row in rows
        ]
