"""Idempotency keys for creates from phones; the outbox of effects.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', JSON, nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_key')),
    sa.UniqueConstraint('owner', 'key', name='uq_idempotency_key_owner_key')
    )
    op.create_index('ix_idempotency_key_created_at', 'idempotency_key', ['created_at'])

    op.create_table('outbox_effect',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('delivered_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_outbox_effect_case_id_case_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_effect'))
    )
    op.create_index('ix_outbox_effect_case_id', 'outbox_effect', ['case_id'])
    op.create_index('ix_outbox_effect_pending', 'outbox_effect', ['id'], postgresql_where=sa.text('delivered_at IS NULL'), sqlite_where=sa.text('delivered_at IS NULL'))


def downgrade():
    op.drop_table('outbox_effect')
    op.drop_table('idempotency_key')
