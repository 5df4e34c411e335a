"""The social-services marketplace: providers and their certification timeline, offerings
with areas and time slots, orders with their timeline, WeChat Pay notices, refunds,
settlements (分账), the double-entry ledger and reconciliation runs; grants scoped to a
provider; outbox effects about an order.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def upgrade():
    op.create_table('reconciliation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bill_date', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('bill_rows', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('mismatched', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('started_at', TIMESTAMP, nullable=False),
    sa.Column('finished_at', TIMESTAMP, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_run'))
    )
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_run_bill_date'), ['bill_date'], unique=False)

    op.create_table('provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('contact_name', sa.String(length=64), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('categories', JSON, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sub_mchid', sa.String(length=32), nullable=True),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('rating_sum', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("status IN ('applied', 'more_requested', 'approved', 'rejected', 'suspended')", name=op.f('ck_provider_status')),
    sa.CheckConstraint('rating_count >= 0 AND rating_sum >= 0', name=op.f('ck_provider_rating')),
    sa.ForeignKeyConstraint(['applicant_id'], ['user_account.id'], name=op.f('fk_provider_applicant_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider')),
    sa.UniqueConstraint('sub_mchid', name=op.f('uq_provider_sub_mchid'))
    )
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index('uq_provider_credit_code_live', ['credit_code'], unique=True,
                              postgresql_where=sa.text("status <> 'rejected'"),
                              sqlite_where=sa.text("status <> 'rejected'"))

    op.create_table('reconciliation_mismatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=True),
    sa.Column('out_refund_no', sa.String(length=64), nullable=True),
    sa.Column('ours_fen', sa.Integer(), nullable=True),
    sa.Column('theirs_fen', sa.Integer(), nullable=True),
    sa.Column('detail', JSON, nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_run.id'], name=op.f('fk_reconciliation_mismatch_run_id_reconciliation_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_mismatch'))
    )
    with op.batch_alter_table('reconciliation_mismatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_mismatch_run_id'), ['run_id'], unique=False)

    op.create_table('offering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('daily_capacity', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("status IN ('draft', 'listed', 'unlisted')", name=op.f('ck_offering_status')),
    sa.CheckConstraint("unit IN ('visit', 'hour', 'month')", name=op.f('ck_offering_unit')),
    sa.CheckConstraint('daily_capacity IS NULL OR daily_capacity > 0', name=op.f('ck_offering_capacity')),
    sa.CheckConstraint('price_fen > 0', name=op.f('ck_offering_price_positive')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_offering_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offering'))
    )
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_offering_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_area',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_area_provider_id_provider')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_provider_area_region_id_region')),
    sa.PrimaryKeyConstraint('provider_id', 'region_id', name=op.f('pk_provider_area'))
    )
    with op.batch_alter_table('provider_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_area_region_id'), ['region_id'], unique=False)

    op.create_table('provider_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.CheckConstraint("kind IN ('licence', 'qualification')", name=op.f('ck_provider_document_kind')),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_provider_document_photo_id_photo')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_document_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_document')),
    sa.UniqueConstraint('provider_id', 'photo_id', name='uq_provider_document_provider_photo')
    )
    with op.batch_alter_table('provider_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_document_provider_id'), ['provider_id'], unique=False)

    op.create_table('provider_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_provider_log_actor_id_user_account')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_log_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_log')),
    sa.UniqueConstraint('provider_id', 'seq', name='uq_provider_log_provider_seq')
    )
    with op.batch_alter_table('provider_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_log_provider_id'), ['provider_id'], unique=False)

    op.create_table('offering_area',
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_offering_area_offering_id_offering')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_offering_area_region_id_region')),
    sa.PrimaryKeyConstraint('offering_id', 'region_id', name=op.f('pk_offering_area'))
    )
    with op.batch_alter_table('offering_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_area_region_id'), ['region_id'], unique=False)

    op.create_table('offering_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', TIMESTAMP, nullable=False),
    sa.Column('ends_at', TIMESTAMP, nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('capacity > 0 AND booked >= 0 AND booked <= capacity', name=op.f('ck_offering_slot_booked')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_offering_slot_span')),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_offering_slot_offering_id_offering')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offering_slot')),
    sa.UniqueConstraint('offering_id', 'starts_at', name='uq_offering_slot_offering_starts')
    )
    with op.batch_alter_table('offering_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offering_slot_offering_id'), ['offering_id'], unique=False)

    op.create_table('service_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('region_path', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('service_date', sa.String(length=10), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('pay_expires_at', TIMESTAMP, nullable=False),
    sa.Column('confirm_by', TIMESTAMP, nullable=True),
    sa.Column('prepay_id', sa.String(length=64), nullable=True),
    sa.Column('transaction_id', sa.String(length=32), nullable=True),
    sa.Column('paid_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('paid_at', TIMESTAMP, nullable=True),
    sa.Column('refunded_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('refund_pending_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("state IN ('created', 'paid', 'accepted', 'in_service', 'completed', 'confirmed', 'cancelled', 'closed', 'disputed', 'refunded')", name=op.f('ck_service_order_state')),
    sa.CheckConstraint('paid_fen >= 0 AND refunded_fen >= 0 AND refund_pending_fen >= 0 AND refunded_fen + refund_pending_fen <= paid_fen', name=op.f('ck_service_order_refund_bounded')),
    sa.CheckConstraint('quantity > 0 AND unit_price_fen > 0 AND amount_fen > 0', name=op.f('ck_service_order_amount')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_service_order_rating')),
    sa.ForeignKeyConstraint(['offering_id'], ['offering.id'], name=op.f('fk_service_order_offering_id_offering')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_service_order_provider_id_provider')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_service_order_region_id_region')),
    sa.ForeignKeyConstraint(['resident_id'], ['user_account.id'], name=op.f('fk_service_order_resident_id_user_account')),
    sa.ForeignKeyConstraint(['slot_id'], ['offering_slot.id'], name=op.f('fk_service_order_slot_id_offering_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_order')),
    sa.UniqueConstraint('out_trade_no', name=op.f('uq_service_order_out_trade_no')),
    sa.UniqueConstraint('resident_id', 'client_id', name='uq_service_order_resident_client'),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_service_order_transaction_id'))
    )
    with op.batch_alter_table('service_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_order_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index('ix_service_order_confirm_due', ['confirm_by'], unique=False, postgresql_where=sa.text("state = 'completed'"), sqlite_where=sa.text("state = 'completed'"))
        batch_op.create_index('ix_service_order_pay_due', ['pay_expires_at'], unique=False, postgresql_where=sa.text("state = 'created'"), sqlite_where=sa.text("state = 'created'"))
        batch_op.create_index(batch_op.f('ix_service_order_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_region_path'), ['region_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_order_slot_id'), ['slot_id'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('movement', sa.String(length=16), nullable=False),
    sa.Column('account', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("account IN ('payer', 'escrow', 'provider', 'platform')", name=op.f('ck_ledger_entry_account')),
    sa.CheckConstraint("movement IN ('payment', 'refund', 'profit_share', 'platform_fee')", name=op.f('ck_ledger_entry_movement')),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_ledger_entry_not_zero')),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_ledger_entry_order_id_service_order')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_ledger_entry_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('movement', 'reference', 'account', name='uq_ledger_entry_movement_ref_account')
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entry_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_provider_id'), ['provider_id'], unique=False)

    op.create_table('order_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_order_log_actor_id_user_account')),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_order_log_order_id_service_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_log')),
    sa.UniqueConstraint('order_id', 'seq', name='uq_order_log_order_seq')
    )
    with op.batch_alter_table('order_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_log_order_id'), ['order_id'], unique=False)

    op.create_table('order_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('out_refund_no', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('refund_id', sa.String(length=32), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('retry_of_id', sa.Integer(), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('settled_at', TIMESTAMP, nullable=True),
    sa.CheckConstraint("status IN ('requested', 'processing', 'success', 'closed', 'abnormal')", name=op.f('ck_order_refund_status')),
    sa.ForeignKeyConstraint(['retry_of_id'], ['order_refund.id'], name=op.f('fk_order_refund_retry_of_id_order_refund')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_order_refund_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_order_refund_order_id_service_order')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_order_refund_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refund')),
    sa.UniqueConstraint('out_refund_no', name=op.f('uq_order_refund_out_refund_no'))
    )
    with op.batch_alter_table('order_refund', schema=None) as batch_op:
        batch_op.create_index('ix_order_refund_open', ['id'], unique=False, postgresql_where=sa.text("status IN ('requested', 'processing', 'abnormal')"), sqlite_where=sa.text("status IN ('requested', 'processing', 'abnormal')"))
        batch_op.create_index(batch_op.f('ix_order_refund_order_id'), ['order_id'], unique=False)

    op.create_table('order_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('out_order_no', sa.String(length=64), nullable=False),
    sa.Column('provider_fen', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('wechat_order_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('finished_at', TIMESTAMP, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'processing', 'finished', 'failed')", name=op.f('ck_order_settlement_status')),
    sa.CheckConstraint('provider_fen >= 0 AND fee_fen >= 0', name=op.f('ck_order_settlement_amounts')),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_order_settlement_order_id_service_order')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_order_settlement_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_settlement')),
    sa.UniqueConstraint('order_id', name=op.f('uq_order_settlement_order_id')),
    sa.UniqueConstraint('out_order_no', name=op.f('uq_order_settlement_out_order_no'))
    )
    with op.batch_alter_table('order_settlement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_settlement_provider_id'), ['provider_id'], unique=False)

    op.create_table('pay_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('received_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['service_order.id'], name=op.f('fk_pay_notice_order_id_service_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_notice')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_pay_notice_notice_id'))
    )
    with op.batch_alter_table('pay_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pay_notice_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('outbox_effect', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_effect_order_id'), ['order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_effect_order_id_service_order'), 'service_order', ['order_id'], ['id'])

    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_role_grant_provider_id'), ['provider_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_role_grant_provider_id_provider'), 'provider', ['provider_id'], ['id'])



def downgrade():
    # A provider's staff grants reach nothing once providers are gone.
    op.execute("DELETE FROM role_grant WHERE provider_id IS NOT NULL")
    with op.batch_alter_table('role_grant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_role_grant_provider_id_provider'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_role_grant_provider_id'))
        batch_op.drop_column('provider_id')

    with op.batch_alter_table('outbox_effect', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_effect_order_id_service_order'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_effect_order_id'))
        batch_op.drop_column('order_id')

    with op.batch_alter_table('pay_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pay_notice_order_id'))

    op.drop_table('pay_notice')
    with op.batch_alter_table('order_settlement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_settlement_provider_id'))

    op.drop_table('order_settlement')
    with op.batch_alter_table('order_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refund_order_id'))
        batch_op.drop_index('ix_order_refund_open', postgresql_where=sa.text("status IN ('requested', 'processing', 'abnormal')"), sqlite_where=sa.text("status IN ('requested', 'processing', 'abnormal')"))

    op.drop_table('order_refund')
    with op.batch_alter_table('order_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_log_order_id'))

    op.drop_table('order_log')
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_provider_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_order_id'))

    op.drop_table('ledger_entry')
    with op.batch_alter_table('service_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_order_slot_id'))
        batch_op.drop_index(batch_op.f('ix_service_order_resident_id'))
        batch_op.drop_index(batch_op.f('ix_service_order_region_path'))
        batch_op.drop_index(batch_op.f('ix_service_order_provider_id'))
        batch_op.drop_index('ix_service_order_confirm_due', postgresql_where=sa.text("state = 'completed'"), sqlite_where=sa.text("state = 'completed'"))
        batch_op.drop_index('ix_service_order_pay_due', postgresql_where=sa.text("state = 'created'"), sqlite_where=sa.text("state = 'created'"))
        batch_op.drop_index(batch_op.f('ix_service_order_offering_id'))

    op.drop_table('service_order')
    with op.batch_alter_table('offering_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_slot_offering_id'))

    op.drop_table('offering_slot')
    with op.batch_alter_table('offering_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_area_region_id'))

    op.drop_table('offering_area')
    with op.batch_alter_table('provider_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_log_provider_id'))

    op.drop_table('provider_log')
    with op.batch_alter_table('provider_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_document_provider_id'))

    op.drop_table('provider_document')
    with op.batch_alter_table('provider_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_area_region_id'))

    op.drop_table('provider_area')
    with op.batch_alter_table('offering', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offering_provider_id'))
        batch_op.drop_index(batch_op.f('ix_offering_category'))

    op.drop_table('offering')
    with op.batch_alter_table('reconciliation_mismatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_mismatch_run_id'))

    op.drop_table('reconciliation_mismatch')
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.drop_index('uq_provider_credit_code_live', postgresql_where=sa.text("status <> 'rejected'"), sqlite_where=sa.text("status <> 'rejected'"))
        batch_op.drop_index(batch_op.f('ix_provider_applicant_id'))

    op.drop_table('provider')
    with op.batch_alter_table('reconciliation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_run_bill_date'))

    op.drop_table('reconciliation_run')
