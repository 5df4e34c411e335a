"""`flask scheduler run`: wait for the lease (standby), then run the jobs on APScheduler
until SIGTERM or SIGINT; the batch in hand is finished (or, if the process is killed
instead, rolled back by the database) and the lease is released by the process's end.

APScheduler is given every setting explicitly rather than relying on its defaults: an
in-memory job store (the jobs are code, their state is in our tables; a shared job store
would run jobs twice), UTC, coalesce (a late tick runs once, not once per missed
interval), one instance per job, and no misfire grace limit (a tick that starts late still
runs: skipping it would only delay what is due). The tick and the archive share one
worker thread, so they never run at once; the outbox sweep (delivery: Socket.IO, WeChat)
and the content recheck wait on others' services, so each has its own (the daily
reconciliation with WeChat Pay shares the recheck's).

A database restart does not end the process: the lease's connection breaks with it, so the
next run steps down (stops the jobs, holds nothing), tries to take the lease again with a
back-off, and goes on once it holds it, or stays standby if another scheduler took it
meanwhile. A job meeting the database away logs one line and waits its next run.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import exc as sa_exc

from backend.extensions import db
from backend.scheduler import jobs, order_jobs, retention_jobs
from backend.scheduler.lease import LeaseLost, for_database
from backend.services import clock, heartbeat

log = logging.getLogger("shaobao.scheduler")
STANDBY_LOG_EVERY = 60  # seconds between "still standby" lines
RETAKE_MAX_SECONDS = 15  # the longest wait between attempts to take the lease back
# The database went away under a job (restarting, failing over): not a bug to trace.
DATABASE_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)


class Runner:
    def __init__(self, app: Flask):
        self.app = app
        self.stop = threading.Event()
        self.busy = threading.Lock()  # held while the tick or the archive runs
        self.scheduler: BlockingScheduler | None = None
        self.holder: heartbeat.Holder | None = None
        self.held = False            # the lease is this process's: the jobs may run
        self.retake_at = 0.0         # monotonic time of the next attempt to take it back
        self.retake_wait = 0.0
        with app.app_context():
            self.lease = for_database(db.engine, app.config["VAR_DIR"])

    # --- standby ----------------------------------------------------------------------

    def wait_for_lease(self) -> bool:
        retry = self.app.config["SCHEDULER_STANDBY_SECONDS"]
        last_said = None
        while not self.stop.is_set():
            if self.lease.try_acquire():
                return True
            now = datetime.now(UTC)
            if last_said is None or (now - last_said).total_seconds() >= STANDBY_LOG_EVERY:
                log.info("scheduler standby: another scheduler holds the %s; retrying every %ss",
                         self.lease.describe(), retry)
                last_said = now
            self.stop.wait(retry)
        return False

    # --- the jobs -----------------------------------------------------------------------

    def _guarded(self, job):
        def run():
            with self.busy:
                if self.stop.is_set():
                    self.shutdown()  # a signal that came before start() is honoured here
                    return
                if self._holding():
                    self._run(lambda: job(self.holder, self.stop))
        return run

    def _holding(self) -> bool:
        """Whether this process holds the lease now; a lease lost (the database restarted)
        is let go and taken back when the database lets it, with a back-off."""
        if self.held:
            try:
                self.lease.check()
                return True
            except LeaseLost:
                log.warning("scheduler lease lost (the database restarting?): the jobs stop "
                            "until this process holds it again")
                self.held = False
                self.lease.release()
        if time.monotonic() < self.retake_at:
            return False
        if self.lease.try_acquire():
            self.held, self.retake_wait = True, 0.0
            log.info("scheduler lease taken back: holding the %s again", self.lease.describe())
            return True
        self.retake_wait = min(max(self.retake_wait * 2, self.app.config["SCHEDULER_STANDBY_SECONDS"]),
                               RETAKE_MAX_SECONDS)
        self.retake_at = time.monotonic() + self.retake_wait
        return False

    def _run(self, job) -> None:
        with self.app.app_context():
            try:
                job()
            except DATABASE_AWAY as exc:
                log.warning("scheduler job: the database is unreachable (%s); next run retries",
                            type(exc.orig or exc).__name__)

    def _while_held(self, job):
        """A job that needs no exclusive batch (the outbox, WeChat calls), run while held."""
        def run():
            if not self.stop.is_set() and self.held:
                self._run(job)
        return run

    def build(self) -> BlockingScheduler:
        config = self.app.config
        scheduler = BlockingScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=1),
                       "outbox": ThreadPoolExecutor(max_workers=1),
                       "wechat": ThreadPoolExecutor(max_workers=1),
                       "pay": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC)
        first = datetime.now(UTC)
        scheduler.add_job(self._guarded(jobs.tick), "interval", id="tick", name="tick",
                          seconds=config["SCHEDULER_TICK_SECONDS"], next_run_time=first)
        scheduler.add_job(self._guarded(jobs.archive), "interval", id="archive", name="archive",
                          seconds=config["SCHEDULER_ARCHIVE_SECONDS"], next_run_time=first)
        # Personal data past retention: rare work, in the tick's thread and under its lease.
        scheduler.add_job(self._guarded(retention_jobs.run), "interval", id="retention", name="retention",
                          seconds=config["SCHEDULER_RETENTION_SECONDS"], next_run_time=first)
        if config["SCHEDULER_SWEEP_OUTBOX"]:
            scheduler.add_job(self._while_held(lambda: jobs.sweep_outbox(self.stop)), "interval",
                              id="outbox", name="outbox sweep",
                              seconds=config["SCHEDULER_TICK_SECONDS"], next_run_time=first,
                              executor="outbox")
        # WeChat Pay calls (a final query before closing an unpaid order) have their own
        # thread: a slow WeChat Pay must not hold back the deadlines' tick.
        scheduler.add_job(self._while_held(order_jobs.run), "interval", id="orders", name="order jobs",
                          seconds=config["SCHEDULER_TICK_SECONDS"], next_run_time=first, executor="pay")
        scheduler.add_job(self._while_held(jobs.recheck), "interval", id="recheck", name="content recheck",
                          seconds=config["SCHEDULER_RECHECK_SECONDS"], next_run_time=first,
                          executor="wechat")
        scheduler.add_job(self._while_held(jobs.reconcile), "interval", id="reconcile",
                          name="pay reconciliation",
                          seconds=config["SCHEDULER_RECONCILE_SECONDS"], next_run_time=first,
                          executor="wechat")
        return scheduler

    # --- life ---------------------------------------------------------------------------

    def shutdown(self, *_signal) -> None:
        self.stop.set()
        scheduler = self.scheduler
        if scheduler is not None and scheduler.state != STATE_STOPPED:
            # A signal lands on the main thread, maybe inside the scheduler's own loop, which
            # holds the job stores' reentrant lock: shutting down right there would empty the
            # store under the loop (JobLookupError, exit 1). From another thread the shutdown
            # waits for the loop to let go. The batch in hand finishes; see run().
            threading.Thread(target=_shut_down, args=(scheduler,), name="scheduler-shutdown").start()

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.shutdown)
        try:
            if not self.wait_for_lease():
                log.info("scheduler stopped (it was standby)")
                return 0
            self.held = True
            with self.app.app_context():
                self.holder = heartbeat.Holder.this_process(clock.now())
            log.info("scheduler active: holding the %s (pid %s); tick every %ss",
                     self.lease.describe(), self.holder.pid, self.app.config["SCHEDULER_TICK_SECONDS"])
            self.scheduler = self.build()
            if not self.stop.is_set():
                self.scheduler.start()  # blocks until shutdown()
            with self.busy:  # the tick or archive in hand ends after its current batch
                pass
            log.info("scheduler stopped")
            return 0
        finally:
            self.lease.close()


def _shut_down(scheduler: BlockingScheduler) -> None:
    try:
        scheduler.shutdown(wait=False)
    except SchedulerNotRunningError:  # a second signal, or the lease lost, got there first
        pass


def run(app: Flask) -> int:
    # APScheduler logs every run at INFO ("Running job ..."): every two seconds, forever.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return Runner(app).run()
