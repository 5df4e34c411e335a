"""Users, grants (a role in a scope; table role_grant, as GRANT is an SQL keyword) and tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
ROLES = ("resident", "grid_worker", "community_admin", "hub_dispatcher", "dept_staff",
         "county_admin", "provider_staff", "platform_admin")


def upgrade():
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("unionid", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("openid", name=op.f("uq_user_account_openid")),
        sa.UniqueConstraint("phone", name=op.f("uq_user_account_phone")),
    )
    op.create_index("ix_user_account_unionid", "user_account", ["unionid"])
    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("scope_key", sa.String(length=48), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("role IN (%s)" % ", ".join(f"'{r}'" for r in ROLES), name=op.f("ck_role_grant_role")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_role_grant_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_role_grant_department_id_department")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_role_grant_region_id_region")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_role_grant_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
        sa.UniqueConstraint("user_id", "role", "scope_key", name="uq_role_grant_user_role_scope"),
    )
    op.create_index("ix_role_grant_department_id", "role_grant", ["department_id"])
    op.create_index("ix_role_grant_region_id", "role_grant", ["region_id"])
    op.create_index("ix_role_grant_user_id", "role_grant", ["user_id"])
    op.create_table(
        "auth_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_auth_token_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_token_token_hash")),
    )
    op.create_index("ix_auth_token_user_id", "auth_token", ["user_id"])


def downgrade():
    op.drop_table("auth_token")
    op.drop_table("role_grant")
    op.drop_table("user_account")
