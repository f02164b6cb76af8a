"""Tags (sections) and sources (cited outlets) share one shape: a slug and names per
language. One set of rules serves both, told apart by a `Taxonomy` descriptor."""

import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.articles.reading import Locale
from app.articles.repository import next_change_seq
from app.core.errors import Conflict, NotFound
from app.core.pagination import decode_cursor, encode_cursor, invalid_cursor, scope_of
from app.core.slugs import SLUG_PATTERN
from app.core.tokens import TokenSigner
from app.models import Source, SourceName, Tag, TagName, utcnow
from app.taxonomy.schemas import SourceRead, TagCreate, TagRead, TagUpdate


@dataclass(frozen=True)
class Taxonomy:
    kind: str  # "tag" | "source": also the feed's filter parameter
    model: type[Tag] | type[Source]
    name_model: type[TagName] | type[SourceName]
    extra_fields: tuple[str, ...]


TAGS = Taxonomy("tag", Tag, TagName, ())
SOURCES = Taxonomy("source", Source, SourceName, ("kind", "homepage_url"))


def to_read(taxonomy: Taxonomy, item: Tag | Source, locale: Locale) -> TagRead:
    names = {n.lang: n.name for n in item.names}
    fields: dict[str, Any] = {
        "slug": item.slug,
        "name": locale.name(names, item.slug),
        "names": names,
        "articles_url": f"/v1/articles?{taxonomy.kind}={item.slug}",
    }
    if taxonomy is SOURCES:
        return SourceRead(**fields, **{f: getattr(item, f) for f in taxonomy.extra_fields})
    return TagRead(**fields)


def list_page(
    session: Session, taxonomy: Taxonomy, *, cursor: str | None, limit: int, signer: TokenSigner
) -> tuple[list[Tag | Source], str | None]:
    """Alphabetical by slug, keyset-paginated like the feed."""
    model = taxonomy.model
    scope = scope_of(kind=taxonomy.kind)
    query = select(model).options(selectinload(model.names)).order_by(model.slug).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(signer, cursor, scope, 1)
        if not isinstance(after, str) or not re.fullmatch(SLUG_PATTERN, after):
            raise invalid_cursor()
        query = query.where(model.slug > after)
    items: list[Tag | Source] = list(session.scalars(query))
    more = len(items) > limit
    items = items[:limit]
    return items, encode_cursor(signer, scope, [items[-1].slug]) if more else None


def get(session: Session, taxonomy: Taxonomy, slug: str) -> Tag | Source:
    model = taxonomy.model
    item = cast(
        Tag | Source | None,
        session.scalars(
            select(model).where(model.slug == slug).options(selectinload(model.names))
        ).first(),
    )
    if item is None:
        raise NotFound(f"No {taxonomy.kind} has the slug '{slug}'.")
    return item


def id_of(session: Session, taxonomy: Taxonomy, slug: str) -> int:
    model = taxonomy.model
    found = session.scalar(select(model.id).where(model.slug == slug))
    if found is None:
        raise NotFound(f"No {taxonomy.kind} has the slug '{slug}'.")
    return found


def create(session: Session, taxonomy: Taxonomy, data: TagCreate) -> Tag | Source:
    model = taxonomy.model
    if session.scalar(select(model.id).where(model.slug == data.slug)) is not None:
        raise Conflict(f"A {taxonomy.kind} with the slug '{data.slug}' already exists.")
    item = model(slug=data.slug, names=[], **{f: getattr(data, f) for f in taxonomy.extra_fields})
    _set_names(taxonomy, item, data.names)
    session.add(item)
    next_change_seq(session)  # names show in every feed item: caches must see the change
    session.flush()
    return item


def update(
    session: Session, taxonomy: Taxonomy, item: Tag | Source, data: TagUpdate
) -> Tag | Source:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("names") is not None:
        item.names.clear()
        session.flush()
        _set_names(taxonomy, item, changes["names"])
    for field in taxonomy.extra_fields:
        if field in changes:
            setattr(item, field, changes[field])
    item.updated_at = utcnow()
    next_change_seq(session)
    session.flush()
    return item


def _set_names(taxonomy: Taxonomy, item: Tag | Source, names: dict[str, str]) -> None:
    for lang, name in sorted(names.items()):
        item.names.append(taxonomy.name_model(lang=lang, name=name))  # type: ignore[arg-type]
