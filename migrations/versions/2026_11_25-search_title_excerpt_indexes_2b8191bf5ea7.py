"""search: title and excerpt vectors, so ranking by where a word matched needs no ts_rank

Revision ID: 2b8191bf5ea7
Revises: 02009152b657
Create Date: 2026-11-25 11:20:00.000000

Search ranks title matches first, then excerpt matches, then body-only ones, each newest
first (app/search/repository.py). Finding the title (or excerpt) matches of a word must
not read every matching translation's whole weighted vector (TOASTed with the body):

- PostgreSQL: stored generated tsvector columns `article_search_title` and
  `article_search_excerpt`, built as `article_search_vector` builds those fields, each
  with a GIN index. Stored, not expression indexes: walking the newest articles, the
  query tests a small stored vector per translation instead of re-parsing the text.
- SQLite: nothing; the FTS5 table `article_search` already answers column filters
  (`{title} : ...`).

Like `article_search_vector`, the database computes them on every write path.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '2b8191bf5ea7'
down_revision: str | None = '02009152b657'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Field lengths as in 51489ec14a04's `article_search_vector`.
_PG_COLUMNS = {
    "article_search_title": "left(title, 1000)",
    "article_search_excerpt": "left(excerpt, 10000)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, text in _PG_COLUMNS.items():
        vector = f"to_tsvector('simple'::regconfig, translate({text}, 'ʼ', ' '))"
        op.execute(
            f"ALTER TABLE article_translations ADD COLUMN {column} tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED"
        )
        op.execute(f"CREATE INDEX {column}_gin ON article_translations USING gin ({column})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in _PG_COLUMNS:
        op.execute(f"DROP INDEX {column}_gin")
        op.execute(f"ALTER TABLE article_translations DROP COLUMN {column}")
