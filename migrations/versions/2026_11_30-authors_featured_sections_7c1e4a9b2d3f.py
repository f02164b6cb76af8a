"""authors, featured articles and section tags

Revision ID: 7c1e4a9b2d3f
Revises: 5b7e2c91d4a3
Create Date: 2026-11-30 14:30:00.000000

Adds bylines (`authors`, `author_names`, `article_authors`), `articles.featured` and
`tags.kind`. Existing articles are not featured and have no authors; existing tags are
topics. Columns are added in place (with constant defaults), never by rebuilding a table:
rebuilding `articles` on SQLite would drop the rows that cascade from it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c1e4a9b2d3f'
down_revision: str | None = '5b7e2c91d4a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'authors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=200), nullable=False),
        sa.Column('photo_url', sa.String(length=2000), nullable=True),
        sa.Column('links', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_authors')),
        sa.UniqueConstraint('slug', name=op.f('uq_authors_slug')),
    )
    op.create_table(
        'author_names',
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=35), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('bio', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['authors.id'],
            name=op.f('fk_author_names_author_id_authors'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('author_id', 'lang', name=op.f('pk_author_names')),
    )
    op.create_table(
        'article_authors',
        sa.Column('article_id', sa.Uuid(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['articles.id'],
            name=op.f('fk_article_authors_article_id_articles'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['author_id'], ['authors.id'],
            name=op.f('fk_article_authors_author_id_authors'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('article_id', 'author_id', name=op.f('pk_article_authors')),
    )
    op.create_index(
        'ix_article_authors_author_id_article_id',
        'article_authors',
        ['author_id', 'article_id'],
        unique=False,
    )
    with op.batch_alter_table('articles', schema=None, recreate='never') as batch_op:
        batch_op.add_column(
            sa.Column('featured', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        'ix_articles_featured_feed',
        'articles',
        ['featured', 'status', 'published_at', 'id'],
        unique=False,
    )
    with op.batch_alter_table('tags', schema=None, recreate='never') as batch_op:
        batch_op.add_column(
            sa.Column('kind', sa.String(length=20), server_default='topic', nullable=False)
        )


def downgrade() -> None:
    # In place (SQLite 3.35+ drops columns natively), as in 02009152b657.
    with op.batch_alter_table('tags', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('kind')
    op.drop_index('ix_articles_featured_feed', table_name='articles')
    with op.batch_alter_table('articles', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('featured')
    op.drop_index('ix_article_authors_author_id_article_id', table_name='article_authors')
    op.drop_table('article_authors')
    op.drop_table('author_names')
    op.drop_table('authors')
