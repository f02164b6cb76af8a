"""Re-computing the lemma columns of stored translations: the migration that introduced
them and `dopys search reindex` (after an analyser or dictionary upgrade).

Each write path computes a translation's lemma columns itself (analysis.index_columns);
from those the database keeps its index (PostgreSQL generated tsvector columns, SQLite
FTS5 triggers: migration c4e1d2a9b7f3). This walks every translation by id, a batch per
transaction, so a running site keeps writing meanwhile. It names the few columns it needs
with a plain table(), not the ORM model, so a migration may call it whatever the models
later become.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine, bindparam, column, func, select, table, update

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


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(_translations)).scalar_one())


def reindex_batches(
    begin: Callable[[], AbstractContextManager[Connection]],
    total: int,
    progress: Progress | None = None,
) -> int:
    """Re-compute every translation's lemma columns, BATCH at a time, each batch in the
    transaction `begin()` opens (and the caller's context closes: see `reindex`)."""
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
                .where(t.id > last)
                .order_by(t.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return done
            connection.execute(
                statement,
                [
                    {"row_id": r.id, **index_columns(r.lang, r.title, r.excerpt, r.body)}
                    for r in rows
                ],
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
