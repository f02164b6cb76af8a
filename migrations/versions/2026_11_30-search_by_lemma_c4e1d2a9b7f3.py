"""search by lemma: lemma columns computed by the application, indexed by the database

Revision ID: c4e1d2a9b7f3
Revises: 7c1e4a9b2d3f
Create Date: 2026-11-30 14:30:00.000000

Search matches words by lemma (Ukrainian, pymorphy3) or stem (English, Snowball), which
neither database can compute. Every write path computes them (app.search.analysis) into
three new columns of article_translations, `lemmas_title`, `lemmas_excerpt` and
`lemmas_body` (each field's distinct terms, space-separated); the database indexes those,
and the raw text stays indexed for exact phrases and explicit prefixes:

- PostgreSQL: `article_search_lemmas` (all three lemma columns), and
  `article_search_title` / `article_search_excerpt` now over the lemma columns: stored
  generated tsvectors of the terms exactly as written (array_to_tsvector, no parser), each
  with a GIN index. `article_search_vector` (raw text, weights A/B/C, positions) stays.
- SQLite: `article_search` gains the three lemma columns (FTS5 over article_translations),
  its triggers index them too; the bulk-import guard (article_search_bulk) stays.

Existing translations are analysed here, in Python, a batch at a time. `dopys search
reindex` does the same on demand (after an analyser or dictionary upgrade).
"""

from collections.abc import Sequence
from contextlib import nullcontext

from alembic import op

from app.search.indexing import count, reindex_batches

revision: str = "c4e1d2a9b7f3"
down_revision: str | None = "7c1e4a9b2d3f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEMMA_COLUMNS = ("lemmas_title", "lemmas_excerpt", "lemmas_body")


def _terms(column: str) -> str:
    return f"array_to_tsvector(array_remove(string_to_array({column}, ' '), ''))"


_PG_LEMMA_VECTORS = {
    "article_search_lemmas": " || ".join(_terms(c) for c in _LEMMA_COLUMNS),
    "article_search_title": _terms("lemmas_title"),
    "article_search_excerpt": _terms("lemmas_excerpt"),
}
# What 2b8191bf5ea7 made of the title and excerpt columns (raw text), for the downgrade.
_PG_RAW_VECTORS = {
    "article_search_title": "left(title, 1000)",
    "article_search_excerpt": "left(excerpt, 10000)",
}

_RAW = ("title", "excerpt", "body")


def _sqlite_table(columns: Sequence[str]) -> str:
    return f"""
        CREATE VIRTUAL TABLE article_search USING fts5(
            {", ".join(columns)},
            content='article_translations',
            content_rowid='id',
            tokenize="unicode61 remove_diacritics 0 separators 'ʼ'"
        )
    """


def _sqlite_triggers(columns: Sequence[str]) -> dict[str, str]:
    names = ", ".join(columns)
    old = ", ".join(f"old.{c}" for c in columns)
    new = ", ".join(f"new.{c}" for c in columns)
    delete_old = (
        f"INSERT INTO article_search(article_search, rowid, {names}) "
        f"VALUES ('delete', old.id, {old});"
    )
    insert_new = f"INSERT INTO article_search(rowid, {names}) VALUES (new.id, {new});"
    return {
        "article_search_ai": (
            "AFTER INSERT ON article_translations "
            "WHEN NOT EXISTS (SELECT 1 FROM article_search_bulk) "
            f"BEGIN {insert_new} END"
        ),
        "article_search_ad": f"AFTER DELETE ON article_translations BEGIN {delete_old} END",
        "article_search_au": (
            f"AFTER UPDATE OF id, {names} ON article_translations "
            f"BEGIN {delete_old} {insert_new} END"
        ),
    }


def _sqlite_fts(columns: Sequence[str]) -> None:
    """(Re)build the FTS5 table and its triggers over `columns`, indexing every row."""
    for name in _sqlite_triggers(columns):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS article_search")
    op.execute(_sqlite_table(columns))
    op.execute("INSERT INTO article_search(article_search) VALUES ('rebuild')")
    for name, body in _sqlite_triggers(columns).items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        # Replaced below (over the lemma columns); dropped first so that filling the
        # lemma columns does not recompute them for every row.
        for column in _PG_RAW_VECTORS:
            op.execute(f"DROP INDEX {column}_gin")
            op.execute(f"ALTER TABLE article_translations DROP COLUMN {column}")
    for column in _LEMMA_COLUMNS:
        op.execute(f"ALTER TABLE article_translations ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    reindex_batches(lambda: nullcontext(bind), count(bind))
    if dialect == "postgresql":
        for column, vector in _PG_LEMMA_VECTORS.items():
            op.execute(
                f"ALTER TABLE article_translations ADD COLUMN {column} tsvector "
                f"GENERATED ALWAYS AS ({vector}) STORED"
            )
            op.execute(f"CREATE INDEX {column}_gin ON article_translations USING gin ({column})")
        if _has_lz4():
            op.execute(
                "ALTER TABLE article_translations "
                "ALTER COLUMN article_search_lemmas SET COMPRESSION lz4"
            )
    elif dialect == "sqlite":
        _sqlite_fts((*_RAW, *_LEMMA_COLUMNS))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for column in _PG_LEMMA_VECTORS:
            op.execute(f"DROP INDEX {column}_gin")
            op.execute(f"ALTER TABLE article_translations DROP COLUMN {column}")
        for column in _LEMMA_COLUMNS:
            op.execute(f"ALTER TABLE article_translations DROP COLUMN {column}")
        for column, text in _PG_RAW_VECTORS.items():
            vector = f"to_tsvector('simple'::regconfig, translate({text}, 'ʼ', ' '))"
            op.execute(
                f"ALTER TABLE article_translations ADD COLUMN {column} tsvector "
                f"GENERATED ALWAYS AS ({vector}) STORED"
            )
            op.execute(f"CREATE INDEX {column}_gin ON article_translations USING gin ({column})")
    elif dialect == "sqlite":
        for name in _sqlite_triggers(_RAW):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for column in _LEMMA_COLUMNS:
            op.execute(f"ALTER TABLE article_translations DROP COLUMN {column}")
        _sqlite_fts(_RAW)


def _has_lz4() -> bool:
    enumvals = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        .scalar()
    )
    return "lz4" in (enumvals or [])
