"""The category catalogue, urgency classes and the working calendar's days.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('urgency_class',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=False),
    sa.Column('limits', JSON, nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_urgency_class'))
    )

    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('departments', JSON, nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('fields', JSON, nullable=False),
    sa.Column('limits', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.CheckConstraint("level IN ('community', 'township', 'county')", name=op.f('ck_category_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['category.id'], name=op.f('fk_category_parent_id_category')),
    sa.ForeignKeyConstraint(['urgency'], ['urgency_class.code'], name=op.f('fk_category_urgency_urgency_class')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code'))
    )
    op.create_index('ix_category_parent_id', 'category', ['parent_id'])

    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('holiday', 'makeup_workday')", name=op.f('ck_calendar_day_kind')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )


def downgrade():
    op.drop_table('calendar_day')
    op.drop_table('category')
    op.drop_table('urgency_class')
