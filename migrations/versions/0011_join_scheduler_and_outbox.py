"""Join the two lines that grew from 0008 side by side: 0009 (the scheduler) and 0010
(outbox delivery). Nothing to change: they touch different tables, in either order; this
revision only makes one head again, so `flask db upgrade` needs no revision named, and a
database already at 0010 gets 0009 on its next upgrade.

Revision ID: 0011
Revises: 0009, 0010
Create Date: 2026-11-27
"""

revision = "0011"
down_revision = ("0009", "0010")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
