"""search in every Snowball language: translations beyond Ukrainian and English re-indexed

Revision ID: e191929dab16
Revises: 3f9d2c7a51e8
Create Date: 2026-12-08 04:00:00.000000

Until now only Ukrainian (pymorphy3) and English (Snowball) words were reduced to their
lemmas or stems; any other language's were indexed as written, so a Polish `wojsko` did not
find `wojska`. The analysis (app.search.analysis) now stems every language Snowball has, and
this re-computes the lemma columns of the translations in a language other than those two
(none, on a Ukrainian-English site); both databases re-index from the columns (PostgreSQL's
generated tsvectors, SQLite's FTS5 triggers). Downgrade puts back their words as written.
"""

from collections.abc import Sequence
from contextlib import nullcontext
from functools import partial

from alembic import op

from app.search.analysis import index_columns, verbatim
from app.search.indexing import Columns, count, languages_other_than, reindex_batches

revision: str = "e191929dab16"
down_revision: str | None = "3f9d2c7a51e8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANALYSED_BEFORE = ("uk", "en")


def _reindex(columns: Columns) -> None:
    bind = op.get_bind()
    others = languages_other_than(_ANALYSED_BEFORE)
    reindex_batches(lambda: nullcontext(bind), count(bind, others), where=others, columns=columns)


def upgrade() -> None:
    _reindex(index_columns)


def downgrade() -> None:
    _reindex(columns=partial(index_columns, analyse=verbatim))
