"""Separated duties and the audit trail (issue 11): the security and audit administrators'
roles; the audit log append-only on PostgreSQL (a trigger refuses UPDATE, DELETE and
TRUNCATE); reconciliation runs scoped to a county, as orders are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_ROLES = ("resident", "grid_worker", "community_admin", "hub_dispatcher", "dept_staff",
             "county_admin", "provider_staff", "platform_admin")
ROLES = OLD_ROLES + ("security_admin", "audit_admin")

APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""


def _roles(roles) -> str:
    return "role IN (%s)" % ", ".join(f"'{r}'" for r in roles)


def upgrade():
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_role_grant_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_role_grant_role"), _roles(ROLES))

    with op.batch_alter_table("reconciliation_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope_path", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_reconciliation_run_scope_path"), ["scope_path"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")

    with op.batch_alter_table("reconciliation_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_run_scope_path"))
        batch_op.drop_column("scope_path")

    # The new administrators' grants mean nothing to the older schema.
    op.execute("DELETE FROM role_grant WHERE role IN ('security_admin', 'audit_admin')")
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_role_grant_role"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_role_grant_role"), _roles(OLD_ROLES))
