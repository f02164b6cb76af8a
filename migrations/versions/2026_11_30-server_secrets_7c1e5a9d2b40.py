"""server secrets: the key that signs cursors and sync tokens

Revision ID: 7c1e5a9d2b40
Revises: 30986cfb387b
Create Date: 2026-11-30 14:30:00.000000

One row, `token`: 32 random bytes (hex), made here so that every process and worker on the
database signs and checks tokens with the same key. TOKEN_SECRET, when set, wins over it.
Downgrading drops the table (the key with it; outstanding tokens then fail, as on rotation).
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = '7c1e5a9d2b40'
down_revision: str | None = '30986cfb387b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        'server_secrets',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secrets')),
    )
    op.bulk_insert(
        table,
        [{'name': 'token', 'value': secrets.token_hex(32), 'created_at': datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table('server_secrets')
