"""Personal data retention: when a closed case's personal data was anonymised, and the index
the retention job claims from (closed cases not yet anonymised, oldest first).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
PENDING = "anonymised_at IS NULL AND closed_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("anonymised_at", TIMESTAMP, nullable=True))
    op.create_index("ix_case_file_retention_due", "case_file", ["closed_at"],
                    postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    op.drop_index("ix_case_file_retention_due", table_name="case_file")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("anonymised_at")
