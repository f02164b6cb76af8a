"""What a write changes, and what a cached public response depends on, named by keys.

Every write records the keys it changed in the change journal (`ChangeJournal`, written by
app.articles.repository.change_seq_block in the write's transaction). A cached response
records the keys it was rendered from (app.core.caching.depends_on); after a write it is
still served iff none of its keys changed since it was rendered. A response that declares
nothing depends on everything, and a write that records `*` changes everything.

The keys:
- `listing`: the public articles (type article) as lists show them: any article that is or
  was public or scheduled changed, or a name shown in its items. `pages`: the same for
  static pages.
- `article:<id>`: the article itself; `slug:<slug>`: an article now holds this slug (which
  article a slug resolves to may change).
- `tag:<slug>`, `source:<slug>`, `author:<slug>`: an article with this facet before or after
  the write changed, or the facet itself (names, kind, bios...) did.
- `name:tag:<slug>` (source, author): the facet itself changed; an article page shows it.
- `taxonomy`: the lists of tags, sources and authors.
- `published:<YYYY-MM>`: an article or page that is or was published in this month (UTC)
  changed: that month's sitemaps (app.sitemaps).
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from app.models import ArticleType

EVERYTHING = "*"
LISTING = "listing"
PAGES = "pages"
TAXONOMY = "taxonomy"


def article(article_id: uuid.UUID) -> str:
    return f"article:{article_id}"


def slug(value: str) -> str:
    return f"slug:{value}"


def facet(kind: str, value: str) -> str:
    """`kind`: tag | source | author (a section is a tag)."""
    return f"{kind}:{value}"


def name(kind: str, value: str) -> str:
    return f"name:{kind}:{value}"


def month(published_at: datetime) -> str:
    return f"published:{published_at.astimezone(UTC):%Y-%m}"


def listing_of(type_: ArticleType) -> str:
    return PAGES if type_ == ArticleType.PAGE else LISTING


def facets(tags: Iterable[str], sources: Iterable[str], authors: Iterable[str]) -> set[str]:
    return {
        *(facet("tag", s) for s in tags),
        *(facet("source", s) for s in sources),
        *(facet("author", s) for s in authors),
    }


def listing_keys(type_: ArticleType, filtered: Iterable[tuple[str, str | None]]) -> frozenset[str]:
    """What a list of articles depends on: with tag, source, author or section filters, the
    articles with those facets; else every listed article of its type. `filtered`:
    (kind, slug or None) pairs."""
    keys = frozenset(facet(kind, value) for kind, value in filtered if value is not None)
    return keys or frozenset({listing_of(type_)})


def article_page(
    article_id: uuid.UUID,
    requested_slug: str,
    tags: Iterable[str],
    sources: Iterable[str],
    authors: Iterable[str],
) -> set[str]:
    """What an article (or page) found by a slug depends on: itself, which article holds
    the slug, and the names of the facets it shows."""
    shown = [
        *(name("tag", s) for s in tags),
        *(name("source", s) for s in sources),
        *(name("author", s) for s in authors),
    ]
    return {article(article_id), slug(requested_slug), *shown}


def encode(keys: Iterable[str]) -> str:
    return " ".join(sorted(set(keys)))


def decode(text: str) -> list[str]:
    return text.split()
