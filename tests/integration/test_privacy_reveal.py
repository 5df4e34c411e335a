"""Personal data in views: phones masked for handlers, free-text numbers masked for all but
their author, and the reveal: an explicit, reasoned, audited act of those who must call back.
(Who may reveal, role by role, is in test_access_matrix.py.)"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.extensions import db
from backend.models import Case, CaseSupport, Provider, Region, User
from tests.factories import CaseFactory, GridFactory, OrderFactory, UserFactory, holder
from tests.integration.case_helpers import act
from tests.integration.order_helpers import Shop
from tests.integration.provider_helpers import DEMO_APPLICATION_CODE, provider_id, review

REPORTER_PHONE = "13912345678"
NUMBERS = "请回电13912345678，身份证110101199003071234"
MASKED = "请回电139****5678，身份证110101********1234"


@pytest.fixture()
def place(ctx):
    grid = GridFactory()
    township = grid.parent.parent
    reporter = UserFactory(phone=REPORTER_PHONE)
    supporter = UserFactory(phone="13700001111")
    case = CaseFactory(region=grid, reporter=reporter, description=NUMBERS, address="幸福路1号 电话010-62345678")
    db.session.add(CaseSupport(case_id=case.id, user_id=supporter.id))
    db.session.flush()
    return SimpleNamespace(case=case.id, reporter=reporter, supporter=supporter,
                           hub=holder("hub_dispatcher", region=township),
                           county=holder("county_admin", region=township.parent))


def reveal(caller, case_id, **body):
    return caller.post(f"/api/console/cases/{case_id}/reveal", json=body)


def test_handlers_read_masked_phones(as_user, place):
    view = as_user(place.hub.openid).get(f"/api/console/cases/{place.case}").json
    assert view["reporter"]["phone"] == "139****5678"
    assert [s["phone"] for s in view["supporters"]] == ["137****1111"]


def test_a_reveal_answers_the_whole_number_and_is_audited(as_user, place):
    hub, county = as_user(place.hub.openid), as_user(place.county.openid)
    response = reveal(hub, place.case, what="reporter_phone", reason="回访核实处理结果")
    assert response.status_code == 200, response.json
    assert response.json == {"case_id": place.case, "what": "reporter_phone", "user_id": place.reporter.id,
                             "phone": REPORTER_PHONE}
    trail = county.get(f"/api/console/audit?object_type=case_file&object_id={place.case}").json
    assert [(e["action"], e["actor_id"], e["after"]) for e in trail] == [
        ("reveal", place.hub.id, {"what": "reporter_phone", "whose": place.reporter.id, "reason": "回访核实处理结果"})]
    assert trail[0]["at"]


def test_a_supporter_is_revealed_one_at_a_time(as_user, place):
    hub = as_user(place.hub.openid)
    response = reveal(hub, place.case, what="supporter_phone", user_id=place.supporter.id, reason="核实现场")
    assert response.status_code == 200 and response.json["phone"] == "13700001111"
    stranger = UserFactory()
    assert reveal(hub, place.case, what="supporter_phone", user_id=stranger.id, reason="核实").status_code == 404
    assert reveal(hub, place.case, what="supporter_phone", reason="核实").status_code == 422


@pytest.mark.parametrize("body", [{"what": "reporter_phone"}, {"what": "reporter_phone", "reason": ""},
                                  {"what": "everything", "reason": "想看"}, {"reason": "想看"}])
def test_a_reveal_needs_a_reason_and_a_known_what(as_user, place, body):
    hub, county = as_user(place.hub.openid), as_user(place.county.openid)
    response = reveal(hub, place.case, **body)
    assert response.status_code == 422 and response.json["error"]["fields"]
    assert county.get(f"/api/console/audit?object_type=case_file&object_id={place.case}").json == []


def test_the_reporter_of_an_anonymous_case_is_not_revealed(as_user, place):
    grid = GridFactory()
    case = CaseFactory(region=grid, anonymous=True)
    county = as_user(holder("county_admin", region=grid.parent.parent.parent).openid)
    response = reveal(county, case.id, what="reporter_phone", reason="回访")
    assert response.status_code == 404 and response.json["error"]["code"] == "no_reporter"
    assert county.get(f"/api/console/audit?object_type=case_file&object_id={case.id}").json == []


def test_numbers_in_free_text_are_masked_for_all_but_their_author(as_user, place):
    hub, reporter = as_user(place.hub.openid), as_user(place.reporter.openid)
    seen = hub.get(f"/api/console/cases/{place.case}").json
    assert seen["description"] == MASKED and seen["address"] == "幸福路1号 电话010-****5678"
    listed = hub.get("/api/console/cases").json
    assert [c["description"] for c in listed if c["id"] == place.case] == [MASKED]
    assert reporter.get(f"/api/mp/cases/{place.case}").json["description"] == NUMBERS
    # A handler's words reach the reporter masked too; their author reads them whole.
    act(hub, place.case, "reject", reason="重复诉求，请致电13600002222咨询")
    entry = reporter.get(f"/api/mp/cases/{place.case}").json["timeline"][-1]
    assert entry["payload"]["reason"] == "重复诉求，请致电136****2222咨询"
    assert hub.get(f"/api/mp/cases/{place.case}").json["timeline"][-1]["payload"]["reason"].endswith(
        "13600002222咨询")


def test_free_text_is_revealed_whole(as_user, place):
    response = reveal(as_user(place.hub.openid), place.case, what="free_text", reason="需联系报案人")
    assert response.status_code == 200
    assert response.json["description"] == NUMBERS and "010-62345678" in response.json["address"]


def test_an_orders_note_is_masked_for_the_provider(as_user, ctx):
    order = OrderFactory(note="到了打电话13812340000")
    staff = holder("provider_staff", provider=db.session.get(Provider, order.provider_id))
    resident = as_user(db.session.get(User, order.resident_id).openid)
    assert resident.get(f"/api/mp/orders/{order.id}").json["note"] == "到了打电话13812340000"
    provider_view = as_user(staff.openid).get(f"/api/console/orders/{order.id}")
    assert provider_view.status_code == 200, provider_view.json
    assert provider_view.json["note"] == "到了打电话138****0000"


def test_notes_between_applicant_and_county_are_masked_for_the_other(as_user):
    """Provider review (demo county: the providers' review is the county's)."""
    admin, applicant = as_user("demo-county-admin"), as_user("demo-provider-applicant-1")
    pid = provider_id(DEMO_APPLICATION_CODE)
    review(admin, pid, "request_more", reason="营业执照不清晰，请联系13511112222")
    said = applicant.get(f"/api/mp/providers/{pid}").json["timeline"][-1]["payload"]["reason"]
    assert said == "营业执照不清晰，请联系135****2222"
    own = admin.get(f"/api/console/providers/{pid}").json["timeline"][-1]["payload"]["reason"]
    assert own.endswith("13511112222")


def test_the_grid_worker_reveals_while_verifying_on_site(as_user, place):
    """The grid worker holds the case only while it awaits verification (the state is set
    directly: the steps to get there are the flow's tests' business)."""
    case = db.session.get(Case, place.case)
    worker = as_user(holder("grid_worker", region=db.session.get(Region, case.grid_id)).openid)
    body = {"what": "reporter_phone", "reason": "现场核查联系不上"}
    assert worker.post(f"/api/mp/cases/{place.case}/reveal", json=body).status_code == 403
    case.state = "awaiting_verification"
    db.session.flush()
    response = worker.post(f"/api/mp/cases/{place.case}/reveal", json=body)
    assert response.status_code == 200 and response.json["phone"] == REPORTER_PHONE


def test_a_follower_cannot_search_the_text_it_may_not_read(as_user, place):
    """A supporter follows the case without its description: the text search must not answer
    for it either, or its words (the numbers typed in it included) come out one guess at a
    time."""
    supporter = as_user(place.supporter.openid)
    followed = supporter.get("/api/mp/cases?scope=supported").json
    assert [(c["id"], c["description"]) for c in followed] == [(place.case, None)]
    for probe in ("13912345678", "请回电", "幸福路"):
        assert supporter.get("/api/mp/cases", query_string={"q": probe}).json == [], probe
    reporter = as_user(place.reporter.openid)
    assert [c["id"] for c in reporter.get("/api/mp/cases", query_string={"q": "请回电"}).json] == [place.case]


def test_a_dispute_rulings_words_in_the_refund_are_masked_for_all_but_its_author(client, as_user, sim, app):
    """The county's ruling is masked in the order's timeline; the refund it makes repeats the
    words (its reason), and must read the same."""
    shop = Shop(client, as_user, sim, app)
    try:
        order = shop.paid_order()
        for action in ("accept", "start", "complete"):
            shop.step(shop.staff, order["id"], action)
        assert shop.step(shop.resident, order["id"], "dispute", {"reason": "只做了一半"}, face="mp").status_code == 200
        ruling = {"refund_fen": 4_000, "reason": "退一半，疑问致电13812340000"}
        ruled = shop.step(shop.county, order["id"], "resolve", ruling)
        assert ruled.status_code == 200, ruled.get_json()
        masked = "dispute ruling: 退一半，疑问致电138****0000"
        assert shop.get(order["id"])["refunds"][0]["reason"] == masked                    # the resident
        assert shop.get(order["id"], who=shop.staff)["refunds"][0]["reason"] == masked    # the provider
        assert shop.get(order["id"], who=shop.county)["refunds"][0]["reason"].endswith("13812340000")
        staff_list = shop.staff.get("/api/console/refunds").get_json()
        assert [r["reason"] for r in staff_list if r["order_id"] == order["id"]] == [masked]
    finally:
        shop.close()


def test_a_search_does_not_unmask_a_number_digit_by_digit(as_user, place):
    """A handler reads 139****5678: searching for the hidden digits must not answer, or the
    number comes out one guess at a time without a reveal (nor its audit row)."""
    hub = as_user(place.hub.openid)

    def found(caller, probe, face="console"):
        listed = caller.get(f"/api/{face}/cases", query_string={"q": probe}).json
        return place.case in {c["id"] for c in listed}

    for probe in ("13912345678", "1391", "9123", "62345678", "199003071234"):
        assert not found(hub, probe), probe
    for probe in ("139", "5678", "请回电", "幸福路1号", "110101"):   # what the hub reads
        assert found(hub, probe), probe
    assert found(as_user(place.reporter.openid), "13912345678", face="mp")   # their own words
