"""article import hash: what a re-import compares to skip unchanged lines

Revision ID: 02009152b657
Revises: 804c4ac7b9aa
Create Date: 2026-11-25 08:06:47.105138
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '02009152b657'
down_revision: str | None = '804c4ac7b9aa'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('import_hash')
