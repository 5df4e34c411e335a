"""The access matrix, continued for the county's money: the ledger problems and the county's
actions on a listed profit share (re-request, release), with two counties.

Kept apart from test_access_matrix.py (already past the house's module length). One order
of the demo county, paid, served and confirmed, whose profit share WeChat Pay does not know
(set directly: how it gets there is test_settlement_problems.py's business). Every viewer
reads the problems list and tries to re-request the share: the county's administrators (and
the platform's) see and act; another county's administrator sees nothing and gets 404 on
acting, even when they are also the order's provider's staff or its resident (403: they see
the order, not as its county); everyone else is refused the money (403).
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.models import Settlement, User
from backend.services import clock
from tests.factories import CountyFactory, GrantFactory, holder
from tests.integration.order_helpers import Shop
from tests.integration.test_settlement_problems import PROBLEMS, confirmed

OTHER_COUNTY = "other-county-admin"
# The provider's staff and the order's resident, each also a county administrator elsewhere.
DUAL = {"staff-and-other-county": "demo-provider-staff-1", "resident-and-other-county": "demo-resident-1"}

# viewer: (status of the list, the problem in it, status of a re-request)
MONEY = {
    "demo-county-admin": (200, True, 200),
    "demo-platform-admin": (200, True, 200),
    OTHER_COUNTY: (200, False, 404),
    "staff-and-other-county": (200, True, 403),   # their provider's rows, not their county's to act on
    "resident-and-other-county": (200, False, 403),
    "demo-provider-staff-1": (403, False, 403),
    "demo-resident-1": (403, False, 403),
    "demo-hub-dispatcher-1": (403, False, 403),
    "demo-grid-worker-1": (403, False, 403),
    "demo-dept-staff-1": (403, False, 403),
    "demo-security-admin": (403, False, 403),
    "demo-audit-admin": (403, False, 403),
}


@pytest.fixture()
def problem(client, as_user, sim, app):
    shop = Shop(client, as_user, sim, app)
    try:
        order, settlement = confirmed(shop)
        settlement.unknown_at = clock.now()
        db.session.commit()
        yield order, settlement.id
    finally:
        shop.close()


def viewer_openid(viewer: str) -> str:
    if viewer == OTHER_COUNTY:
        return holder("county_admin", region=CountyFactory()).openid
    if viewer in DUAL:
        user = db.session.scalar(sa.select(User).where(User.openid == DUAL[viewer]))
        GrantFactory(user=user, role="county_admin", region=CountyFactory())
        return user.openid
    return viewer


@pytest.mark.parametrize("viewer", sorted(MONEY))
def test_ledger_problems_and_the_countys_actions_by_county(as_user, problem, viewer):
    order, settlement_id = problem
    caller = as_user(viewer_openid(viewer))
    db.session.commit()
    list_status, sees, act_status = MONEY[viewer]
    listed = caller.get(PROBLEMS)
    assert listed.status_code == list_status, listed.get_json()
    if list_status == 200:
        assert (order["id"] in {p["order_id"] for p in listed.get_json()}) == sees
    acted = caller.post(f"/api/console/settlements/{settlement_id}/rerequest")
    assert acted.status_code == act_status, acted.get_json()
    db.session.expire_all()
    resolution = db.session.get(Settlement, settlement_id).resolution
    assert resolution == ("rerequested" if act_status == 200 else None)
