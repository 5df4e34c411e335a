"""The scheduler process (`flask scheduler run`, APScheduler 3.11): it only wakes up and
processes what is due — SLA clocks (yellow warning, red alert with supervision, escalation),
callback reminders, archive of cases left unrated, content rechecks — and sweeps the
outbox (the relay delivers what no request handed it).

Exactly one process is active (lease.py); every job is idempotent anyway (claims.py):
a row is claimed, acted on and marked in one transaction, so a second process, a retry or
a process killed mid-batch never fires anything twice nor loses it.

    lease.py      one active scheduler: a PostgreSQL advisory lock or an fcntl file lock
    claims.py     which clocks are due: one partial-index range each, locked with SKIP LOCKED
    alerts.py     the yellow warning and the red alert (overdue, 督办), a batch at a time
    actions.py    what the flow lets the system do: escalate, archive
    jobs.py       the tick and the other jobs: batches, one commit each, the heartbeat;
                  the outbox sweep
    heartbeat.py  the holder and its last beat, read by /healthz
    process.py    the APScheduler process: standby, signals, shutdown
"""
