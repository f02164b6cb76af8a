"""webhooks: subscriptions, the event outbox, deliveries and attempts

Revision ID: 7a3e5c1d9b20
Revises: c4e1d2a9b7f3
Create Date: 2026-11-30 14:50:00.000000

Articles already scheduled when this runs get their go-live event, so a subscription made
before their time hears of it. API keys gain the `admin` scope (a new value in a plain
VARCHAR column: nothing to change).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7a3e5c1d9b20'
down_revision: str | None = 'c4e1d2a9b7f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=100), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('active', 'failing', name='subscriptionstatus', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('failing_since', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    )
    op.create_table(
        'webhook_events',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('article_id', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=True),
        sa.Column('data_version', sa.BigInteger(), nullable=False),
        sa.Column('occurred_at', UTC, nullable=False),
        sa.Column('due_at', UTC, nullable=True),
        sa.Column('facets', sa.JSON(), nullable=True),
        sa.Column('dispatched_at', UTC, nullable=True),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events')),
        sa.UniqueConstraint('article_id', 'due_at', name=op.f('uq_webhook_events_article_id_due_at')),
    )
    op.create_index('ix_webhook_events_pending', 'webhook_events', ['dispatched_at', 'id'])
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('message_id', sa.String(length=64), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_id', BIG_ID, nullable=False),
        sa.Column('article_id', sa.Uuid(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ['event_id'], ['webhook_events.id'],
            name=op.f('fk_webhook_deliveries_event_id_webhook_events'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['webhook_subscriptions.id'],
            name=op.f('fk_webhook_deliveries_subscription_id_webhook_subscriptions'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint('message_id', name=op.f('uq_webhook_deliveries_message_id')),
    )
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['state', 'next_attempt_at'])
    op.create_index(
        'ix_webhook_deliveries_order', 'webhook_deliveries',
        ['subscription_id', 'article_id', 'state', 'id'],
    )
    op.create_index(
        op.f('ix_webhook_deliveries_event_id'), 'webhook_deliveries', ['event_id']
    )
    op.create_index(
        op.f('ix_webhook_deliveries_subscription_id'), 'webhook_deliveries', ['subscription_id']
    )
    op.create_table(
        'webhook_attempts',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('delivery_id', BIG_ID, nullable=False),
        sa.Column('attempted_at', UTC, nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ['delivery_id'], ['webhook_deliveries.id'],
            name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts')),
    )
    op.create_index(op.f('ix_webhook_attempts_delivery_id'), 'webhook_attempts', ['delivery_id'])
    # Articles scheduled now: their go-live events (type 'article.published', due then).
    op.execute(
        "INSERT INTO webhook_events (type, article_id, data_version, occurred_at, due_at) "
        "SELECT 'article.published', id, change_seq, published_at, published_at FROM articles "
        "WHERE status = 'published' AND published_at > CURRENT_TIMESTAMP"
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_attempts_delivery_id'), table_name='webhook_attempts')
    op.drop_table('webhook_attempts')
    op.drop_index(op.f('ix_webhook_deliveries_subscription_id'), table_name='webhook_deliveries')
    op.drop_index(op.f('ix_webhook_deliveries_event_id'), table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_order', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index('ix_webhook_events_pending', table_name='webhook_events')
    op.drop_table('webhook_events')
    op.drop_table('webhook_subscriptions')
    op.execute("UPDATE api_keys SET scope = 'write' WHERE scope = 'admin'")
