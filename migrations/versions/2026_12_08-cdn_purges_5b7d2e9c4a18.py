"""cdn purges: the purge outbox and how far the change journal was read

Revision ID: 5b7d2e9c4a18
Revises: 5b8e2f4a7c19
Create Date: 2026-12-08 04:20:00.000000

New tables only: a downgrade drops them (queued purges are lost; the cursor is made again
from the current change number on the next start).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b7d2e9c4a18'
down_revision: str | None = '5b8e2f4a7c19'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'cdn_purge_cursor',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('live_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cdn_purge_cursor')),
    )
    op.create_table(
        'cdn_purges',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('keys', sa.Text(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('first_seq', sa.BigInteger(), nullable=True),
        sa.Column('last_seq', sa.BigInteger(), nullable=True),
        sa.Column(
            'state',
            sa.Enum(
                'pending', 'delivered', 'failed', 'skipped',
                name='deliverystate', native_enum=False, length=20,
            ),
            nullable=False,
        ),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTC, nullable=True),
        sa.Column('leased_until', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('finished_at', UTC, nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cdn_purges')),
    )
    op.create_index('ix_cdn_purges_due', 'cdn_purges', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_cdn_purges_due', table_name='cdn_purges')
    op.drop_table('cdn_purges')
    op.drop_table('cdn_purge_cursor')
