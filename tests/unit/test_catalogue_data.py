"""The category catalogue (config/catalogue.json) as a file, before any loader touches it.

A hand edit to the catalogue (a typo in a stage name, a department that does not exist, a
field definition the form cannot render) fails here rather than when a resident files a case.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backend.services.catalogue.attributes import AttributeErrors, check_definitions, validate

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "config/catalogue.json").read_text(encoding="utf-8"))
COUNTY = json.loads((ROOT / "config/demo/county.json").read_text(encoding="utf-8"))

# The seed's three lists of capability items (DOMAIN.md, "Which level handles what"),
# restated here so that the file cannot drift from the seed by editing both at once.
SEED = {
    "county": ["组织人事", "党纪政纪", "统一战线", "疫情防护", "劳动社保", "应急管理", "安全生产",
               "社会信用", "气象灾情", "民政服务"],
    "township": ["党团群建", "隐患排查", "治安维稳", "环保水务", "规土城建", "市容环卫", "河道治理",
                 "市政设施", "食药市监"],
    "community": ["社会救助", "社区管理", "村务管理", "矛盾化解"],
}
CODE_PREFIX = {"county": "C", "township": "T", "community": "V"}
STAGES = {"triage", "dispatch", "sign_in", "arrival", "handling", "verification", "callback",
          "community_handling"}
UNITS = {"minutes", "hours", "work_hours", "work_days"}
URGENCIES = {"emergency", "urgent", "general", "complex"}
# Generous ceilings per unit: anything beyond is a slip of the unit (15 minutes typed as
# 15 work_days) rather than a real limit.
MAX_AMOUNT = {"minutes": 24 * 60, "hours": 30 * 24, "work_hours": 8 * 60, "work_days": 90}

TOP_KEYS = {"code", "name", "level", "departments", "urgency", "children"}
CHILD_KEYS = {"code", "name", "departments", "urgency", "fields", "limits"}

TOPS = CATALOGUE["categories"]
CHILDREN = [(top, child) for top in TOPS for child in top["children"]]
DEPARTMENTS = {d["code"] for d in COUNTY["departments"]}


def child_id(pair):
    return pair[1]["code"]


def resolved_limits(category: dict) -> dict:
    return {**CATALOGUE["urgency_classes"][category["urgency"]]["limits"], **category.get("limits", {})}


def test_the_top_level_is_exactly_the_seed_lists_at_their_levels():
    found = {level: [top["name"] for top in TOPS if top["level"] == level] for level in SEED}
    assert found == SEED
    assert len(TOPS) == 23


@pytest.mark.parametrize("top", TOPS, ids=lambda top: top["code"])
def test_a_top_level_category_is_well_formed(top):
    assert set(top) == TOP_KEYS
    assert re.fullmatch(CODE_PREFIX[top["level"]] + r"\d{2}", top["code"])
    assert top["urgency"] in URGENCIES
    assert 2 <= len(top["children"]) <= 6


def test_codes_and_names_are_unique():
    codes = [top["code"] for top in TOPS] + [child["code"] for _, child in CHILDREN]
    assert len(codes) == len(set(codes))
    names = [top["name"] for top in TOPS] + [child["name"] for _, child in CHILDREN]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("pair", CHILDREN, ids=child_id)
def test_a_sub_category_is_well_formed(pair):
    top, child = pair
    assert set(child) == CHILD_KEYS
    assert re.fullmatch(re.escape(top["code"]) + r"-\d{2}", child["code"])
    assert child["name"].strip() == child["name"] and child["name"]
    assert child["urgency"] in URGENCIES


@pytest.mark.parametrize("category", [*TOPS, *(child for _, child in CHILDREN)], ids=lambda c: c["code"])
def test_departments_exist_in_the_demo_county_and_are_listed_once(category):
    departments = category["departments"]
    assert isinstance(departments, list)
    assert len(departments) == len(set(departments))
    assert set(departments) <= DEPARTMENTS


@pytest.mark.parametrize("name", sorted(CATALOGUE["urgency_classes"]))
def test_every_urgency_class_has_a_label_and_all_stages(name):
    urgency = CATALOGUE["urgency_classes"][name]
    assert set(urgency) == {"label", "limits"}
    assert urgency["label"]
    assert set(urgency["limits"]) == STAGES


def test_the_urgency_classes_are_the_four():
    assert set(CATALOGUE["urgency_classes"]) == URGENCIES


def all_limits():
    for name, urgency in CATALOGUE["urgency_classes"].items():
        for stage, limit in urgency["limits"].items():
            yield pytest.param(stage, limit, id=f"{name}.{stage}")
    for _, child in CHILDREN:
        for stage, limit in child["limits"].items():
            yield pytest.param(stage, limit, id=f"{child['code']}.{stage}")


@pytest.mark.parametrize(("stage", "limit"), list(all_limits()))
def test_every_limit_is_well_formed(stage, limit):
    assert stage in STAGES
    assert set(limit) == {"amount", "unit"}
    assert limit["unit"] in UNITS
    amount = limit["amount"]
    assert isinstance(amount, int) and not isinstance(amount, bool)
    assert 1 <= amount <= MAX_AMOUNT[limit["unit"]]


@pytest.mark.parametrize("category", [*TOPS, *(child for _, child in CHILDREN)], ids=lambda c: c["code"])
def test_every_category_resolves_a_full_limit_set(category):
    assert set(resolved_limits(category)) == STAGES


def test_handling_follows_beijing_practice_by_urgency():
    handling = {name: u["limits"]["handling"] for name, u in CATALOGUE["urgency_classes"].items()}
    assert handling == {
        "emergency": {"amount": 2, "unit": "hours"},
        "urgent": {"amount": 24, "unit": "hours"},
        "general": {"amount": 7, "unit": "work_days"},
        "complex": {"amount": 15, "unit": "work_days"},
    }


@pytest.mark.parametrize("pair", CHILDREN, ids=child_id)
def test_field_definitions_are_valid(pair):
    check_definitions(pair[1]["fields"])


def example(definition: dict):
    kind = definition["type"]
    if kind in ("string", "text"):
        return "示例"
    if kind in ("number", "integer"):
        return definition.get("min", 1)
    if kind == "datetime":
        return "2024-05-01T08:30:00+08:00"
    if kind == "boolean":
        return False
    first = definition["options"][0]["key"]
    return first if kind == "singlevaluelist" else [first]


@pytest.mark.parametrize("pair", CHILDREN, ids=child_id)
def test_a_form_filled_in_passes_and_an_empty_one_names_the_required_fields(pair):
    fields = pair[1]["fields"]
    filled = {definition["key"]: example(definition) for definition in fields}
    assert validate(fields, filled) == filled
    required = {definition["key"] for definition in fields if definition["required"]}
    if required:
        with pytest.raises(AttributeErrors) as caught:
            validate(fields, {})
        assert caught.value.fields == {key: ["required"] for key in required}
    else:
        assert validate(fields, {}) == {}


def test_many_sub_categories_ask_for_fields():
    with_fields = [child for _, child in CHILDREN if child["fields"]]
    assert len(with_fields) >= len(CHILDREN) // 2


@pytest.mark.parametrize(("code", "urgency"), [
    ("T08-01", "emergency"),  # 井盖缺失
    ("C06-01", "emergency"),  # 燃气泄漏
    ("T05-01", "complex"),  # 违法建设
    ("V04-01", "general"),  # 邻里纠纷
])
def test_urgency_of_landmark_items(code, urgency):
    assert {child["code"]: child["urgency"] for _, child in CHILDREN}[code] == urgency
