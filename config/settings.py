"""Settings read from the environment, once, by create_app.

Production must be told its secrets and its database: starting it on the development
defaults would talk to WeChat with a published secret, leave Flask's SECRET_KEY (which
signs anything Flask or an extension signs) guessable, and write to a throwaway SQLite file.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from limits import parse_many

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
DEV_WECHAT_APPID = "wxd0000000000sim0"
DEV_WECHAT_SECRET = "dev-only-wechat-secret"
ENVIRONMENTS = ("development", "test", "production")
WECHAT_API_BASE = "https://api.weixin.qq.com"


class ConfigError(RuntimeError):
    """The environment does not describe a service that may start."""


def database_url(raw: str | None, var_dir: Path) -> str:
    """The SQLAlchemy URL: psycopg 3 for PostgreSQL, the embedded file otherwise."""
    if not raw:
        return f"sqlite:///{var_dir / 'shaobao.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def number(env, key: str, default: str, kind):
    raw = env.get(key, default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a {kind.__name__}, not {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{key} must be a positive finite number, not {raw!r}")
    return value


def share(env, key: str, default: str) -> float:
    """A fraction in (0, 1]."""
    value = number(env, key, default, float)
    if value > 1:
        raise ConfigError(f"{key} must be a share in (0, 1], not {value!r}")
    return value


def flag(env, key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, not {raw!r}")


def scheduler(env, name: str) -> dict:
    """The scheduler process (`flask scheduler run`) and what /healthz expects of it.

    SCHEDULER_EXPECTED: /healthz reports a missing heartbeat as a fault. Production expects
    one by default (no scheduler means no deadline ever fires); elsewhere a scheduler is
    expected once it has beaten at least once against the database."""
    return {
        "SCHEDULER_TICK_SECONDS": number(env, "SCHEDULER_TICK_SECONDS", "2", float),
        "SCHEDULER_BATCH_SIZE": number(env, "SCHEDULER_BATCH_SIZE", "500", int),
        "SCHEDULER_ARCHIVE_SECONDS": number(env, "SCHEDULER_ARCHIVE_SECONDS", "60", float),
        "SCHEDULER_RECHECK_SECONDS": number(env, "SCHEDULER_RECHECK_SECONDS", "300", float),
        # How often to look for a day to reconcile with WeChat Pay's bill (yesterday's, from
        # 10:00 Beijing, until a run of it succeeds; a failed fetch is tried again then).
        "SCHEDULER_RECONCILE_SECONDS": number(env, "SCHEDULER_RECONCILE_SECONDS", "1800", float),
        "SCHEDULER_STANDBY_SECONDS": number(env, "SCHEDULER_STANDBY_SECONDS", "1", float),
        "SCHEDULER_STALE_SECONDS": number(env, "SCHEDULER_STALE_SECONDS", "30", float),
        "SCHEDULER_EXPECTED": flag(env, "SCHEDULER_EXPECTED", name == "production"),
        # The outbox sweep every tick (what no request handed the relay); off where something
        # else runs `flask outbox sweep`.
        "SCHEDULER_SWEEP_OUTBOX": flag(env, "SCHEDULER_SWEEP_OUTBOX", True),
        "DEADLINE_WARN_SHARE": share(env, "DEADLINE_WARN_SHARE", "0.8"),
    }


def personal_data(env) -> dict:
    """Retention of personal data (PIPL: no longer than needed): a closed case's reporter link,
    phones, exact place and photo originals are anonymised this many days after it closed,
    looked for every SCHEDULER_RETENTION_SECONDS."""
    return {
        "PERSONAL_DATA_RETENTION_DAYS": number(env, "PERSONAL_DATA_RETENTION_DAYS", "365", int),
        "SCHEDULER_RETENTION_SECONDS": number(env, "SCHEDULER_RETENTION_SECONDS", "3600", float),
    }


def default_wechat_base(name: str, env) -> str:
    """Production talks to WeChat; everything else to the loopback simulator."""
    if name == "production":
        return WECHAT_API_BASE
    return "http://127.0.0.1:{}".format(env.get("WECHAT_SIM_PORT", "5100"))


# The resident steps WeChat subscribe messages announce (issue: accepted, dispatched,
# result ready, closed - please rate), each a template chosen in the mini-program's admin.
SUBSCRIBE_STEPS = ("accepted", "dispatched", "result_ready", "closed", "order_update")


def subscribe_templates(name: str, env) -> dict[str, str]:
    """Template id per step from WECHAT_TEMPLATE_<STEP>; empty turns a step off. Outside
    production each step has a made-up id the simulator accepts."""
    return {step: env.get(f"WECHAT_TEMPLATE_{step.upper()}",
                          "" if name == "production" else f"dev-template-{step.replace('_', '-')}")
            for step in SUBSCRIBE_STEPS}


def choice(env, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(key, default)
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def load(environ: dict | None = None) -> dict:
    """Flask config keys from an environment mapping (os.environ by default)."""
    env = os.environ if environ is None else environ
    name = env.get("SHAOBAO_ENV", "development")
    if name not in ENVIRONMENTS:
        raise ConfigError(f"SHAOBAO_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}")
    var_dir = Path(env.get("SHAOBAO_VAR_DIR", ROOT / "var"))
    settings = {
        "SHAOBAO_ENV": name,
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": env.get("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), var_dir),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "WECHAT_APPID": env.get("WECHAT_APPID", DEV_WECHAT_APPID),
        "WECHAT_SECRET": env.get("WECHAT_SECRET", DEV_WECHAT_SECRET),
        "WECHAT_API_BASE": env.get("WECHAT_API_BASE") or default_wechat_base(name, env),
        "WECHAT_TIMEOUT_SECONDS": number(env, "WECHAT_TIMEOUT_SECONDS", "5", float),
        "TOKEN_TTL_HOURS": number(env, "TOKEN_TTL_HOURS", str(24 * 30), int),
        "GRID_OVERLAP_TOLERANCE_M2": number(env, "GRID_OVERLAP_TOLERANCE_M2", "1.0", float),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "SIMILAR_RADIUS_M": number(env, "SIMILAR_RADIUS_M", "200", float),
        "SIMILAR_WINDOW_DAYS": number(env, "SIMILAR_WINDOW_DAYS", "30", int),
        "REOPEN_LIMIT": int(env.get("REOPEN_LIMIT", "1")),
        "ARRIVAL_RADIUS_M": number(env, "ARRIVAL_RADIUS_M", "500", float),
        "WECHAT_TEMPLATES": subscribe_templates(name, env),
        # After commit, effects go out from a background thread ("thread"), inside the
        # request ("inline": tests, so an answer means delivered) or only from the sweeper.
        "OUTBOX_DELIVERY": choice(env, "OUTBOX_DELIVERY", "thread", ("thread", "inline", "off")),
        "OUTBOX_MAX_ATTEMPTS": number(env, "OUTBOX_MAX_ATTEMPTS", "8", int),
        "OUTBOX_LEASE_SECONDS": number(env, "OUTBOX_LEASE_SECONDS", "60", float),
        # Without REDIS_URL only a server process reaches its sockets: each sweeps the pushes
        # the scheduler wrote this often (with Redis the scheduler delivers them itself).
        "OUTBOX_PUSH_SWEEP_SECONDS": number(env, "OUTBOX_PUSH_SWEEP_SECONDS", "2", float),
        # Test-only: a file holding seconds to add to the real clock, read by every process
        # (the end-to-end tests move time for the server and the scheduler together).
        "CLOCK_FILE": env.get("SHAOBAO_CLOCK_FILE") or None,
        # One JSON object per line (what log collectors read); "text" for a developer's terminal.
        "LOG_FORMAT": choice(env, "LOG_FORMAT", "json", ("json", "text")),
        # The monitoring's key to /healthz's details (strangers get only ok / not ok).
        "HEALTH_TOKEN": env.get("HEALTH_TOKEN") or None,
        **scheduler(env, name),
        **audit(env),
        **personal_data(env),
        **sockets(env),
        **marketplace(env),
        **wechat_pay(env, name),
        **abuse_limits(env),
    }
    if name == "production":
        check_production(settings, env)
    return settings


# 等保 2.0 level 3 keeps audit records at least six months: below that is refused.
AUDIT_RETENTION_FLOOR_DAYS = 180


def audit(env) -> dict:
    """How long the audit trail is kept. Nothing deletes audit rows today (and PostgreSQL
    refuses it); whatever purges them one day must keep at least this many days."""
    days = number(env, "AUDIT_RETENTION_DAYS", str(AUDIT_RETENTION_FLOOR_DAYS), int)
    if days < AUDIT_RETENTION_FLOOR_DAYS:
        raise ConfigError(f"AUDIT_RETENTION_DAYS must be at least {AUDIT_RETENTION_FLOOR_DAYS} "
                          f"(audit records are kept six months), not {days}")
    return {"AUDIT_RETENTION_DAYS": days}


def basis_points(env, key: str, default: str, high: int) -> int:
    """A share of money in basis points (1/10,000): integers, so fen never meet a float."""
    raw = env.get(key, default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number of basis points, not {raw!r}") from None
    if not 0 <= value <= high:
        raise ConfigError(f"{key} must be between 0 and {high} basis points, not {value}")
    return value


def marketplace(env) -> dict:
    """The social-services orders: how long an unpaid order waits, when a completed one
    confirms itself, what a late cancellation keeps and what the platform's fee is. WeChat
    Pay lets a service provider share at most 30% of an order to itself by default."""
    return {
        "ORDER_PAY_MINUTES": number(env, "ORDER_PAY_MINUTES", "15", int),
        "ORDER_CONFIRM_DAYS": number(env, "ORDER_CONFIRM_DAYS", "7", int),
        "ORDER_LATE_CANCEL_FEE_BP": basis_points(env, "ORDER_LATE_CANCEL_FEE_BP", "2000", 10_000),
        "PLATFORM_FEE_BP": basis_points(env, "PLATFORM_FEE_BP", "500", 3_000),
        # A processing profit share is asked about after a growing wait (doubling from the
        # first, capped); WeChat answering "no such profit share" this many times in a row
        # makes it a ledger problem for the county, no longer asked about.
        "SETTLEMENT_QUERY_FIRST_SECONDS": number(env, "SETTLEMENT_QUERY_FIRST_SECONDS", "60", int),
        "SETTLEMENT_QUERY_MAX_SECONDS": number(env, "SETTLEMENT_QUERY_MAX_SECONDS", "3600", int),
        "SETTLEMENT_QUERY_MISSES": number(env, "SETTLEMENT_QUERY_MISSES", "5", int),
        # Escrow still held this many days after the service was completed is a ledger
        # problem (confirmation by itself takes ORDER_CONFIRM_DAYS, sharing minutes).
        "SETTLEMENT_EXPECTED_DAYS": number(env, "SETTLEMENT_EXPECTED_DAYS", "10", int),
    }


WECHATPAY_API_BASE = "https://api.mch.weixin.qq.com"
DEV_WECHATPAY_SP_MCHID = "1900000001"   # backend.wechat.pay_keys.DEV_SP_MCHID
DEV_WECHATPAY_SP_NAME = "韶保演示服务商"
WECHATPAY_KEY_SETTINGS = ("WECHATPAY_CERT_SERIAL_NO", "WECHATPAY_PRIVATE_KEY_PATH",
                          "WECHATPAY_APIV3_KEY", "WECHATPAY_PUBLIC_KEY_PATH", "WECHATPAY_PUBLIC_KEY_ID")


def wechat_pay(env, name: str) -> dict:
    """WeChat Pay API v3 as the service provider (服务商). Outside production every unset key
    setting (None) falls back to the made-up key set in VAR_DIR/wechatpay, which the
    simulator reads too (backend/wechat/pay_keys.py). Production has no defaults: WeChat Pay
    is on when WECHATPAY_SP_MCHID is set, and then every setting must be given."""
    production = name == "production"
    port = env.get("PORT", "5000")
    return {
        "WECHATPAY_BASE_URL": env.get("WECHATPAY_BASE_URL") or (
            WECHATPAY_API_BASE if production else default_wechat_base(name, env)),
        "WECHATPAY_SP_MCHID": env.get("WECHATPAY_SP_MCHID") or (None if production else DEV_WECHATPAY_SP_MCHID),
        "WECHATPAY_SP_APPID": env.get("WECHATPAY_SP_APPID") or env.get("WECHAT_APPID", DEV_WECHAT_APPID),
        # The platform's full merchant name: WeChat wants it (encrypted) to add the platform
        # as a profit-sharing receiver.
        "WECHATPAY_SP_NAME": env.get("WECHATPAY_SP_NAME") or (None if production else DEV_WECHATPAY_SP_NAME),
        **{key: env.get(key) or None for key in WECHATPAY_KEY_SETTINGS},
        # Our public base WeChat POSTs notifications to: + /api/pay/notify/transaction|refund.
        "WECHATPAY_NOTIFY_BASE": (env.get("WECHATPAY_NOTIFY_BASE") or (
            "" if production else f"http://127.0.0.1:{port}")).rstrip("/"),
        "WECHATPAY_TIMEOUT_SECONDS": number(env, "WECHATPAY_TIMEOUT_SECONDS", "5", float),
    }


def wechat_pay_problems(settings: dict, env) -> list[str]:
    """Production: no WeChat Pay, or WeChat Pay with real keys and an https notify base."""
    if not settings["WECHATPAY_SP_MCHID"]:
        return []
    problems = [f"{key} is not set" for key in WECHATPAY_KEY_SETTINGS + ("WECHATPAY_SP_NAME",)
                if not settings[key]]
    if settings["WECHATPAY_SP_MCHID"] == DEV_WECHATPAY_SP_MCHID:
        problems.append("WECHATPAY_SP_MCHID is the development default")
    serial, key_id = settings["WECHATPAY_CERT_SERIAL_NO"] or "", settings["WECHATPAY_PUBLIC_KEY_ID"] or ""
    # Prefixes of the made-up keys (backend.wechat.pay_keys), kept apart to import nothing.
    if serial.upper().startswith("DE7E") or key_id.startswith("PUB_KEY_ID_DEV"):
        problems.append("WECHATPAY_CERT_SERIAL_NO/PUBLIC_KEY_ID are development key material")
    for key in ("WECHATPAY_PRIVATE_KEY_PATH", "WECHATPAY_PUBLIC_KEY_PATH"):
        dev_keys = (Path(settings["VAR_DIR"]) / "wechatpay").resolve()
        if settings[key] and Path(settings[key]).resolve().parent == dev_keys:
            problems.append(f"{key} points into the development key directory")
    if settings["WECHATPAY_APIV3_KEY"] and len(settings["WECHATPAY_APIV3_KEY"].encode()) != 32:
        problems.append("WECHATPAY_APIV3_KEY must be 32 bytes")
    if not settings["WECHATPAY_NOTIFY_BASE"].startswith("https://"):
        problems.append("WECHATPAY_NOTIFY_BASE must be the public https:// base of this service")
    if not settings["WECHATPAY_BASE_URL"].startswith("https://"):
        problems.append("WECHATPAY_BASE_URL must be https://")
    return problems


SOCKETIO_ASYNC_MODES = ("threading", "gevent")
SOCKETIO_TRANSPORT_NAMES = ("polling", "websocket")


def sockets(env) -> dict:
    """Socket.IO: threading by default (dev server, tests); scripts/serve sets gevent, the
    mode scripts/bench/fanout.py measured best, and websocket only for several workers."""
    mode = env.get("SOCKETIO_ASYNC_MODE", "threading")
    if mode not in SOCKETIO_ASYNC_MODES:
        raise ConfigError(f"SOCKETIO_ASYNC_MODE must be one of {', '.join(SOCKETIO_ASYNC_MODES)}, not {mode!r}")
    transports = tuple(t.strip() for t in env.get("SOCKETIO_TRANSPORTS", "polling,websocket").split(",") if t.strip())
    if not transports or set(transports) - set(SOCKETIO_TRANSPORT_NAMES):
        raise ConfigError(f"SOCKETIO_TRANSPORTS must list {' and/or '.join(SOCKETIO_TRANSPORT_NAMES)}")
    origins = env.get("SOCKETIO_CORS_ORIGINS", "*")
    return {
        "SOCKETIO_ASYNC_MODE": mode,
        "SOCKETIO_TRANSPORTS": transports,
        "SOCKETIO_CORS_ORIGINS": origins if origins == "*" else [o.strip() for o in origins.split(",")],
        "SOCKETIO_PING_INTERVAL": number(env, "SOCKETIO_PING_INTERVAL", "25", int),
        # How often each server process re-checks the tokens of its open sockets (logout,
        # expiry): what a socket may see is decided at every push, this only ends sessions.
        "SOCKET_RECHECK_SECONDS": number(env, "SOCKET_RECHECK_SECONDS", "15", float),
        "RESYNC_MAX_ENTRIES": number(env, "RESYNC_MAX_ENTRIES", "50", int),
        "RESYNC_MAX_CASES": number(env, "RESYNC_MAX_CASES", "100", int),
    }


# What each limited thing allows, in Flask-Limiter's syntax ("10/minute;100/hour"); empty
# turns that limit off. backend/api/limits.py says which routes spend each and by what key.
# Headroom: a phone resending a report on a village network, a hub working fast.
LIMIT_DEFAULTS = {
    "LIMIT_LOGIN": "10/minute",                      # per client address
    "LIMIT_REPORTS": "10/minute;60/hour",            # per user, from here on
    "LIMIT_PHOTOS": "30/minute;200/hour",            # 9 a report, 18 an application
    "LIMIT_SUPPORT": "20/minute;200/hour",
    "LIMIT_SIMILAR": "60/minute;600/hour",
    "LIMIT_ORDERS": "10/minute;60/hour",
    "LIMIT_PAYMENTS": "20/minute;120/hour",
    "LIMIT_PROVIDER_APPLICATIONS": "5/minute;20/day",   # applying and resubmitting
    "LIMIT_INTAKE": "600/minute",                    # per API key (a sensor, 12345)
}


def abuse_limits(env) -> dict:
    """The abuse limits, and how many proxies of ours stand in front (X-Forwarded-For is
    believed that far back, and only then)."""
    values = {}
    for key, default in LIMIT_DEFAULTS.items():
        value = env.get(key, default).strip()
        try:
            if value:
                parse_many(value)
        except ValueError:
            raise ConfigError(f"{key} must be limits such as \"10/minute;100/hour\" (or empty), "
                              f"not {value!r}") from None
        values[key] = value
    raw = env.get("TRUSTED_PROXY_COUNT", "0")
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigError(f"TRUSTED_PROXY_COUNT must be a whole number of proxies (0: none), not {raw!r}")
    return {**values, "TRUSTED_PROXY_COUNT": int(raw)}


def check_production(settings: dict, env) -> None:
    """Refuse the development defaults where a leak or a lost database would follow."""
    problems = []
    if not env.get("DATABASE_URL"):
        problems.append("DATABASE_URL is not set")
    if settings["SECRET_KEY"] == DEV_SECRET_KEY or len(settings["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY is the development default or shorter than 32 characters")
    if settings["WECHAT_SECRET"] == DEV_WECHAT_SECRET:
        problems.append("WECHAT_SECRET is the development default")
    if settings["WECHAT_APPID"] == DEV_WECHAT_APPID:
        problems.append("WECHAT_APPID is the development default")
    problems += wechat_pay_problems(settings, env)
    if settings["SOCKETIO_CORS_ORIGINS"] == "*":
        problems.append("SOCKETIO_CORS_ORIGINS is * (any web page could open a socket with a user's token)")
    if settings["CLOCK_FILE"]:
        problems.append("SHAOBAO_CLOCK_FILE is set (a test-only clock: deadlines would fire at a made-up time)")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
