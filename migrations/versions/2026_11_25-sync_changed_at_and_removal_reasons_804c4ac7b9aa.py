"""sync changed_at and removal reasons

Revision ID: 804c4ac7b9aa
Revises: eeb616d3868f
Create Date: 2026-11-25 08:10:30.231067
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '804c4ac7b9aa'
down_revision: str | None = 'eeb616d3868f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASON = sa.Enum(
    'unpublished', 'archived', 'scheduled', 'deleted',
    name='removalreason', native_enum=False, length=20,
)


def upgrade() -> None:
    # Existing rows get a value through a temporary server default, dropped afterwards:
    # the models set these columns themselves.
    with op.batch_alter_table('article_tombstones', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('reason', REASON, nullable=False, server_default='deleted')
        )
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'changed_at',
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
    with op.batch_alter_table('article_tombstones', schema=None) as batch_op:
        batch_op.alter_column('reason', server_default=None)
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.alter_column('changed_at', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
    with op.batch_alter_table('article_tombstones', schema=None) as batch_op:
        batch_op.drop_column('reason')
