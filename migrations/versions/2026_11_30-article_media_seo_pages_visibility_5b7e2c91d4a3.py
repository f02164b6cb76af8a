"""articles: cover image metadata, SEO fields, pages, visibility

Revision ID: 5b7e2c91d4a3
Revises: cc8eaaf3a950
Create Date: 2026-11-30 14:30:00.000000

- articles: `type` ('article' | 'page', default 'article'), `visibility` ('public' |
  'restricted', default 'public'), `canonical_url`; `cover_image_url` is renamed to
  `cover_url` (existing covers keep their URL) and gains `cover_width`, `cover_height`.
- article_translations: `cover_alt`, `cover_caption`, `cover_credit`, `meta_title`,
  `meta_description`, `og_image`.

Plain ADD/RENAME/DROP COLUMN (no table rebuild): SQLite would drop the search triggers of
article_translations with a rebuilt table (see 51489ec14a04).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b7e2c91d4a3'
down_revision: str | None = 'cc8eaaf3a950'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ARTICLE_COLUMNS = (
    sa.Column('type', sa.String(length=20), server_default='article', nullable=False),
    sa.Column('visibility', sa.String(length=20), server_default='public', nullable=False),
    sa.Column('canonical_url', sa.String(length=2000), nullable=True),
    sa.Column('cover_width', sa.Integer(), nullable=True),
    sa.Column('cover_height', sa.Integer(), nullable=True),
)
_TRANSLATION_COLUMNS = (
    sa.Column('cover_alt', sa.String(length=1000), nullable=True),
    sa.Column('cover_caption', sa.String(length=2000), nullable=True),
    sa.Column('cover_credit', sa.String(length=500), nullable=True),
    sa.Column('meta_title', sa.String(length=300), nullable=True),
    sa.Column('meta_description', sa.String(length=1000), nullable=True),
    sa.Column('og_image', sa.String(length=2000), nullable=True),
)


def upgrade() -> None:
    op.execute('ALTER TABLE articles RENAME COLUMN cover_image_url TO cover_url')
    for column in _ARTICLE_COLUMNS:
        op.add_column('articles', column)
    for column in _TRANSLATION_COLUMNS:
        op.add_column('article_translations', column)


def downgrade() -> None:
    for column in reversed(_TRANSLATION_COLUMNS):
        op.drop_column('article_translations', column.name)
    for column in reversed(_ARTICLE_COLUMNS):
        op.drop_column('articles', column.name)
    op.execute('ALTER TABLE articles RENAME COLUMN cover_url TO cover_image_url')
