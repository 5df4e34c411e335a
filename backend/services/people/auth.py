"""Mini-program login, bearer tokens and phone binding."""
from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.extensions import db
from backend.models import AuthToken, Grant, Region, User
from backend.models.types import utcnow
from backend.services import access, runtime
from backend.services.errors import Conflict, Invalid, NotAuthenticated, Unavailable
from backend.wechat.miniprogram import WeChatError, WeChatUnavailable

log = logging.getLogger("shaobao.auth")
# Login codes that are WeChat's way of saying "this code is no good".
BAD_CODE_ERRORS = {40029: "invalid_code", 40163: "code_used", 40226: "user_blocked"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _wechat_call(call, *args):
    """Run a WeChat call; a busy or absent WeChat is 503 (retry), a refused code 422."""
    try:
        return call(*args)
    except WeChatUnavailable as exc:
        log.warning("wechat unavailable errcode=%s", exc.errcode)
        raise Unavailable("WeChat is busy or unreachable; please retry") from exc
    except WeChatError as exc:
        code = BAD_CODE_ERRORS.get(exc.errcode, "wechat_refused")
        raise Invalid(f"WeChat refused the code (errcode {exc.errcode})", code=code,
                      fields={"code": [exc.errmsg or "refused"]}) from exc


def login(wechat, code: str) -> tuple[User, str, AuthToken]:
    """Exchange a wx.login code for a bearer token; a new openid becomes a resident."""
    session = _wechat_call(wechat.code_to_session, code)
    user = _find_or_create(session["openid"], session.get("unionid"))
    if session.get("unionid") and not user.unionid:
        user.unionid = session["unionid"]
    if not user.active:
        raise NotAuthenticated("this account is disabled", code="account_disabled")
    token, row = issue_token(user)
    log.info("login user=%s", user.id)
    return user, token, row


def _find_or_create(openid: str, unionid: str | None) -> User:
    """The user of an openid; two first logins racing (a phone retrying) make one user."""
    query = sa.select(User).where(User.openid == openid)
    user = db.session.scalar(query)
    if user is not None:
        return user
    try:
        with db.session.begin_nested():
            return _create_resident(openid, unionid)
    except IntegrityError:
        return db.session.scalar(query)


def _create_resident(openid: str, unionid: str | None) -> User:
    """The first login of an openid: a resident of the county this service runs."""
    user = User(openid=openid, unionid=unionid)
    db.session.add(user)
    db.session.flush()
    county = db.session.scalar(sa.select(Region).where(Region.level == "county").order_by(Region.id))
    if county is not None:
        db.session.add(Grant(user_id=user.id, role="resident", region_id=county.id))
    return user


def issue_token(user: User) -> tuple[str, AuthToken]:
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=runtime.setting("TOKEN_TTL_HOURS"))
    row = AuthToken(user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + ttl)
    db.session.add(row)
    db.session.flush()
    return token, row


@functools.cache
def _token_query():
    """Built once: it runs on every request. The token, its user and the user's grants in
    one statement (one row per grant; the grant columns are NULL for a user with none)."""
    scope = access.grant_scopes()
    return (sa.select(AuthToken, scope.c.role, scope.c.path, scope.c.department_id, scope.c.provider_id)
            .options(joinedload(AuthToken.user))
            .outerjoin(scope, scope.c.user_id == AuthToken.user_id)
            .where(AuthToken.token_hash == sa.bindparam("token_hash")))


def authenticate(token: str) -> tuple[User, AuthToken, access.Viewer]:
    """The user behind a bearer token and what their grants reach now, or NotAuthenticated
    (one message for every failure)."""
    rows = db.session.execute(_token_query(), {"token_hash": hash_token(token)}).all()
    row = rows[0][0] if rows else None
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.active:
        raise NotAuthenticated("the token is invalid, expired or revoked", code="invalid_token")
    return row.user, row, access.viewer_from(row.user.id, [r[1:] for r in rows])


def dead_tokens(token_ids) -> set[int]:
    """Of these token ids, the ones no longer valid (revoked, expired, user disabled): the
    sockets opened with them are closed."""
    ids = set(token_ids)
    if not ids:
        return set()
    live = db.session.scalars(sa.select(AuthToken.id).join(User, User.id == AuthToken.user_id).where(
        AuthToken.id.in_(ids), AuthToken.revoked_at.is_(None), AuthToken.expires_at > utcnow(),
        User.active))
    return ids - set(live)


def token_user(token_id: int) -> User:
    """The user of a token already presented (an open socket's), if it is still valid."""
    if dead_tokens([token_id]):
        raise NotAuthenticated("the token is invalid, expired or revoked", code="invalid_token")
    return db.session.get(User, db.session.get(AuthToken, token_id).user_id)


def logout(token_row: AuthToken) -> None:
    token_row.revoked_at = utcnow()


def revoke_tokens(user: User) -> None:
    """End every session of a user (disabled, or merged into a provisioned account)."""
    db.session.execute(sa.update(AuthToken).where(AuthToken.user_id == user.id,
                                                  AuthToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def bind_phone(wechat, user: User, code: str) -> tuple[User, str | None]:
    """Store the number WeChat vouches for (getPhoneNumber code).

    If an administrator provisioned an account with that number and nobody has claimed
    it yet, the WeChat identity moves onto it: the person logs in as the staff member they
    are. The new token is returned then (the old account and its tokens are retired).
    """
    phone = _wechat_call(wechat.phone_number, code)
    holder = db.session.scalar(sa.select(User).where(User.phone == phone, User.id != user.id))
    if holder is None:
        user.phone = phone
        log.info("phone bound user=%s", user.id)
        return user, None
    if holder.openid is not None or not holder.active or _has_staff_grants(user):
        raise Conflict("this phone number is bound to another account", code="phone_in_use")
    return _claim(user, holder)


def _has_staff_grants(user: User) -> bool:
    return any(g.role != "resident" for g in user.grants)


def _claim(user: User, holder: User) -> tuple[User, str]:
    openid, unionid = user.openid, user.unionid
    user.openid, user.unionid, user.active = None, None, False
    db.session.flush()  # free the unique openid before the holder takes it
    holder.openid, holder.unionid = openid, unionid
    revoke_tokens(user)
    token, _ = issue_token(holder)
    log.info("provisioned account claimed user=%s retired=%s", holder.id, user.id)
    return holder, token
