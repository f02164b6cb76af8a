"""import: bulk search indexing (SQLite) and lz4 TOAST compression (PostgreSQL)

Revision ID: 30986cfb387b
Revises: 2b8191bf5ea7
Create Date: 2026-11-25 11:35:00.000000

Both make bulk imports cheaper; neither changes what is stored or found.

- SQLite: the FTS5 insert trigger costs about twice what one INSERT ... SELECT into the
  FTS table costs for the same rows. A bulk writer puts a row in `article_search_bulk`
  inside its transaction, inserts its translations (the trigger stands aside), indexes them
  with one INSERT ... SELECT and deletes the row before committing: nobody else ever sees
  the row (SQLite writers are serialized), and a writer that dies rolls it back.
- PostgreSQL: lz4 instead of pglz for the two large values of a translation (body and the
  stored tsvector): a third of the compression cost. Only new values; old ones stay
  readable. Skipped where the server was built without lz4.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '30986cfb387b'
down_revision: str | None = '2b8191bf5ea7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSERT_NEW = (
    "INSERT INTO article_search(rowid, title, excerpt, body) "
    "VALUES (new.id, new.title, new.excerpt, new.body);"
)
_TRIGGER = "CREATE TRIGGER article_search_ai AFTER INSERT ON article_translations"
_LARGE_COLUMNS = ("body", "article_search_vector")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE TABLE article_search_bulk (id INTEGER PRIMARY KEY)")
        op.execute("DROP TRIGGER article_search_ai")
        op.execute(
            f"{_TRIGGER} WHEN NOT EXISTS (SELECT 1 FROM article_search_bulk) "
            f"BEGIN {_INSERT_NEW} END"
        )
    elif dialect == "postgresql" and _has_lz4():
        _set_compression("lz4")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER article_search_ai")
        op.execute(f"{_TRIGGER} BEGIN {_INSERT_NEW} END")
        op.execute("DROP TABLE article_search_bulk")
    elif dialect == "postgresql" and _has_lz4():
        _set_compression("default")


def _has_lz4() -> bool:
    enumvals = op.get_bind().exec_driver_sql(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
    ).scalar()
    return "lz4" in (enumvals or [])


def _set_compression(method: str) -> None:
    changes = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in _LARGE_COLUMNS)
    op.execute(f"ALTER TABLE article_translations {changes}")
