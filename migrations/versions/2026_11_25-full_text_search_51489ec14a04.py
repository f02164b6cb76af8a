"""full-text search

Revision ID: 51489ec14a04
Revises: 804c4ac7b9aa
Create Date: 2026-11-25 09:12:40.118214

The search index of article translations (title, excerpt, body), kept current by the
database itself, so every write path (editor API, bulk SQL imports, cascading deletes)
updates it without Python:

- PostgreSQL: a stored generated tsvector column `article_search_vector` (weights A title,
  B excerpt, C body; the 'simple' configuration: lower-case words, no stemming, since
  PostgreSQL has no Ukrainian stemmer) and a GIN index `article_search_gin` on it.
- SQLite: an external-content FTS5 table `article_search` over article_translations
  (rowid = article_translations.id) and three triggers `article_search_a{i,u,d}`.

Both tokenizers split on the modifier-letter apostrophe (ʼ) as they do on ' and ’, so
"обʼєкт", "об'єкт" and "об’єкт" index alike. Objects are named `article_search*` so that
`alembic check` ignores them (migrations/env.py).

NB for later migrations: a batch (copy-and-rename) migration of article_translations on
SQLite drops these triggers; it must create them again (see _SQLITE_TRIGGERS).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '51489ec14a04'
down_revision: str | None = '804c4ac7b9aa'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# tsvector holds at most 1 MB: index at most this many characters of each field, which
# keeps the worst case (short, distinct words in 4-byte letters) well below the limit.
_PG_VECTOR = """
    setweight(to_tsvector('simple'::regconfig, translate(left(title, 1000), 'ʼ', ' ')), 'A')
    || setweight(to_tsvector('simple'::regconfig, translate(left(excerpt, 10000), 'ʼ', ' ')), 'B')
    || setweight(to_tsvector('simple'::regconfig, translate(left(body, 100000), 'ʼ', ' ')), 'C')
"""

_SQLITE_COLUMNS = "title, excerpt, body"
_SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE article_search USING fts5(
        {_SQLITE_COLUMNS},
        content='article_translations',
        content_rowid='id',
        tokenize="unicode61 remove_diacritics 0 separators 'ʼ'"
    )
"""
_DELETE_OLD = (
    f"INSERT INTO article_search(article_search, rowid, {_SQLITE_COLUMNS}) "
    "VALUES ('delete', old.id, old.title, old.excerpt, old.body);"
)
_INSERT_NEW = (
    f"INSERT INTO article_search(rowid, {_SQLITE_COLUMNS}) "
    "VALUES (new.id, new.title, new.excerpt, new.body);"
)
_SQLITE_TRIGGERS = {
    "article_search_ai": f"AFTER INSERT ON article_translations BEGIN {_INSERT_NEW} END",
    "article_search_ad": f"AFTER DELETE ON article_translations BEGIN {_DELETE_OLD} END",
    "article_search_au": (
        "AFTER UPDATE OF id, title, excerpt, body ON article_translations "
        f"BEGIN {_DELETE_OLD} {_INSERT_NEW} END"
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _require_unicode_case_folding()
        op.execute(
            "ALTER TABLE article_translations ADD COLUMN article_search_vector tsvector "
            f"GENERATED ALWAYS AS ({_PG_VECTOR}) STORED"
        )
        op.execute(
            "CREATE INDEX article_search_gin ON article_translations "
            "USING gin (article_search_vector)"
        )
    elif dialect == "sqlite":
        op.execute(_SQLITE_TABLE)
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        # Index the rows that exist already.
        op.execute("INSERT INTO article_search(article_search) VALUES ('rebuild')")
    else:
        raise NotImplementedError(f"full-text search is not built for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX article_search_gin")
        op.execute("ALTER TABLE article_translations DROP COLUMN article_search_vector")
    elif dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE article_search")


def _require_unicode_case_folding() -> None:
    # The 'simple' dictionary lower-cases with the database's LC_CTYPE: under "C" it leaves
    # Cyrillic as it is and search would turn case-sensitive. Refuse rather than mislead.
    folds = op.get_bind().exec_driver_sql("SELECT lower('ЄҐЯ') = 'єґя'").scalar()
    if not folds:
        raise RuntimeError(
            "This database's LC_CTYPE does not lower-case Cyrillic (is it 'C'?). Full-text "
            "search needs a UTF-8 locale: create the database with LC_CTYPE 'C.UTF-8' or "
            "'en_US.UTF-8' (template0) and run the migrations again."
        )
