"""The scheduler: warning and escalation times, a partial index per question, the heartbeat.

Each clock gets warn_at (the yellow warning) and escalate_at (set at breach where the
system escalates); each question the tick asks gets a partial index that holds only the
rows still to be acted on; scheduler_heartbeat holds the active scheduler's last beat.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
# The same conditions as backend/models/cases.py (a migration does not import the models:
# it must keep meaning what it meant when it was written).
WARN_PENDING = "warned_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL"
BREACH_PENDING = ("breached_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL"
                  " AND kind <> 'callback'")
ESCALATION_PENDING = "escalate_at IS NOT NULL AND stopped_at IS NULL AND paused_at IS NULL"
CALLBACK_RUNNING = "kind = 'callback' AND stopped_at IS NULL AND paused_at IS NULL"
INDEXES = (("ix_deadline_warn_pending", "warn_at", WARN_PENDING),
           ("ix_deadline_breach_pending", "due_at", BREACH_PENDING),
           ("ix_deadline_escalation_pending", "escalate_at", ESCALATION_PENDING),
           ("ix_deadline_callback_running", "due_at", CALLBACK_RUNNING))
DEFAULT_WARN_SHARE = 0.8


def upgrade():
    op.add_column("deadline", sa.Column("warn_at", TIMESTAMP, nullable=True))
    op.add_column("deadline", sa.Column("escalate_at", TIMESTAMP, nullable=True))
    for name, column, condition in INDEXES:
        op.create_index(name, "deadline", [column], postgresql_where=sa.text(condition),
                        sqlite_where=sa.text(condition))
    op.create_table(
        "scheduler_heartbeat",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("beat_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_heartbeat")),
    )
    _backfill_warn_at()


def _backfill_warn_at():
    """Clocks already running get their warning on the working calendar, as new ones do.
    Clocks already past the warning are left unwarned: the first tick warns them (or, if
    already overdue, the red alert settles the yellow one)."""
    from workflows.calendar import UTC, WorkCalendar

    bind = op.get_bind()
    calendar_day = sa.table("calendar_day", sa.column("day", sa.Date), sa.column("kind", sa.String))
    days = bind.execute(sa.select(calendar_day.c.day, calendar_day.c.kind)).all()
    calendar = WorkCalendar(holidays={d for d, k in days if k == "holiday"},
                            makeup_workdays={d for d, k in days if k == "makeup_workday"})
    share = _warn_share()
    table = sa.table("deadline", sa.column("id"), sa.column("unit"), sa.column("started_at", TIMESTAMP),
                     sa.column("due_at", TIMESTAMP), sa.column("warn_at", TIMESTAMP))
    rows = bind.execute(sa.select(table.c.id, table.c.unit, table.c.started_at, table.c.due_at)
                        .where(sa.text("stopped_at IS NULL AND paused_at IS NULL AND due_at IS NOT NULL"))).all()
    aware = (lambda m: m if m.tzinfo else m.replace(tzinfo=UTC))
    for row_id, unit, started_at, due_at in rows:
        warn_at = calendar.warn_at(aware(started_at), aware(due_at), share, unit)
        if bind.dialect.name == "sqlite":
            warn_at = warn_at.replace(tzinfo=None)  # stored as naive UTC there (UTCDateTime)
        bind.execute(table.update().where(table.c.id == row_id).values(warn_at=warn_at))


def _warn_share() -> float:
    try:
        from flask import current_app
        return float(current_app.config.get("DEADLINE_WARN_SHARE", DEFAULT_WARN_SHARE))
    except RuntimeError:  # outside an application (plain alembic)
        return DEFAULT_WARN_SHARE


def downgrade():
    op.drop_table("scheduler_heartbeat")
    for name, _column, _condition in INDEXES:
        op.drop_index(name, table_name="deadline")
    with op.batch_alter_table("deadline") as batch:  # SQLite rebuilds the table
        batch.drop_column("escalate_at")
        batch.drop_column("warn_at")
