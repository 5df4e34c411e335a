"""Change counters for the reference data processes cache (regions, catalogue, calendar).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "reference_version",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_version")),
    )
    # One row per cache, so a bump is always a plain UPDATE (no insert race).
    op.bulk_insert(table, [{"name": n, "version": 0} for n in ("regions", "catalogue", "calendar")])


def downgrade():
    op.drop_table("reference_version")
