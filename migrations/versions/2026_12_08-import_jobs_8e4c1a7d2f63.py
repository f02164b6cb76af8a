"""import jobs: an HTTP import run in the background, with progress to poll

Revision ID: 8e4c1a7d2f63
Revises: 5b7d2e9c4a18
Create Date: 2026-12-08 05:00:00.000000

A new table only: a downgrade drops it (the jobs' records go; the articles they imported
stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8e4c1a7d2f63'
down_revision: str | None = '5b7d2e9c4a18'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column(
            'state',
            sa.Enum(
                'queued', 'running', 'done', 'failed', 'interrupted',
                name='importjobstate', native_enum=False, length=20,
            ),
            nullable=False,
        ),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('read', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('problem', sa.JSON(), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('heartbeat_at', UTC, nullable=False),
        sa.Column('finished_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
    )


def downgrade() -> None:
    op.drop_table('import_jobs')
