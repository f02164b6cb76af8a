"""article renderings: each article's public JSON, stored at write time

Revision ID: 9d4f2b6e1a57
Revises: 7a3e5c1d9b20
Create Date: 2026-11-30 17:40:00.000000

Starts empty: existing articles are rendered by `dopys db upgrade` after the migrations
(app.articles.fragments.refresh_stale), and until then each read renders them as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9d4f2b6e1a57'
down_revision: str | None = '7a3e5c1d9b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'article_renderings',
        sa.Column('article_id', sa.Uuid(), nullable=False),
        sa.Column('reader_lang', sa.String(length=35), nullable=False),
        sa.Column('lang', sa.String(length=35), nullable=False),
        sa.Column('listed', sa.Boolean(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=32), nullable=False),
        sa.Column('item', sa.LargeBinary(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('extra', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'],
            ['articles.id'],
            name=op.f('fk_article_renderings_article_id_articles'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'article_id', 'reader_lang', 'lang', name=op.f('pk_article_renderings')
        ),
    )


def downgrade() -> None:
    op.drop_table('article_renderings')
