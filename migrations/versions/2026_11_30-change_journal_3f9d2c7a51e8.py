"""change_journal: what each write changed, for selective cache invalidation

Revision ID: 3f9d2c7a51e8
Revises: 9d4f2b6e1a57
Create Date: 2026-12-01 09:00:00.000000

The journal starts with one row for the data version current when this runs: a reader
needs the row of the version an entry was stamped with to trust what came after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3f9d2c7a51e8'
down_revision: str | None = '9d4f2b6e1a57'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'change_journal',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('keys', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_change_journal')),
    )
    op.execute(
        "INSERT INTO change_journal (seq, changed_at, keys) "
        "SELECT seq, changed_at, '*' FROM sync_state WHERE id = 1"
    )


def downgrade() -> None:
    op.drop_table('change_journal')
