"""ix_articles_sitemap: the sitemap index's GROUP BY month, index-only

Revision ID: 3d9a6c2e8f51
Revises: 8e4c1a7d2f63
Create Date: 2026-12-08 05:00:00.000000

An index on (status, type, published_at, updated_at): every column the sitemap index's
per-month aggregate reads, so it never visits the table, and pages are a seek of their
own instead of a walk over every published article. Downgrading drops the index only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '3d9a6c2e8f51'
down_revision: str | None = '8e4c1a7d2f63'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_articles_sitemap',
        'articles',
        ['status', 'type', 'published_at', 'updated_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_articles_sitemap', table_name='articles')
