"""Outbox delivery: attempts, back-off (which is also the lease), an outcome per effect, a recipient for
subscribe messages; and the subscribe-message acceptances residents hold.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    op.drop_index("ix_outbox_effect_pending", table_name="outbox_effect")
    with op.batch_alter_table("outbox_effect") as batch:
        batch.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch.create_foreign_key(op.f("fk_outbox_effect_recipient_id_user_account"), "user_account",
                                 ["recipient_id"], ["id"])
    # Audience notes of the first version had no channel: settled, not delivered late.
    op.execute("UPDATE outbox_effect SET next_attempt_at = created_at, outcome = 'skipped', "
               "last_error = 'written before delivery existed' WHERE kind = 'notify'")
    # The relay's question, "what is still to deliver, and due", is one index range.
    op.create_index("ix_outbox_effect_pending", "outbox_effect", ["next_attempt_at", "id"],
                    postgresql_where=sa.text("outcome IS NULL"), sqlite_where=sa.text("outcome IS NULL"))
    op.create_index("ix_outbox_effect_dead", "outbox_effect", ["id"],
                    postgresql_where=sa.text("outcome = 'dead'"), sqlite_where=sa.text("outcome = 'dead'"))

    op.create_table(
        "subscribe_credit",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_subscribe_credit_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", "template_id", name=op.f("pk_subscribe_credit")),
        sa.CheckConstraint("available >= 0", name=op.f("ck_subscribe_credit_not_negative")),
    )


def downgrade():
    op.drop_table("subscribe_credit")
    op.drop_index("ix_outbox_effect_dead", table_name="outbox_effect")
    op.drop_index("ix_outbox_effect_pending", table_name="outbox_effect")
    with op.batch_alter_table("outbox_effect") as batch:
        batch.drop_constraint(op.f("fk_outbox_effect_recipient_id_user_account"), type_="foreignkey")
        for column in ("last_error", "outcome", "next_attempt_at", "attempts",
                       "recipient_id"):
            batch.drop_column(column)
    op.create_index("ix_outbox_effect_pending", "outbox_effect", ["id"],
                    postgresql_where=sa.text("delivered_at IS NULL"), sqlite_where=sa.text("delivered_at IS NULL"))
