"""A Channel as RSS 2.0 or Atom 1.0 (feedgen) or JSON Feed 1.1 (its spec, via pydantic).

Each field goes out as its format declares it: titles, excerpts and names are plain text
(Atom text constructs, JSON Feed `title`/`summary`/`tags`); RSS readers render
`<description>` as HTML, so there the excerpt is HTML-escaped text; bodies are the
sanitized HTML stored (`content:encoded`, Atom `type="html"`, `content_html`)."""

import html
from typing import TYPE_CHECKING, Any

from app.articles.schemas import ArticleRead
from app.core.html import drop_forbidden_chars
from app.feeds.schemas import JsonFeed, JsonFeedAuthor, JsonFeedItem, JsonFeedItemExtension
from app.feeds.service import Channel, FeedFormat

if TYPE_CHECKING:  # feedgen (with lxml) loads on the first RSS or Atom request
    from feedgen.feed import FeedGenerator

_HTML = "text/html"


def render(channel: Channel, fmt: FeedFormat) -> bytes:
    if fmt is FeedFormat.JSON:
        return json_feed(channel).model_dump_json(by_alias=True, exclude_none=True).encode()
    generator = _generator(channel, fmt)
    if fmt is FeedFormat.RSS:
        return bytes(generator.rss_str())
    return bytes(generator.atom_str())


def _entry_id(article: ArticleRead) -> str:
    # The article's id, not its URL: stays the same when a slug or the front end changes.
    return f"urn:uuid:{article.id}"


def _item_url(article: ArticleRead) -> str:
    return next(t.url for t in article.translations if t.lang == article.lang)


def _xml(text: str) -> str:
    # Every write refuses characters XML cannot hold; this keeps rows written around the
    # API (bulk SQL) from turning a feed into a 500.
    return drop_forbidden_chars(text)


def _generator(channel: Channel, fmt: FeedFormat) -> "FeedGenerator":
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    if fmt is FeedFormat.RSS:  # RSS's <author> must be an email: bylines go in dc:creator
        feed.load_extension("dc", atom=False, rss=True)
    feed.id(channel.url(fmt))
    feed.title(_xml(channel.title))
    description = _xml(channel.description)
    # RSS readers render the channel's <description> as HTML too (Atom's subtitle is text).
    feed.description(
        html.escape(description, quote=False) if fmt is FeedFormat.RSS else description
    )
    feed.language(channel.lang)
    feed.author(name=channel.publisher)  # Atom wants an author: the newsroom is who we know
    feed.updated(channel.updated)
    feed.lastBuildDate(channel.updated)
    feed.link(href=channel.url(fmt), rel="self", type=fmt.media_type)
    # The front end's home page; feedgen makes the last link given so far RSS's <link>.
    feed.link(href=channel.home_url, rel="alternate", type=_HTML, hreflang=channel.lang)
    if fmt is FeedFormat.ATOM:  # this feed in the site's other languages
        for lang in channel.langs:
            if lang != channel.lang:
                feed.link(
                    href=channel.url(fmt, lang), rel="alternate", type=fmt.media_type, hreflang=lang
                )
    for article in channel.items:
        _add_entry(feed, article, fmt)
    return feed


def _add_entry(feed: "FeedGenerator", article: ArticleRead, fmt: FeedFormat) -> None:
    entry = feed.add_entry(order="append")
    entry.id(_entry_id(article))
    entry.title(_xml(article.title))
    entry.link(href=_item_url(article), rel="alternate")  # RSS's <link>
    # Atom: the item's own language first (readers take the first alternate), then the
    # other translations, each with its hreflang.
    links = [
        {"href": version.url, "rel": "alternate", "type": _HTML, "hreflang": version.lang}
        for version in sorted(article.translations, key=lambda v: v.lang != article.lang)
    ]
    entry.register_extension("hreflang", lambda: _AtomEntryLinks(links), atom=True, rss=False)
    entry.published(article.published_at)
    entry.updated(article.updated_at)
    if article.excerpt and fmt is FeedFormat.RSS:
        # RSS has no text type: <description> is HTML to its readers.
        entry.description(html.escape(_xml(article.excerpt), quote=False))
    elif article.excerpt:
        entry.summary(_xml(article.excerpt))  # Atom <summary>, a text construct
    if article.body:
        entry.content(_xml(article.body), type="html")
    for tag in article.tags:
        entry.category(term=tag.slug, label=_xml(tag.name))
    for author in article.authors:
        if fmt is FeedFormat.RSS:
            entry.dc.dc_creator(_xml(author.name))
        else:
            entry.author(name=_xml(author.name))


class _AtomEntryLinks:
    """A feedgen entry extension that writes an Atom entry's links whole: feedgen 1.0.0
    drops rel, type and hreflang from entry links, and hreflang alternates need them."""

    def __init__(self, links: list[dict[str, str]]) -> None:
        self.links = links

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        return item

    def extend_atom(self, entry: Any) -> Any:
        for broken in entry.findall("link"):
            entry.remove(broken)
        for link in self.links:
            entry.append(entry.makeelement("link", link))
        return entry


def json_feed(channel: Channel) -> JsonFeed:
    return JsonFeed(
        title=channel.title,
        home_page_url=channel.home_url,
        feed_url=channel.url(FeedFormat.JSON),
        description=channel.description,
        language=channel.lang,
        items=[
            JsonFeedItem(
                id=_entry_id(article),
                url=_item_url(article),
                title=article.title,
                content_html=article.body,
                # JSON Feed wants content: a restricted article's excerpt stands in.
                content_text=article.excerpt if article.body is None else None,
                summary=article.excerpt or None,
                image=article.cover_image.url if article.cover_image else None,
                date_published=article.published_at,
                date_modified=article.updated_at,
                language=article.lang,
                tags=[tag.name for tag in article.tags],
                authors=[
                    JsonFeedAuthor(
                        name=author.name,
                        url=author.links[0] if author.links else None,
                        avatar=author.photo_url,
                    )
                    for author in article.authors
                ]
                or None,
                dopys=JsonFeedItemExtension(translations=article.translations),
            )
            for article in channel.items
        ],
    )
