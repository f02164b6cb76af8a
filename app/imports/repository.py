"""All SQL of imports: a few set-based statements per batch, never one per line."""

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Row,
    Table,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from app.models import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    ArticleTombstone,
    ArticleTranslation,
    ArticleType,
    Citation,
    Tag,
)
from app.models.base import Base
from app.taxonomy.service import Taxonomy

Existing = Row[uuid.UUID, str | None, str | None, int, ArticleStatus, datetime | None, ArticleType]


def existing_articles(
    session: Session, external_ids: Collection[str], ids: Collection[uuid.UUID]
) -> list[Existing]:
    """The stored articles a batch's lines name, by external_id or id: one query."""
    if not external_ids and not ids:
        return []
    return list(
        session.execute(
            select(
                Article.id,
                Article.external_id,
                Article.import_hash,
                Article.version,
                Article.status,
                Article.published_at,
                Article.type,
            ).where(or_(Article.external_id.in_(external_ids), Article.id.in_(ids)))
        ).all()
    )


def stored_translations(
    session: Session, ids: Collection[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], tuple[str, str]]:
    """(article id, lang) -> (title, slug) of the articles a batch updates."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            ArticleTranslation.article_id,
            ArticleTranslation.lang,
            ArticleTranslation.title,
            ArticleTranslation.slug,
        ).where(ArticleTranslation.article_id.in_(ids))
    )
    return {(r.article_id, r.lang): (r.title, r.slug) for r in rows}


def ensure_taxonomy(
    session: Session,
    taxonomy: Taxonomy,
    wanted: Mapping[str, tuple[dict[str, str], dict[str, Any]]],
    now: datetime,
    bios: Mapping[str, dict[str, str]] | None = None,
) -> tuple[dict[str, int], int]:
    """Ids of the tags (or sources, or authors) by slug, creating the missing ones with the
    names (authors: and `bios`) and fields given. Returns (ids, how many were created). A
    concurrent import creating the same slug is not an error: ON CONFLICT DO NOTHING, then
    read back."""
    model = taxonomy.model
    ids = _ids_by_slug(session, taxonomy, wanted)
    missing = [slug for slug in wanted if slug not in ids]
    if not missing:
        return ids, 0
    table = model.__table__
    assert isinstance(table, Table)
    dialect_insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    rows = [
        {"slug": slug, "created_at": now, "updated_at": now, **wanted[slug][1]} for slug in missing
    ]
    statement = (
        dialect_insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["slug"])
        .returning(table.c.id, table.c.slug)
    )
    created = {slug: id_ for id_, slug in session.execute(statement)}
    name_key = f"{taxonomy.kind}_id"
    names = [
        {name_key: id_, "lang": lang, "name": name}
        | ({"bio": bios.get(slug, {}).get(lang, "")} if bios is not None else {})
        for slug, id_ in created.items()
        for lang, name in sorted(wanted[slug][0].items())
    ]
    if names:
        session.execute(insert(taxonomy.name_model), names)
    return _ids_by_slug(session, taxonomy, wanted), len(created)


def set_tag_parents(session: Session, parents: Mapping[int, int]) -> int:
    """Give each tag (by id) its parent, where it has none yet: one statement. How many
    were given one."""
    parents = {child: parent for child, parent in parents.items() if child != parent}
    if not parents:
        return 0
    result = session.execute(
        update(Tag)
        .where(Tag.id.in_(parents), Tag.parent_id.is_(None))
        .values(parent_id=case(parents, value=Tag.id))
    )
    return int(cast(CursorResult[Any], result).rowcount)


def _ids_by_slug(session: Session, taxonomy: Taxonomy, slugs: Collection[str]) -> dict[str, int]:
    model = taxonomy.model
    return dict(session.execute(select(model.slug, model.id).where(model.slug.in_(slugs))).all())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def insert_articles(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    bulk_insert(session, Article, rows)


def bulk_insert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT new rows (all with the keys of the first) through the driver itself: COPY on
    PostgreSQL, executemany on SQLite. SQLAlchemy's bulk INSERT costs more Python than the
    database's work, and on PostgreSQL runs a statement a row. Values pass through the
    columns' own bind processors, so they are stored exactly as the ORM would store them."""
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    columns = tuple(rows[0])
    connection = session.connection()
    encoded = _encoded(rows, _processors(connection.dialect, table, columns))
    names = ", ".join(columns)
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in encoded:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        cursor = driver.cursor()
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 (our names)
        try:
            cursor.executemany(statement, encoded)
        finally:
            cursor.close()


def _encoded(rows: Sequence[dict[str, Any]], processors: list["_Processor"]) -> list[list[Any]]:
    """The rows' values (in their keys' order), each through its column's processor where
    it has one (most have none: a loop over only those is most of the saving)."""
    active = [(i, p) for i, p in enumerate(processors) if p is not None]
    encoded = [list(row.values()) for row in rows]
    for values in encoded:
        for i, process in active:
            values[i] = process(values[i])
    return encoded


_Processor = Callable[[Any], Any] | None
_PROCESSORS: dict[tuple[str, str, tuple[str, ...]], list[_Processor]] = {}


def _processors(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> list[_Processor]:
    key = (dialect.name, table.name, columns)
    if key not in _PROCESSORS:
        _PROCESSORS[key] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ]
    return _PROCESSORS[key]


def reserve_ids(session: Session, model: type[Base], count: int) -> list[int]:
    """`count` fresh primary keys of an integer-keyed table, so that rows can name each
    other (a citation's via_id) in one bulk INSERT. SQLite: the writer holds the database
    lock, so the ids past the largest are ours; PostgreSQL: from the column's sequence."""
    table = model.__table__
    assert isinstance(table, Table)
    if count == 0:
        return []
    if _dialect(session) == "postgresql":
        statement = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        return sorted(session.scalars(statement, {"table": table.name, "n": count}))
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def set_tombstones(
    session: Session, removed: Sequence[dict[str, Any]], revived: Collection[uuid.UUID]
) -> None:
    """Tombstones for articles that stopped being public (rows of ArticleTombstone), none
    for those that became public (again)."""
    gone = [row["article_id"] for row in removed] + list(revived)
    if gone:
        session.execute(delete(ArticleTombstone).where(ArticleTombstone.article_id.in_(gone)))
    if removed:
        session.execute(insert(ArticleTombstone), removed)


def update_articles(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key, and drop the children the batch writes anew."""
    if not rows:
        return
    session.execute(update(Article), rows)
    ids = [r["id"] for r in rows]
    for model in (ArticleTranslation, ArticleTag, ArticleAuthor, Citation):
        session.execute(delete(model).where(model.article_id.in_(ids)))


def insert_children(
    session: Session,
    translations: Sequence[dict[str, Any]],
    tag_links: Sequence[dict[str, Any]],
    citations: Sequence[dict[str, Any]],
    vias: Sequence[int | None],
    author_links: Sequence[dict[str, Any]] = (),
) -> None:
    """Translations, tag links, citations and bylines; `vias[i]` is the index (in
    `citations`) of the citation that citations[i] came through."""
    if _dialect(session) == "sqlite":
        _insert_translations_sqlite(session, translations)
    else:
        bulk_insert(session, ArticleTranslation, translations)
    bulk_insert(session, ArticleTag, tag_links)
    bulk_insert(session, ArticleAuthor, author_links)
    ids = reserve_ids(session, Citation, len(citations))
    bulk_insert(
        session,
        Citation,
        [
            {**row, "id": id_, "via_id": None if via is None else ids[via]}
            for row, id_, via in zip(citations, ids, vias, strict=True)
        ],
    )


# The columns of the FTS5 table article_search (migration c4e1d2a9b7f3): raw text for
# phrases and prefixes, the lemma columns the import computed for words.
_FTS_COLUMNS = "title, excerpt, body, lemmas_title, lemmas_excerpt, lemmas_body"


def _insert_translations_sqlite(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Translations, indexed for search with one INSERT ... SELECT rather than by the
    per-row trigger, which costs twice as much (migration 30986cfb387b): the trigger stands
    aside while article_search_bulk has a row, which only this transaction ever sees."""
    if not rows:
        return
    ids = reserve_ids(session, ArticleTranslation, len(rows))
    session.execute(text("INSERT INTO article_search_bulk (id) VALUES (1)"))
    bulk_insert(
        session, ArticleTranslation, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
    )
    session.execute(
        text(
            f"INSERT INTO article_search (rowid, {_FTS_COLUMNS}) "  # noqa: S608 (our names)
            f"SELECT id, {_FTS_COLUMNS} FROM article_translations "
            "WHERE id BETWEEN :first AND :last"
        ),
        {"first": ids[0], "last": ids[-1]},
    )
    session.execute(text("DELETE FROM article_search_bulk"))


def set_import_hashes(session: Session, hashes: Mapping[uuid.UUID, str]) -> None:
    """Record the line an unchanged article now matches: no version, time or change-log
    mark moves (nothing a reader or a sync client sees changed)."""
    session.execute(
        update(Article), [{"id": id_, "import_hash": digest} for id_, digest in hashes.items()]
    )
