"""tags.parent_id: a section's parent (WordPress's category hierarchy)

Revision ID: 5b8e2f4a7c19
Revises: e191929dab16
Create Date: 2026-12-08 03:30:00.000000

A nullable column: every existing tag stays a top-level one. In place on SQLite too (ADD
COLUMN ... REFERENCES; DROP COLUMN since SQLite 3.35): a table copy would drop `tags`, and
its foreign keys would take every tag name and article link with it. Downgrading drops the
column (the hierarchy) and keeps every tag.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b8e2f4a7c19'
down_revision: str | None = 'e191929dab16'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = 'fk_tags_parent_id_tags'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            f'ALTER TABLE tags ADD COLUMN parent_id INTEGER CONSTRAINT {FK} REFERENCES tags (id)'
        )
    else:
        op.add_column('tags', sa.Column('parent_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FK, 'tags', 'tags', ['parent_id'], ['id'])
    op.create_index(op.f('ix_tags_parent_id'), 'tags', ['parent_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tags_parent_id'), table_name='tags')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(FK, 'tags', type_='foreignkey')
    op.execute('ALTER TABLE tags DROP COLUMN parent_id')
