"""flask commands: setup, seed, cases, outbox, scheduler, sockets, wechat-sim, orders, pay, clock, privacy, people."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import click
import flask_migrate
from flask import current_app
from flask.cli import with_appcontext

from backend.demo import seed as demo_seed
from backend.effects import delivery
from backend.extensions import db
from backend.realtime.push import PushUnavailable, push_case
from backend.scheduler import jobs, order_jobs, process, retention_jobs
from backend.services import runtime
from backend.services.catalogue import categories
from backend.services.clock import OffsetFileClock
from backend.services.errors import DomainError
from backend.services.finance import reconciliation
from backend.services.people import bootstrap
from backend.wechat.simulator import serve as serve_simulator


@click.group("seed")
def seed():
    """Load data files from config/."""


def refuse_demo_in_production() -> None:
    # The demo county holds made-up administrators (platform, security, audit): in a real
    # county they would be accounts nobody is answerable for.
    if current_app.config["SHAOBAO_ENV"] == "production":
        raise click.ClickException("the demo county is not loaded in production: run `flask db upgrade` "
                                   "and `flask seed catalogue`")


@seed.command("demo")
@with_appcontext
def seed_demo():
    """Load the demo county (regions, departments, users); loading twice changes nothing."""
    refuse_demo_in_production()
    counts = demo_seed.load()
    db.session.commit()
    click.echo("demo county loaded: " + ", ".join(f"{v} {k} added" for k, v in counts.items()))


@seed.command("catalogue")
@with_appcontext
def seed_catalogue():
    """Load the category catalogue and the working calendar from config/ (idempotent)."""
    counts = categories.load_catalogue()
    counts["calendar days"] = categories.load_calendar()
    db.session.commit()
    click.echo("catalogue loaded: " + ", ".join(f"{v} {k} added" for k, v in counts.items()))


@click.command("setup")
@click.pass_context
@with_appcontext
def setup(ctx):
    """Bring the database up to date, then load the catalogue and the demo county (each step
    idempotent): what scripts/run does first, in one process, since each `flask` start
    costs seconds (the imports)."""
    refuse_demo_in_production()
    flask_migrate.upgrade()
    ctx.invoke(seed_catalogue)
    ctx.invoke(seed_demo)


@click.group("cases")
def cases():
    """Maintenance of cases."""


@cases.command("recheck")
@with_appcontext
def recheck_content():
    """Run WeChat content security again on cases it could not check at intake."""
    counts = jobs.recheck(limit=100)
    click.echo("rechecked: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@click.group("scheduler")
def scheduler():
    """The scheduler: SLA clocks, callback reminders, archive, content rechecks."""


@scheduler.command("run")
@with_appcontext
def scheduler_run():
    """Run the scheduler process. Start one or more (on several machines too): one holds
    the lock and works, the others wait as standby and take over when it dies."""
    raise SystemExit(process.run(current_app._get_current_object()))


@scheduler.command("tick")
@with_appcontext
def scheduler_tick():
    """Process what is due now, once (idempotent: safe beside a running scheduler)."""
    counts = {**jobs.tick(), **jobs.archive()}
    click.echo("tick: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@seed.command("demo-users")
@with_appcontext
def seed_demo_users():
    """List the demo users: openid, role and where they hold it."""
    for openid, name, grants in demo_seed.users():
        click.echo(f"  {openid:<26} {name:<4}  {grants}")


@click.group("privacy")
def privacy():
    """Personal data: retention."""


@privacy.command("anonymise")
@with_appcontext
def privacy_anonymise():
    """Anonymise closed cases past PERSONAL_DATA_RETENTION_DAYS now (idempotent: safe beside
    a running scheduler, which does the same every SCHEDULER_RETENTION_SECONDS)."""
    counts = retention_jobs.run()
    click.echo("anonymised: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@click.group("people")
def people():
    """Accounts an operator sets up from the shell."""


@people.command("first-security-admin")
@click.argument("openid")
@with_appcontext
def first_security_admin(openid):
    """Make the user with OPENID (they log in once first) the install's first security
    administrator, who grants every role from then on; refused once there is one."""
    try:
        row = bootstrap.first_security_admin(openid)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"{openid} is the security administrator (grant {row.id}); the audit log has it")


@click.group("outbox")
def outbox():
    """Delivery of effects (socket pushes, subscribe messages)."""


@outbox.command("sweep")
@with_appcontext
def outbox_sweep():
    """Deliver what is due now: left behind by a process that died, or backed off (socket
    pushes only with REDIS_URL: without it the server processes deliver them)."""
    counts = delivery.sweep_apart()
    click.echo("outbox: " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing due"))


@click.command("wechat-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5100, show_default=True, envvar="WECHAT_SIM_PORT")
@with_appcontext
def wechat_sim(host, port):
    """Run the loopback WeChat simulator (for dev, demo and tests)."""
    # WeChat runs on the service's clock: time moved for a demo (flask clock advance) moves
    # WeChat Pay too, whose notifications the service refuses when 5 minutes off its own now.
    app_clock = runtime.current().clock
    options = {"clock": lambda: app_clock().timestamp()} if runtime.setting("CLOCK_FILE") else {}
    serve_simulator(host=host, port=port, appid=runtime.setting("WECHAT_APPID"),
          secret=runtime.setting("WECHAT_SECRET"), **options)


@click.group("sockets")
def sockets():
    """Socket.IO from outside the server (through the Redis message queue)."""


@sockets.command("push")
@click.argument("case_id", type=int)
@click.option("--event", default="case_changed", show_default=True)
@with_appcontext
def sockets_push(case_id, event):
    """Tell the sockets that may see a case that it moved (as the relay and scheduler do)."""
    if not runtime.setting("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: another process cannot reach the server's sockets")
    try:
        push_case(case_id, event)
    except (LookupError, PushUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"pushed {event} for case {case_id}")


@click.group("orders")
def orders():
    """Social-services orders."""


@orders.command("tick")
@with_appcontext
def orders_tick():
    """Run the order jobs once: close unpaid orders (after a final query), confirm the
    completed ones left alone, ask about refunds not yet reported (as the scheduler does)."""
    click.echo(f"orders: {order_jobs.run()}")


@click.group("pay")
def pay():
    """WeChat Pay: reconciliation with the daily trade bill."""


@pay.command("reconcile")
@click.option("--date", "bill_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="the Beijing day, YYYY-MM-DD (default: yesterday)")
@with_appcontext
def pay_reconcile(bill_date):
    """Reconcile a day against WeChat Pay's trade bill: a new run; exit 1 unless it matched."""

    day = bill_date.date() if bill_date else reconciliation.today() - timedelta(days=1)
    run = reconciliation.run(day)
    db.session.commit()
    click.echo(f"reconciliation {run.bill_date}: {run.status}, {run.bill_rows} bill lines, "
               f"{run.matched} matched, {run.mismatched} mismatched" + (f" ({run.error})" if run.error else ""))
    raise SystemExit(0 if run.status == "matched" else 1)


BEIJING = ZoneInfo("Asia/Shanghai")
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class Duration(click.ParamType):
    """A time forward: 2h, +90m, 1d12h, 45s or plain seconds."""
    name = "duration"
    pattern = re.compile(r"^\+?(?:\d+[dhms])+$")

    def convert(self, value, param, ctx) -> int:
        text = str(value).strip().lower()
        if text.lstrip("+").isdigit():
            return int(text.lstrip("+"))
        if not self.pattern.match(text):
            self.fail(f"{value!r} is not a duration such as 2h, 90m, 1d12h or 45s", param, ctx)
        return sum(int(n) * UNITS[unit] for n, unit in re.findall(r"(\d+)([dhms])", text))


def spelled(seconds: float) -> str:
    """93780 -> '+1d 2h 3m': the offset as a person reads it."""
    left, parts = int(seconds), []
    for unit, size in UNITS.items():
        count, left = divmod(left, size)
        parts += [f"{count}{unit}"] * bool(count)
    return "+" + (" ".join(parts) or "0s")


@click.group("clock")
def clock():
    """The development clock file (SHAOBAO_CLOCK_FILE; scripts/run sets var/clock): the
    server, the scheduler and the WeChat simulator all read it, so a demo moves time for the
    three at once instead of waiting. Production refuses the setting."""


def file_clock() -> OffsetFileClock:
    path = current_app.config["CLOCK_FILE"]
    if not path:
        raise click.ClickException("SHAOBAO_CLOCK_FILE is not set; scripts/run sets it to var/clock, "
                                   "and `scripts/demo clock` moves that one")
    return OffsetFileClock(path)


def describe(moved: OffsetFileClock) -> str:
    now = moved().astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return f"{spelled(moved.offset())} ahead of real time: now {now} Beijing ({moved.path})"


@clock.command("show")
@with_appcontext
def clock_show():
    """How far the clock is moved, and the time the processes see."""
    click.echo(describe(file_clock()))


@clock.command("advance")
@click.argument("by", type=Duration())
@with_appcontext
def clock_advance(by):
    """Move time forward BY (2h, 90m, 1d12h, 45s) for the server, the scheduler and the
    simulator; it only moves forward (the database has seen the later time)."""
    moved = file_clock()
    moved.advance(by)
    click.echo(describe(moved))


COMMANDS = (setup, seed, cases, outbox, scheduler, sockets, wechat_sim, orders, pay, clock, privacy, people)
