"""Tags (sections and topics), sources (cited outlets) and authors (bylines) share one
shape: a slug and names per language. One set of rules serves all three, told apart by a
`Taxonomy` descriptor; authors also carry a bio per language."""

import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.articles.rendering import Locale
from app.articles.repository import (
    articles_with,
    facet_keys,
    next_change_seq,
    touch_articles_of,
)
from app.articles.rules import bio_errors
from app.core import changes
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor, invalid_cursor, scope_of
from app.core.slugs import SLUG_PATTERN
from app.core.tokens import TokenSigner
from app.models import Author, AuthorName, Source, SourceName, Tag, TagName, utcnow
from app.taxonomy.schemas import (
    AuthorCreate,
    AuthorRead,
    AuthorUpdate,
    SourceCreate,
    SourceRead,
    SourceUpdate,
    TagCreate,
    TagRead,
    TagUpdate,
    TaxonomyRead,
)

Item = Tag | Source | Author
Create = TagCreate | SourceCreate | AuthorCreate
Update = TagUpdate | SourceUpdate | AuthorUpdate


@dataclass(frozen=True)
class Taxonomy:
    kind: str  # "tag" | "source" | "author": also the feed's filter parameter
    model: type[Tag] | type[Source] | type[Author]
    name_model: type[TagName] | type[SourceName] | type[AuthorName]
    extra_fields: tuple[str, ...]
    # Fields shown in every item of the articles that have it: changing one is a change
    # of those articles (rendered again; sync delivers them again).
    shown_fields: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()  # never null: a null in an update leaves them be
    loaded: tuple[str, ...] = ()  # relationships a read shows, loaded with the item


TAGS = Taxonomy(
    "tag",
    Tag,
    TagName,
    ("kind",),
    shown_fields=("names", "kind"),
    required_fields=("kind",),
    loaded=("parent",),
)
SOURCES = Taxonomy(
    "source",
    Source,
    SourceName,
    ("kind", "homepage_url"),
    shown_fields=("names", "kind", "homepage_url"),
)
AUTHORS = Taxonomy(
    "author",
    Author,
    AuthorName,
    ("photo_url", "links"),
    shown_fields=("names", "bios", "photo_url", "links"),
    required_fields=("links",),
)


def to_read(taxonomy: Taxonomy, item: Item, locale: Locale) -> TaxonomyRead:
    names = {n.lang: n.name for n in item.names}
    fields: dict[str, Any] = {
        "slug": item.slug,
        "name": locale.name(names, item.slug),
        "names": names,
        "articles_url": f"/v1/articles?{taxonomy.kind}={item.slug}",
        **{f: getattr(item, f) for f in taxonomy.extra_fields},
    }
    if isinstance(item, Author):
        bios = {n.lang: n.bio for n in item.names if n.bio}
        return AuthorRead(**fields, bio=locale.name(bios, ""), bios=bios)
    if isinstance(item, Source):
        return SourceRead(**fields)
    return TagRead(**fields, parent=item.parent.slug if item.parent else None)


def list_page(
    session: Session, taxonomy: Taxonomy, *, cursor: str | None, limit: int, signer: TokenSigner
) -> tuple[list[Item], str | None]:
    """Alphabetical by slug, keyset-paginated like the feed."""
    model = taxonomy.model
    scope = scope_of(kind=taxonomy.kind)
    query = select(model).options(*_loads(taxonomy)).order_by(model.slug).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(signer, cursor, scope, 1)
        if not isinstance(after, str) or not re.fullmatch(SLUG_PATTERN, after):
            raise invalid_cursor()
        query = query.where(model.slug > after)
    items: list[Item] = list(session.scalars(query))
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(signer, scope, [items[-1].slug]) if more else None


def get(session: Session, taxonomy: Taxonomy, slug: str) -> Item:
    model = taxonomy.model
    item = cast(
        Item | None,
        session.scalars(select(model).where(model.slug == slug).options(*_loads(taxonomy))).first(),
    )
    if item is None:
        raise NotFound(f"No {taxonomy.kind} has the slug '{slug}'.")
    return item


def _loads(taxonomy: Taxonomy) -> list[Any]:
    model = taxonomy.model
    return [selectinload(model.names), *(selectinload(getattr(model, r)) for r in taxonomy.loaded)]


def id_of(session: Session, taxonomy: Taxonomy, slug: str) -> int:
    model = taxonomy.model
    found = session.scalar(select(model.id).where(model.slug == slug))
    if found is None:
        raise NotFound(f"No {taxonomy.kind} has the slug '{slug}'.")
    return found


def section_id(session: Session, slug: str) -> int:
    """The id of the tag `slug` if it is a section; any other slug is a 404."""
    found = session.scalar(select(Tag.id).where(Tag.slug == slug, Tag.kind == "section"))
    if found is None:
        raise NotFound(f"No section has the slug '{slug}'.")
    return found


def create(session: Session, taxonomy: Taxonomy, data: Create) -> Item:
    model = taxonomy.model
    if session.scalar(select(model.id).where(model.slug == data.slug)) is not None:
        raise Conflict(f"A {taxonomy.kind} with the slug '{data.slug}' already exists.")
    extra = {f: getattr(data, f) for f in taxonomy.extra_fields}
    # A new item has no parent: say so, so its read loads nothing.
    item = model(slug=data.slug, names=[], **extra, **dict.fromkeys(taxonomy.loaded))
    _set_names(taxonomy, item, data.names, getattr(data, "bios", {}))
    session.add(item)
    next_change_seq(session, [changes.TAXONOMY])  # no article has it yet
    session.flush()
    return item


def update(session: Session, taxonomy: Taxonomy, item: Item, data: Update) -> Item:
    changes = data.model_dump(exclude_unset=True)
    before = _shown(taxonomy, item)
    for field in ("names", "bios", *taxonomy.required_fields):
        if changes.get(field, ...) is None:  # null: leave as is
            del changes[field]
    if "names" in changes or "bios" in changes:
        names = changes.get("names", {n.lang: n.name for n in item.names})
        bios = changes.get("bios", {n.lang: n.bio for n in item.names if isinstance(n, AuthorName)})
        item.names.clear()
        session.flush()
        _set_names(taxonomy, item, names, bios)
    for field in taxonomy.extra_fields:
        if field in changes:
            setattr(item, field, changes[field])
    shown = _shown(taxonomy, item) != before
    item.updated_at = utcnow()
    seq = next_change_seq(session, _changed(session, taxonomy, item))
    if shown:
        touch_articles_of(session, taxonomy.kind, item.id, seq)
    session.flush()
    return item


def _shown(taxonomy: Taxonomy, item: Item) -> dict[str, object]:
    """What the articles of `item` show of it."""
    shown: dict[str, object] = {"names": {n.lang: n.name for n in item.names}}
    shown["bios"] = {n.lang: n.bio for n in item.names if isinstance(n, AuthorName)}
    return shown | {f: getattr(item, f) for f in taxonomy.shown_fields if f not in shown}


def delete(session: Session, taxonomy: Taxonomy, item: Item) -> None:
    """Delete an author: their articles lose the byline (a change of those articles)."""
    seq = next_change_seq(session, _changed(session, taxonomy, item))
    touch_articles_of(session, taxonomy.kind, item.id, seq)
    session.delete(item)
    session.flush()


def _changed(session: Session, taxonomy: Taxonomy, item: Item) -> set[str]:
    """What a change of `item` changes (app.core.changes): the lists of tags (sources,
    authors), its articles' pages, and every list its articles show in (unfiltered, or by
    any facet of one of them)."""
    keys = {
        changes.TAXONOMY,
        changes.facet(taxonomy.kind, item.slug),
        changes.name(taxonomy.kind, item.slug),
    }
    articles = articles_with(taxonomy.kind, item.id)
    others = facet_keys(session, articles)
    if others:
        keys |= {changes.LISTING, changes.PAGES, *others}
    return keys


def _check_bios(bios: dict[str, str], names: dict[str, str]) -> None:
    errors = bio_errors(bios, names)
    if errors:
        raise ValidationFailed("Invalid value for: bios", errors=errors)


def _set_names(taxonomy: Taxonomy, item: Item, names: dict[str, str], bios: dict[str, str]) -> None:
    if taxonomy is AUTHORS:
        _check_bios(bios, names)
    for lang, name in sorted(names.items()):
        extra = {"bio": bios.get(lang, "")} if taxonomy is AUTHORS else {}
        item.names.append(taxonomy.name_model(lang=lang, name=name, **extra))  # type: ignore[arg-type]
