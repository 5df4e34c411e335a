"""Settlements (分账) asked about with back-off: queries so far, "no such profit share"
answers in a row, when the next query is due; when WeChat Pay was found not to know the
profit share (a ledger problem) and what the county did about it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("order_settlement") as batch:
        batch.add_column(sa.Column("queries", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("misses", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_query_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("unknown_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(length=16), nullable=True))
        batch.create_check_constraint(
            op.f("ck_order_settlement_resolution"),
            "resolution IS NULL OR resolution IN ('rerequested', 'released')")
    op.create_index("ix_order_settlement_query_due", "order_settlement", ["next_query_at"],
                    postgresql_where=sa.text("status = 'processing'"),
                    sqlite_where=sa.text("status = 'processing'"))


def downgrade():
    op.drop_index("ix_order_settlement_query_due", table_name="order_settlement")
    with op.batch_alter_table("order_settlement") as batch:
        batch.drop_constraint(op.f("ck_order_settlement_resolution"), type_="check")
        for column in ("resolution", "unknown_at", "next_query_at", "misses", "queries"):
            batch.drop_column(column)
