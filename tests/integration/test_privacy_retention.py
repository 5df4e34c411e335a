"""Retention: closed cases lose their personal data PERSONAL_DATA_RETENTION_DAYS after closing,
once, keeping what the indicators need. The clock is the injected one (`frozen`)."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import (
    AuditEntry,
    Case,
    CaseLog,
    CasePhoto,
    CaseSupport,
    Deadline,
    IdempotencyKey,
    OutboxEffect,
    Photo,
    PhotoOwner,
)
from backend.scheduler import process, retention_jobs
from backend.services import idempotency, runtime
from backend.services.cases import photos
from tests.factories import CaseFactory, GridFactory, UserFactory, holder
from tests.integration.case_helpers import act, upload
from tests.integration.scheduler_helpers import HOLDER

SQUARE = {"type": "Polygon", "coordinates": [[[113.0, 37.0], [113.02, 37.0], [113.02, 37.02],
                                              [113.0, 37.02], [113.0, 37.0]]]}


@pytest.fixture()
def closed(ctx, as_user, frozen):
    """A case with a photo, a supporter and numbers in its text, rejected (closed) now."""
    grid = GridFactory()
    grid.geometry = SQUARE
    reporter, supporter = UserFactory(), UserFactory()
    hub = holder("hub_dispatcher", region=grid.parent.parent)
    photo_id = upload(as_user(reporter.openid))
    case = CaseFactory(region=grid, reporter=reporter, lng=113.012345, lat=37.006789,
                       description="井盖丢了，电话13812345678", address="幸福路88号3单元",
                       attributes={"contact": "13812345678", "depth_m": 2})
    photo = db.session.get(Photo, photo_id)
    photos.attach(case.id, [photo], "report", reporter.id, None)
    db.session.add(CaseSupport(case_id=case.id, user_id=supporter.id))
    # A subscribe message the reporter was sent (its delivery is the relay's tests' business).
    db.session.add(OutboxEffect(kind="subscribe_message", case_id=case.id, recipient_id=reporter.id,
                                payload={"step": "accepted"}, outcome="delivered"))
    case.support_count = 1
    db.session.flush()
    act(as_user(hub.openid), case.id, "reject", reason="不属受理范围，可拨打12345或010-62345678咨询")
    return SimpleNamespace(case=case.id, reporter=reporter, photo=photo, hub=hub)


def original(photo: Photo) -> bool:
    return photos.store().exists(photos.key(photo, "original"))


def test_nothing_happens_before_the_period_ends(closed, frozen):
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") - 1)
    assert retention_jobs.run(HOLDER) == {"cases": 0, "photo_originals": 0}
    case = db.session.get(Case, closed.case)
    assert case.anonymised_at is None and case.reporter_id == closed.reporter.id and original(closed.photo)


def test_a_closed_case_is_anonymised_once_after_the_period(closed, frozen):
    case = db.session.get(Case, closed.case)
    kept = {"category_id": case.category_id, "region_id": case.region_id, "grid_id": case.grid_id,
            "state": case.state, "created_at": case.created_at, "closed_at": case.closed_at,
            "support_count": 1, "channel": case.channel}
    deadlines = db.session.scalar(sa.select(sa.func.count()).where(Deadline.case_id == case.id))
    messages = db.session.scalar(sa.select(sa.func.count()).where(
        OutboxEffect.case_id == case.id, OutboxEffect.recipient_id == closed.reporter.id,
        OutboxEffect.outcome.is_not(None)))
    moment = frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)

    assert retention_jobs.run(HOLDER) == {"cases": 1, "photo_originals": 1}
    db.session.expire_all()
    case = db.session.get(Case, closed.case)
    assert case.anonymised_at == moment
    assert (case.reporter_id, case.client_id, case.address) == (None, None, None)
    assert case.description == "井盖丢了，电话138****5678"
    assert case.attributes == {"contact": "138****5678", "depth_m": 2}
    assert (case.lng, case.lat) == (113.01, 37.01)  # the grid's centroid
    assert {k: getattr(case, k) for k in kept} == kept
    assert db.session.scalar(sa.select(sa.func.count()).where(Deadline.case_id == case.id)) == deadlines
    assert db.session.scalars(sa.select(CaseSupport).where(CaseSupport.case_id == case.id)).all() == []
    log = {e.action: e for e in db.session.scalars(sa.select(CaseLog).where(CaseLog.case_id == case.id))}
    assert closed.reporter.id not in {e.actor_id for e in log.values()}
    assert log["reject"].actor_id == closed.hub.id
    assert log["reject"].payload["reason"] == "不属受理范围，可拨打12345或010-****5678咨询"
    # The original is gone; the renditions (pixels only, no metadata) stay for the record.
    assert not original(closed.photo)
    assert all(photos.store().exists(photos.key(closed.photo, v)) for v in ("display", "thumbnail"))
    assert db.session.get(PhotoOwner, (closed.photo.id, closed.reporter.id)) is None
    assert messages == 1 and db.session.scalars(sa.select(OutboxEffect.id).where(
        OutboxEffect.case_id == case.id, OutboxEffect.recipient_id.is_not(None))).all() == []
    trail = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "anonymise", AuditEntry.object_id == str(case.id))).all()
    assert [(t.actor_id, t.after["reason"], t.after["photo_originals"]) for t in trail] == [(None, "retention", 1)]

    # Done once: the next runs find nothing, whatever time it is.
    frozen.advance(days=30)
    assert retention_jobs.run(HOLDER) == {"cases": 0, "photo_originals": 0}
    assert db.session.get(Case, closed.case).anonymised_at == moment


def test_the_reports_replay_key_no_longer_links_its_reporter_to_the_case(closed, frozen):
    """The phone's idempotency key for the report (owner user:<reporter>, answer {case_id})
    is a reporter link too: a case past retention needs no replay, so the key goes with it."""
    case = db.session.get(Case, closed.case)
    case.client_id = "report-0001"
    body = {"client_id": case.client_id, "description": case.description}
    assert idempotency.claim(f"user:{closed.reporter.id}", case.client_id, body, 201, {"case_id": case.id})
    other = idempotency.claim(f"user:{closed.reporter.id}", "report-0002", {"client_id": "report-0002"}, 201,
                              {"case_id": CaseFactory(reporter=closed.reporter).id})
    db.session.flush()
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    assert retention_jobs.run(HOLDER)["cases"] == 1
    keys = db.session.scalars(sa.select(IdempotencyKey.key).where(
        IdempotencyKey.owner == f"user:{closed.reporter.id}")).all()
    assert other and keys == ["report-0002"]   # the open case's key stays


def test_open_cases_and_photos_still_needed_are_kept(closed, as_user, frozen):
    grid = GridFactory()  # no polygon: the point is rounded instead
    other = CaseFactory(region=grid, reporter=closed.reporter, lng=113.456789, lat=37.123456)
    photos.attach(other.id, [closed.photo], "report", closed.reporter.id, None)
    db.session.flush()
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    assert retention_jobs.run(HOLDER) == {"cases": 1, "photo_originals": 0}
    assert original(closed.photo)  # the open case still shows it in full
    assert db.session.get(Case, other.id).anonymised_at is None

    act(as_user(holder("hub_dispatcher", region=grid.parent.parent).openid), other.id, "reject", reason="重复")
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    assert retention_jobs.run(HOLDER) == {"cases": 1, "photo_originals": 1}
    rounded = db.session.get(Case, other.id)
    assert (rounded.lng, rounded.lat) == (113.46, 37.12)
    assert not original(closed.photo)


def test_the_job_works_in_batches(closed, frozen):
    reporter = UserFactory()
    for _ in range(3):
        case = CaseFactory(region=GridFactory(), reporter=reporter)
        case.state, case.closed_at = "closed", frozen()
    db.session.flush()
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    assert retention_jobs.run(HOLDER, limit=2) == {"cases": 4, "photo_originals": 1}
    pending = db.session.scalar(sa.select(sa.func.count()).where(Case.anonymised_at.is_(None),
                                                                 Case.closed_at.is_not(None)))
    assert pending == 0


def test_the_command_does_it_by_hand(app, closed, frozen):
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    result = app.test_cli_runner().invoke(args=["privacy", "anonymise"])
    assert result.exit_code == 0, result.output
    assert "anonymised: 1 cases, 1 photo_originals" in result.output
    assert db.session.get(Case, closed.case).reporter_id is None


def test_a_case_photo_keeps_its_purpose_rows(closed, frozen):
    frozen.advance(days=runtime.setting("PERSONAL_DATA_RETENTION_DAYS") + 1)
    retention_jobs.run(HOLDER)
    rows = db.session.scalars(sa.select(CasePhoto).where(CasePhoto.case_id == closed.case)).all()
    assert [(r.photo_id, r.purpose) for r in rows] == [(closed.photo.id, "report")]
    assert timedelta(0) < frozen() - db.session.get(Case, closed.case).closed_at


def test_the_scheduler_runs_retention_at_its_interval(app):
    runner = process.Runner(app)
    try:
        job = runner.build().get_job("retention")
        assert job.trigger.interval.total_seconds() == app.config["SCHEDULER_RETENTION_SECONDS"]
    finally:
        runner.lease.close()
