"""The administrative tree and the departments.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=15), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("geometry", JSON, nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("level IN ('county', 'township', 'community', 'grid')",
                           name=op.f("ck_region_level")),
        sa.ForeignKeyConstraint(["parent_id"], ["region.id"], name=op.f("fk_region_parent_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("code", name=op.f("uq_region_code")),
    )
    op.create_index("ix_region_parent_id", "region", ["parent_id"])
    op.create_index("ix_region_path", "region", ["path"],
                    postgresql_ops={"path": "varchar_pattern_ops"})
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["department.id"],
                                name=op.f("fk_department_parent_id_department")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_department_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
    )
    op.create_index("ix_department_parent_id", "department", ["parent_id"])
    op.create_index("ix_department_region_id", "department", ["region_id"])


def downgrade():
    op.drop_table("department")
    op.drop_table("region")
