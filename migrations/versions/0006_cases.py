"""Cases and their log, summonses, deadlines, photos and supporters; API clients.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_client_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_api_client_region_id_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_client_key_hash'))
    )

    op.create_table('case_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('attributes', JSON, nullable=False),
    sa.Column('lng', sa.Double(), nullable=False),
    sa.Column('lat', sa.Double(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('region_path', sa.String(length=255), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('reporter_kind', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('api_client_id', sa.Integer(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('on_site', sa.Boolean(), nullable=False),
    sa.Column('extension_pending', JSON, nullable=True),
    sa.Column('rework_count', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('support_count', sa.Integer(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.String(length=24), nullable=True),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('content_check', sa.String(length=16), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.Column('closed_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['api_client_id'], ['api_client.id'], name=op.f('fk_case_file_api_client_id_api_client')),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_case_file_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_case_file_category_id_category')),
    sa.ForeignKeyConstraint(['grid_id'], ['region.id'], name=op.f('fk_case_file_grid_id_region')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['case_file.id'], name=op.f('fk_case_file_merged_into_id_case_file')),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_case_file_region_id_region')),
    sa.ForeignKeyConstraint(['reporter_id'], ['user_account.id'], name=op.f('fk_case_file_reporter_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file')),
    sa.UniqueConstraint('reporter_id', 'client_id', name='uq_case_file_reporter_client')
    )
    op.create_index('ix_case_file_category_state', 'case_file', ['category_id', 'state'])
    op.create_index('ix_case_file_created_at', 'case_file', ['created_at'])
    op.create_index('ix_case_file_grid_id', 'case_file', ['grid_id'])
    op.create_index('ix_case_file_region_id', 'case_file', ['region_id'])
    op.create_index('ix_case_file_region_path', 'case_file', ['region_path'], postgresql_ops={'region_path': 'varchar_pattern_ops'})
    op.create_index('ix_case_file_reporter_id', 'case_file', ['reporter_id'])
    op.create_index('ix_case_file_state', 'case_file', ['state'])

    op.create_table('case_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_case_log_actor_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_log_case_id_case_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_log')),
    sa.UniqueConstraint('case_id', 'seq', name='uq_case_log_case_seq')
    )
    op.create_index('ix_case_log_case_id', 'case_log', ['case_id'])

    op.create_table('summons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('on_site', sa.Boolean(), nullable=False),
    sa.Column('return_reason', sa.String(length=32), nullable=True),
    sa.Column('arrival_lat', sa.Double(), nullable=True),
    sa.Column('arrival_lng', sa.Double(), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_summons_case_id_case_file')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_summons_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summons'))
    )
    op.create_index('ix_summons_case_id', 'summons', ['case_id'])
    op.create_index('ix_summons_department_id', 'summons', ['department_id'])

    op.create_table('deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('summons_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('party', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=12), nullable=False),
    sa.Column('started_at', TIMESTAMP, nullable=False),
    sa.Column('due_at', TIMESTAMP, nullable=True),
    sa.Column('paused_at', TIMESTAMP, nullable=True),
    sa.Column('remaining_seconds', sa.Double(), nullable=True),
    sa.Column('stopped_at', TIMESTAMP, nullable=True),
    sa.Column('warned_at', TIMESTAMP, nullable=True),
    sa.Column('breached_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_deadline_case_id_case_file')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_deadline_department_id_department')),
    sa.ForeignKeyConstraint(['summons_id'], ['summons.id'], name=op.f('fk_deadline_summons_id_summons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline'))
    )
    op.create_index('ix_deadline_case_id', 'deadline', ['case_id'])
    op.create_index('ix_deadline_running_due', 'deadline', ['due_at'], postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))

    op.create_table('case_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('log_id', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_case_photo_added_by_id_user_account')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_photo_case_id_case_file')),
    sa.ForeignKeyConstraint(['log_id'], ['case_log.id'], name=op.f('fk_case_photo_log_id_case_log')),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_case_photo_photo_id_photo')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_photo'))
    )
    op.create_index('ix_case_photo_case_id', 'case_photo', ['case_id'])

    op.create_table('case_support',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_case_support_case_id_case_file')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_case_support_user_id_user_account')),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_support'))
    )


def downgrade():
    op.drop_table('case_support')
    op.drop_table('case_photo')
    op.drop_table('deadline')
    op.drop_table('summons')
    op.drop_table('case_log')
    op.drop_table('case_file')
    op.drop_table('api_client')
