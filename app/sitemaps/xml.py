"""Sitemaps as XML, written by lxml (every text and attribute escaped by the library),
element by element into one buffer: memory is the document, never a tree of it."""

import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from app.core.html import drop_forbidden_chars
from app.sitemaps.service import Child, News, Url

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MEDIA_TYPE = "application/xml"


def _w3c(moment: datetime) -> str:
    """W3C Datetime (the protocol's lastmod), in UTC to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _text(writer: Any, ns: str, name: str, value: str) -> None:
    with writer.element(f"{{{ns}}}{name}"):
        # Every write refuses characters XML cannot hold; rows written around the API
        # (bulk SQL) must not turn a sitemap into a 500.
        writer.write(drop_forbidden_chars(value))


def _document(root: str, nsmap: dict[str | None, str], write: Any) -> bytes:
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as writer:
        writer.write_declaration()
        with writer.element(f"{{{SITEMAP_NS}}}{root}", nsmap=nsmap):
            write(writer)
    return buffer.getvalue()


def sitemap_index(base_url: str, children: Iterable[Child]) -> bytes:
    def write(writer: Any) -> None:
        for child in children:
            with writer.element(f"{{{SITEMAP_NS}}}sitemap"):
                _text(writer, SITEMAP_NS, "loc", f"{base_url}/v1/sitemaps/{child.path}.xml")
                if child.lastmod is not None:
                    _text(writer, SITEMAP_NS, "lastmod", _w3c(child.lastmod))

    return _document("sitemapindex", {None: SITEMAP_NS}, write)


def urlset(urls: Iterable[Url]) -> bytes:
    def write(writer: Any) -> None:
        for url in urls:
            with writer.element(f"{{{SITEMAP_NS}}}url"):
                _text(writer, SITEMAP_NS, "loc", url.loc)
                if url.lastmod is not None:
                    _text(writer, SITEMAP_NS, "lastmod", _w3c(url.lastmod))
                for hreflang, href in url.alternates:
                    attributes = {"rel": "alternate", "hreflang": hreflang, "href": href}
                    with writer.element(f"{{{XHTML_NS}}}link", attributes):
                        pass

    return _document("urlset", {None: SITEMAP_NS, "xhtml": XHTML_NS}, write)


def news_urlset(news: News) -> bytes:
    def write(writer: Any) -> None:
        for item in news.items:
            with writer.element(f"{{{SITEMAP_NS}}}url"):
                _text(writer, SITEMAP_NS, "loc", item.loc)
                with writer.element(f"{{{NEWS_NS}}}news"):
                    with writer.element(f"{{{NEWS_NS}}}publication"):
                        _text(writer, NEWS_NS, "name", news.publication)
                        _text(writer, NEWS_NS, "language", news.lang)
                    _text(writer, NEWS_NS, "publication_date", _w3c(item.published_at))
                    _text(writer, NEWS_NS, "title", item.title)

    return _document("urlset", {None: SITEMAP_NS, "news": NEWS_NS}, write)
