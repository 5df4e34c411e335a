"""Personal data retention: when a closed case's personal data was anonymised, and the index
the retention job claims from (closed cases not yet anonymised, oldest first).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
PENDING = "anonymised_at IS NULL AND closed_at IS NOT NULL"


def upgrade():
    # A plain ALTER on both databases: a batch rebuild of case_file would drop a table
    # other tables reference, which SQLite refuses with foreign keys on.
    op.add_column("case_file", sa.Column("anonymised_at", TIMESTAMP, nullable=True))
    op.create_index("ix_case_file_retention_due", "case_file", ["closed_at"],
                    postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    op.drop_index("ix_case_file_retention_due", table_name="case_file")
    op.drop_column("case_file", "anonymised_at")  # SQLite 3.35+ drops a column in place
