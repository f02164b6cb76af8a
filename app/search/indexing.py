"""Re-computing the lemma columns of stored translations: the migration that introduced
them and `dopys search reindex` (after an analyser or dictionary upgrade).

Each write path computes a translation's lemma columns itself (analysis.index_columns);
from those the database keeps its index (PostgreSQL generated tsvector columns, SQLite
FTS5 triggers: migration c4e1d2a9b7f3). This walks every translation by id, a batch per
transaction, so a running site keeps writing meanwhile. It names the few columns it needs
with a plain table(), not the ORM model, so a migration may call it whatever the models
later become.
"""

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    true,
    update,
)

from app.search.analysis import index_columns

BATCH = 500
LEMMA_COLUMNS = ("lemmas_title", "lemmas_excerpt", "lemmas_body")

_translations = table(
    "article_translations",
    column("id"),
    column("lang"),
    column("title"),
    column("excerpt"),
    column("body"),
    *(column(name) for name in LEMMA_COLUMNS),
)

Progress = Callable[[int, int], None]  # (translations done, of how many)
Columns = Callable[[str, str, str, str], dict[str, str]]  # (lang, title, excerpt, body)
EVERY: ColumnElement[bool] = true()


def languages_other_than(langs: Iterable[str]) -> ColumnElement[bool]:
    """Translations in none of `langs` (nor their regional variants: "en-gb" is "en")."""
    lang = _translations.c.lang
    return ~or_(*(or_(lang == code, lang.like(f"{code}-%")) for code in langs))


def count(connection: Connection, where: ColumnElement[bool] = EVERY) -> int:
    query = select(func.count()).select_from(_translations).where(where)
    return int(connection.execute(query).scalar_one())


def reindex_batches(
    begin: Callable[[], AbstractContextManager[Connection]],
    total: int,
    progress: Progress | None = None,
    *,
    where: ColumnElement[bool] = EVERY,
    columns: Columns = index_columns,
) -> int:
    """Re-compute the lemma columns of every translation (or those `where` selects) with
    `columns`, BATCH at a time, each batch in the transaction `begin()` opens (and the
    caller's context closes: see `reindex`)."""
    t = _translations.c
    done, last = 0, -1
    statement = (
        update(_translations)
        .where(t.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in LEMMA_COLUMNS})
    )
    while True:
        with begin() as connection:
            rows = connection.execute(
                select(t.id, t.lang, t.title, t.excerpt, t.body)
                .where(t.id > last, where)
                .order_by(t.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return done
            connection.execute(
                statement,
                [{"row_id": r.id, **columns(r.lang, r.title, r.excerpt, r.body)} for r in rows],
            )
        done += len(rows)
        last = rows[-1].id
        if progress is not None:
            progress(done, total)


def reindex(engine: Engine, progress: Progress | None = None) -> int:
    """Every translation of the database at `engine`; returns how many."""
    with engine.connect() as connection:
        total = count(connection)
    return reindex_batches(engine.begin, total, progress)
