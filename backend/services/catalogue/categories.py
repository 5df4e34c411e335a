"""The category catalogue and the working calendar: loading, reading, editing."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from backend.extensions import db
from backend.models import CalendarDay, Category, Department, UrgencyClass
from backend.models.catalogue import STAGES
from backend.services import access, audit, cache
from backend.services.cache import StampedCache
from backend.services.catalogue import attributes
from backend.services.errors import Invalid, NotFound
from workflows.calendar import Limit, WorkCalendar

CONFIG = Path(__file__).resolve().parents[3] / "config"
UNITS = ("minutes", "hours", "work_hours", "work_days")


# --- loading the shipped data (idempotent: what exists is left as the console made it) --

def _load_urgency(classes: dict) -> int:
    added = 0
    for code, spec in classes.items():
        if db.session.get(UrgencyClass, code) is None:
            db.session.add(UrgencyClass(code=code, label=spec["label"], limits=spec["limits"]))
            added += 1
    db.session.flush()
    return added


def _load_categories(rows, parent: Category | None, inherited: dict) -> int:
    added = 0
    for position, row in enumerate(rows):
        category = db.session.scalar(sa.select(Category).where(Category.code == row["code"]))
        if category is None:
            category = Category(
                code=row["code"], name=row["name"], parent_id=parent.id if parent else None,
                level=row.get("level", inherited.get("level")),
                departments=row.get("departments", inherited.get("departments", [])),
                urgency=row.get("urgency", inherited.get("urgency", "general")),
                fields=row.get("fields", []), limits=row.get("limits", {}), position=position)
            db.session.add(category)
            db.session.flush()
            added += 1
        added += _load_categories(row.get("children", []), category,
                                  {"level": category.level, "departments": category.departments,
                                   "urgency": category.urgency})
    return added


def load_catalogue(path: Path = CONFIG / "catalogue.json") -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    counts = {"urgency classes": _load_urgency(data["urgency_classes"]),
              "categories": _load_categories(data["categories"], None, {})}
    if any(counts.values()):
        cache.bump("catalogue")
    return counts


def load_calendar(path: Path = CONFIG / "calendar.json") -> int:
    data = json.loads(path.read_text(encoding="utf-8"))
    added = 0
    for year in data["years"].values():
        for kind, key in (("holiday", "holidays"), ("makeup_workday", "makeup_workdays")):
            for raw in year.get(key, []):
                day = date.fromisoformat(raw)
                if db.session.get(CalendarDay, day) is None:
                    db.session.add(CalendarDay(day=day, kind=kind))
                    added += 1
    db.session.flush()
    if added:
        cache.bump("calendar")
    return added


# --- reading -----------------------------------------------------------------------------

def _build_calendar() -> WorkCalendar:
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar(holidays={d for d, k in rows if k == "holiday"},
                        makeup_workdays={d for d, k in rows if k == "makeup_workday"})


_calendar = StampedCache("calendar", _build_calendar)


def work_calendar() -> WorkCalendar:
    """The calendar from the database, rebuilt when its days change."""
    return _calendar.get()


@dataclass(frozen=True)
class Entry:
    """A category as intake needs it, detached from any session."""
    id: int
    code: str
    name: str
    level: str
    urgency: str
    fields: list
    leaf: bool
    active: bool
    limits: dict  # urgency class -> stage -> Limit


def _build_entries() -> dict[int, Entry]:
    classes = {u.code: u.limits for u in db.session.scalars(sa.select(UrgencyClass))}
    rows = db.session.scalars(sa.select(Category)).all()
    by_id = {c.id: c for c in rows}
    parents = {c.parent_id for c in rows if c.active and c.parent_id}
    entries = {}
    for c in rows:
        chain = [by_id[c.parent_id], c] if c.parent_id else [c]
        limits = {}
        for code, base in classes.items():
            merged = dict(base)
            for each in chain:
                merged.update(each.limits or {})
            limits[code] = {stage: Limit(v["amount"], v["unit"]) for stage, v in merged.items()}
        entries[c.id] = Entry(c.id, c.code, c.name, c.level, c.urgency, list(c.fields or []),
                              c.id not in parents, c.active, limits)
    return entries


_entries = StampedCache("catalogue", _build_entries)


def limits_for(category_id: int, urgency: str) -> dict[str, Limit]:
    """Every stage's limit: the urgency class's, then the parent's overrides, then its own."""
    return _entries.get()[category_id].limits[urgency]


def tree(active_only: bool = True) -> list[dict]:
    query = sa.select(Category).order_by(Category.parent_id.nulls_first(), Category.position)
    if active_only:
        query = query.where(Category.active)
    rows = db.session.scalars(query).all()
    nodes = {c.id: {"category": c, "children": []} for c in rows}
    roots = []
    for category in rows:
        parent = nodes.get(category.parent_id)
        if category.parent_id is None:
            roots.append(nodes[category.id])
        elif parent is not None:
            parent["children"].append(nodes[category.id])
    return roots


def reference(category_id: int) -> dict:
    """{"id", "code", "name"} of a category, from the per-process catalogue."""
    entry = _entries.get()[category_id]
    return {"id": entry.id, "code": entry.code, "name": entry.name}


def leaf(category_id: int) -> Entry:
    """A category a case may be filed under: active, and without active sub-categories."""
    entry = _entries.get().get(category_id)
    if entry is None or not entry.active:
        raise Invalid("unknown or retired category", fields={"category_id": ["unknown category"]})
    if not entry.leaf:
        raise Invalid("choose a sub-category", fields={"category_id": ["not a leaf category"]})
    return entry


# --- editing (county administrators; the face checks the role) -----------------------------

def _check_limits(limits: dict) -> None:
    problems = {}
    for stage, spec in limits.items():
        if stage not in STAGES:
            problems[f"limits.{stage}"] = ["unknown stage"]
        elif (not isinstance(spec, dict) or spec.get("unit") not in UNITS
              or not isinstance(spec.get("amount"), int) or isinstance(spec.get("amount"), bool)
              or spec["amount"] <= 0):
            problems[f"limits.{stage}"] = ["{amount: positive integer, unit: " + "|".join(UNITS) + "}"]
    if problems:
        raise Invalid("invalid time limits", fields=problems)


def snapshot(category: Category) -> dict:
    return {key: getattr(category, key) for key in
            ("code", "name", "level", "departments", "urgency", "fields", "limits", "active")}


def _check_departments(codes: list[str]) -> None:
    known = set(db.session.scalars(sa.select(Department.code).where(Department.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid("unknown department codes", fields={"departments": [f"unknown: {unknown}"]})


def update(viewer, category_id: int, data: dict) -> Category:
    scope_path = access.ensure_county_admin(viewer)
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(f"category {category_id} not found")
    if "fields" in data:
        try:
            attributes.check_definitions(data["fields"])
        except ValueError as exc:
            raise Invalid(str(exc), fields={"fields": [str(exc)]}) from exc
    if "limits" in data:
        _check_limits(data["limits"])
    if "departments" in data:
        _check_departments(data["departments"])
    if "urgency" in data and db.session.get(UrgencyClass, data["urgency"]) is None:
        raise Invalid("unknown urgency class", fields={"urgency": ["unknown"]})
    before = snapshot(category)
    for key in ("name", "departments", "urgency", "fields", "limits", "active"):
        if key in data:
            setattr(category, key, data[key])
    db.session.flush()
    cache.bump("catalogue")
    if snapshot(category) != before:
        audit.record(viewer.user_id, "category.update", category, before, snapshot(category),
                     scope_path)
    return category


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("a day is YYYY-MM-DD", fields={"day": ["not a date"]}) from None


def calendar_days(year: int) -> list[CalendarDay]:
    return db.session.scalars(sa.select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)).all()


def set_day(viewer, raw: str, data: dict) -> CalendarDay:
    """Deadlines already running keep their due time; new clocks use the new calendar."""
    scope_path = access.ensure_county_admin(viewer)
    day = _day(raw)
    row = db.session.get(CalendarDay, day)
    before = {"kind": row.kind, "note": row.note} if row else None
    if row is None:
        row = CalendarDay(day=day, kind=data["kind"], note=data.get("note"))
        db.session.add(row)
    else:
        row.kind, row.note = data["kind"], data.get("note")
    db.session.flush()
    cache.bump("calendar")
    _audit_day(viewer, "calendar.set", row, before, {"kind": row.kind, "note": row.note}, scope_path)
    return row


def clear_day(viewer, raw: str) -> None:
    scope_path = access.ensure_county_admin(viewer)
    row = db.session.get(CalendarDay, _day(raw))
    if row is None:
        raise NotFound(f"{raw} is an ordinary day already")
    _audit_day(viewer, "calendar.clear", row, {"kind": row.kind, "note": row.note}, None, scope_path)
    db.session.delete(row)
    db.session.flush()
    cache.bump("calendar")


def _audit_day(viewer, action, row, before, after, scope_path):
    audit.record_raw(viewer.user_id, action, "calendar_day", row.day.isoformat(), before, after,
                     scope_path)
