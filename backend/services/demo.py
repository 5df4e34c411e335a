"""The demo county from config/demo/county.json, loaded idempotently by natural keys
(region and department codes, openids, role+scope), so a second load adds nothing."""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from backend.extensions import db
from backend.models import Department, Grant, Region, User
from backend.models.people import scope_key
from backend.services import regions

DEMO_FILE = Path(__file__).resolve().parents[2] / "config" / "demo" / "county.json"
PROVIDERS_FILE = DEMO_FILE.with_name("providers.json")


def _by_code(model, code):
    return db.session.scalar(sa.select(model).where(model.code == code))


def _load_regions(rows) -> int:
    added = 0
    for row in rows:
        if _by_code(Region, row["code"]):
            continue
        parent = _by_code(Region, row["parent"]) if row["parent"] else None
        regions.insert({k: row[k] for k in ("code", "name", "level", "kind", "owner", "geometry")}
                       | {"parent_id": parent.id if parent else None}, parent)
        added += 1
    return added


def _load_departments(rows) -> int:
    added = 0
    for row in rows:
        if _by_code(Department, row["code"]):
            continue
        parent = _by_code(Department, row["parent"]) if row["parent"] else None
        db.session.add(Department(code=row["code"], name=row["name"],
                                  region_id=_by_code(Region, row["region"]).id,
                                  parent_id=parent.id if parent else None))
        db.session.flush()
        added += 1
    return added


def _scope(spec: dict) -> tuple[int | None, int | None]:
    region = _by_code(Region, spec["region"]) if "region" in spec else None
    dept = _by_code(Department, spec["department"]) if "department" in spec else None
    return (region.id if region else None), (dept.id if dept else None)


def _load_users(rows) -> tuple[int, int]:
    users = grants = 0
    for row in rows:
        user = db.session.scalar(sa.select(User).where(User.openid == row["openid"]))
        if user is None:
            user = User(openid=row["openid"], name=row["name"], phone=row["phone"])
            db.session.add(user)
            db.session.flush()
            users += 1
        for spec in row["grants"]:
            region_id, dept_id = _scope(spec)
            held = sa.select(Grant.id).where(Grant.user_id == user.id, Grant.role == spec["role"],
                                             Grant.scope_key == scope_key(region_id, dept_id))
            if not db.session.scalar(held):
                db.session.add(Grant(user_id=user.id, role=spec["role"], region_id=region_id,
                                     department_id=dept_id))
                grants += 1
    db.session.flush()
    return users, grants


def load(path: Path = DEMO_FILE, providers_path: Path | None = PROVIDERS_FILE) -> dict:
    from backend.services import demo_providers  # it uses _load_users from here

    data = json.loads(path.read_text(encoding="utf-8"))
    counts = {"regions": _load_regions(data["regions"]),
              "departments": _load_departments(data["departments"])}
    counts["users"], counts["grants"] = _load_users(data["users"])
    if providers_path is not None:
        more = demo_providers.load(json.loads(providers_path.read_text(encoding="utf-8")))
        counts |= {k: counts.get(k, 0) + v for k, v in more.items()}
    return counts


def users(path: Path = DEMO_FILE) -> list[tuple[str, str, str]]:
    """(openid, name, "role @ scope, ...") for each demo user, for the README and scripts/run."""
    data = json.loads(path.read_text(encoding="utf-8"))
    names = {r["code"]: r["name"] for r in data["regions"]}
    names.update({d["code"]: d["name"] for d in data["departments"]})
    rows = []
    for user in data["users"]:
        held = ", ".join(
            f"{g['role']} @ {names.get(g.get('region') or g.get('department'), 'everywhere')}"
            for g in user["grants"])
        rows.append((user["openid"], user["name"], held))
    from backend.services import demo_providers
    return rows + demo_providers.users(json.loads(PROVIDERS_FILE.read_text(encoding="utf-8")), names)
