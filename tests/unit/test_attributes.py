"""A category's extra fields: the definitions (check_definitions) and the values (validate)."""
from __future__ import annotations

import copy

import pytest

from backend.services.catalogue.attributes import DEFAULT_MAX_LENGTH, AttributeErrors, check_definitions, validate

QUANTITY = {"key": "quantity", "label": "垃圾量", "type": "singlevaluelist", "required": True,
            "options": [{"key": "small", "label": "少量"}, {"key": "moderate", "label": "较多"},
                        {"key": "large", "label": "大量"}]}
WASTE = {"key": "waste_types", "label": "垃圾类型", "type": "multivaluelist", "required": False,
         "options": [{"key": "household", "label": "生活垃圾"}, {"key": "construction", "label": "建筑垃圾"},
                     {"key": "bulky", "label": "大件垃圾"}]}
PEOPLE = {"key": "people", "label": "涉及人数", "type": "integer", "required": True, "min": 1, "max": 500}
OWED = {"key": "owed", "label": "拖欠金额（元）", "type": "number", "required": False, "min": 0, "max": 1e6}
INJURED = {"key": "injured", "label": "是否有人员受伤", "type": "boolean", "required": True}
SEEN_AT = {"key": "seen_at", "label": "发现时间", "type": "datetime", "required": False}
SHOP = {"key": "shop", "label": "店名", "type": "string", "required": False, "max_length": 10}
NOTES = {"key": "notes", "label": "补充说明", "type": "text", "required": False,
         "description": "可填写多行"}
ALL = [QUANTITY, WASTE, PEOPLE, OWED, INJURED, SEEN_AT, SHOP, NOTES]


def errors_of(definitions, values) -> dict[str, list[str]]:
    with pytest.raises(AttributeErrors) as caught:
        validate(definitions, values)
    return caught.value.fields


def test_the_sample_definitions_are_valid():
    check_definitions(ALL)
    check_definitions([])


# ---- values ----

def test_a_complete_form_comes_back_cleaned_in_definition_order():
    values = {"notes": "  第一行\n第二行 ", "shop": " 老王烧烤 ", "injured": False,
              "seen_at": "2024-05-01T21:30:00+08:00", "owed": 1200.5, "people": 3,
              "waste_types": ["bulky", "household"], "quantity": "large"}
    assert list(validate(ALL, values).items()) == [
        ("quantity", "large"),
        ("waste_types", ["household", "bulky"]),
        ("people", 3),
        ("owed", 1200.5),
        ("injured", False),
        ("seen_at", "2024-05-01T21:30:00+08:00"),
        ("shop", "老王烧烤"),
        ("notes", "第一行\n第二行"),
    ]


def test_the_input_is_not_modified():
    values = {"quantity": "small", "people": 2, "injured": True, "waste_types": ["bulky", "household"],
              "shop": " x "}
    before = copy.deepcopy(values)
    validate(ALL, values)
    assert values == before


def test_optional_fields_not_given_are_left_out():
    assert validate(ALL, {"quantity": "small", "people": 1, "injured": True}) == {
        "quantity": "small", "people": 1, "injured": True}


@pytest.mark.parametrize("values", [None, {}])
def test_no_values_is_fine_when_nothing_is_required(values):
    assert validate([SHOP, NOTES], values) == {}
    assert validate([], values) == {}


@pytest.mark.parametrize("values", [[], "quantity=small", 3])
def test_values_must_be_an_object(values):
    assert errors_of(ALL, values) == {"_schema": ["fields must be an object"]}


def test_missing_required_fields_are_each_named():
    assert errors_of(ALL, {}) == {"quantity": ["required"], "people": ["required"], "injured": ["required"]}


@pytest.mark.parametrize("blank", [None, "", "   ", []])
def test_a_blank_value_counts_as_not_given(blank):
    assert errors_of([QUANTITY], {"quantity": blank}) == {"quantity": ["required"]}
    assert validate([SHOP], {"shop": blank}) == {}


def test_unknown_fields_are_refused():
    assert errors_of([SHOP], {"shop": "x", "colour": "red", "Shop": "y"}) == {
        "colour": ["unknown field"], "Shop": ["unknown field"]}


def test_every_problem_is_reported_at_once():
    fields = errors_of(ALL, {"quantity": "huge", "people": "12", "owed": -1, "injured": "yes",
                             "seen_at": "2024-05-01 08:00", "shop": "x" * 11, "extra": 1,
                             "waste_types": ["bulky", "bulky", "glass"]})
    assert set(fields) == {"quantity", "people", "owed", "injured", "seen_at", "shop", "extra", "waste_types"}
    assert fields["waste_types"] == ["option 'bulky' is repeated",
                                     "unknown option 'glass'; options are: household, construction, bulky"]
    assert all(messages and all(isinstance(m, str) and m for m in messages) for messages in fields.values())


def test_the_error_is_a_value_error_that_reads_well():
    with pytest.raises(ValueError, match="people: required"):
        validate([PEOPLE], {})


# strings

def test_string_is_trimmed_and_bounded():
    assert validate([SHOP], {"shop": "  十个字以内的店名  "}) == {"shop": "十个字以内的店名"}
    assert validate([SHOP], {"shop": "一二三四五六七八九十"}) == {"shop": "一二三四五六七八九十"}
    assert errors_of([SHOP], {"shop": "一二三四五六七八九十一"}) == {"shop": ["must be at most 10 characters"]}


@pytest.mark.parametrize("value", [12, 1.5, True, ["x"], {"x": 1}])
def test_string_refuses_other_types(value):
    assert errors_of([SHOP], {"shop": value}) == {"shop": ["must be a string"]}


def test_string_is_one_line_text_may_have_several():
    assert errors_of([SHOP], {"shop": "老王\n烧烤"}) == {"shop": ["must be a single line"]}
    assert validate([NOTES], {"notes": "a\r\n\tb"}) == {"notes": "a\r\n\tb"}
    assert errors_of([NOTES], {"notes": "a\x00b"}) == {"notes": ["must not contain control characters"]}


def test_strings_without_max_length_still_have_a_ceiling():
    plain = {"key": "name", "label": "名称", "type": "string", "required": False}
    limit = DEFAULT_MAX_LENGTH["string"]
    assert validate([plain], {"name": "x" * limit}) == {"name": "x" * limit}
    assert errors_of([plain], {"name": "x" * (limit + 1)}) == {"name": [f"must be at most {limit} characters"]}
    limit = DEFAULT_MAX_LENGTH["text"]
    assert errors_of([NOTES], {"notes": "x" * (limit + 1)}) == {
        "notes": [f"must be at most {limit} characters"]}


# integers and numbers

@pytest.mark.parametrize("value", [1, 250, 500])
def test_integer_accepts_ints_within_bounds(value):
    assert validate([PEOPLE], {"people": value}) == {"people": value}


@pytest.mark.parametrize("value", ["12", 3.0, 2.5, True, False, [1]])
def test_integer_refuses_anything_but_an_int(value):
    assert errors_of([PEOPLE], {"people": value}) == {"people": ["must be an integer"]}


@pytest.mark.parametrize(("value", "message"), [(0, "must be at least 1"), (501, "must be at most 500")])
def test_integer_bounds(value, message):
    assert errors_of([PEOPLE], {"people": value}) == {"people": [message]}


@pytest.mark.parametrize("value", [0, 0.0, 12, 99.99, 1e6])
def test_number_accepts_ints_and_floats_within_bounds(value):
    cleaned = validate([OWED], {"owed": value})["owed"]
    assert cleaned == value and type(cleaned) is type(value)


@pytest.mark.parametrize("value", ["12", True, {"amount": 3}, [3]])
def test_number_refuses_anything_but_a_number(value):
    assert errors_of([OWED], {"owed": value}) == {"owed": ["must be a number"]}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_number_must_be_finite(value):
    assert errors_of([OWED], {"owed": value}) == {"owed": ["must be a finite number"]}


@pytest.mark.parametrize(("value", "message"), [
    (-0.01, "must be at least 0"),
    (1e6 + 1, "must be at most 1000000.0"),
])
def test_number_bounds(value, message):
    assert errors_of([OWED], {"owed": value}) == {"owed": [message]}


def test_number_without_bounds_takes_any_finite_value():
    free = {"key": "t", "label": "温度", "type": "number", "required": False}
    assert validate([free], {"t": -40.5}) == {"t": -40.5}


# booleans

@pytest.mark.parametrize("value", [True, False])
def test_boolean_accepts_true_and_false(value):
    assert validate([INJURED], {"injured": value}) == {"injured": value}


@pytest.mark.parametrize("value", [1, 0, "true", "false", "是", [True]])
def test_boolean_refuses_lookalikes(value):
    assert errors_of([INJURED], {"injured": value}) == {"injured": ["must be true or false"]}


# date-times

@pytest.mark.parametrize(("value", "normalized"), [
    ("2024-05-01T21:30:00+08:00", "2024-05-01T21:30:00+08:00"),
    ("2024-05-01T13:30:00Z", "2024-05-01T13:30:00+00:00"),
    ("2024-05-01T21:30+08:00", "2024-05-01T21:30:00+08:00"),
    (" 2024-05-01T21:30:00.250+08:00 ", "2024-05-01T21:30:00.250000+08:00"),
    ("2024-05-01 21:30:00+0800", "2024-05-01T21:30:00+08:00"),
])
def test_datetime_with_an_offset_is_normalized_keeping_the_offset(value, normalized):
    assert validate([SEEN_AT], {"seen_at": value}) == {"seen_at": normalized}


@pytest.mark.parametrize("value", ["2024-05-01T21:30:00", "2024-05-01"])
def test_datetime_needs_a_timezone(value):
    assert errors_of([SEEN_AT], {"seen_at": value}) == {"seen_at": ["must include a timezone offset"]}


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00+08:00", "2024-02-30T00:00:00+08:00",
                                   "２０２４-05-01T08:00:00+08:00", "01/05/2024 08:00", 1714570200, True])
def test_datetime_refuses_what_is_not_iso_8601(value):
    assert errors_of([SEEN_AT], {"seen_at": value}) == {"seen_at": ["must be an ISO 8601 date-time string"]}


# lists

@pytest.mark.parametrize("value", ["small", "moderate", "large"])
def test_single_value_list_accepts_an_option_key(value):
    assert validate([QUANTITY], {"quantity": value}) == {"quantity": value}


@pytest.mark.parametrize("value", ["少量", "Small", " small", ["small"], 1, True])
def test_single_value_list_refuses_labels_and_lookalikes(value):
    assert errors_of([QUANTITY], {"quantity": value}) == {
        "quantity": ["must be one of: small, moderate, large"]}


def test_multi_value_list_returns_the_choice_in_catalogue_order():
    chosen = validate([WASTE], {"waste_types": ["bulky", "household"]})
    assert chosen == {"waste_types": ["household", "bulky"]}
    assert validate([WASTE], {"waste_types": ["construction"]}) == {"waste_types": ["construction"]}


@pytest.mark.parametrize(("value", "messages"), [
    ("bulky", ["must be a non-empty list of: household, construction, bulky"]),
    (["bulky", "bulky"], ["option 'bulky' is repeated"]),
    (["glass"], ["unknown option 'glass'; options are: household, construction, bulky"]),
    ([1], ["unknown option 1; options are: household, construction, bulky"]),
])
def test_multi_value_list_refuses_non_lists_repeats_and_unknown_options(value, messages):
    assert errors_of([WASTE], {"waste_types": value}) == {"waste_types": messages}


def test_an_empty_required_multi_value_list_is_missing():
    required = {**WASTE, "required": True}
    assert errors_of([required], {"waste_types": []}) == {"waste_types": ["required"]}


# ---- definitions ----

def problems(definitions) -> str:
    with pytest.raises(ValueError) as caught:
        check_definitions(definitions)
    return str(caught.value)


@pytest.mark.parametrize("definitions", [None, {"key": "x"}, "[]"])
def test_definitions_must_be_a_list(definitions):
    assert "must be a list" in problems(definitions)


@pytest.mark.parametrize(("change", "expected"), [
    ({"key": "Shop"}, "key must be snake_case"),
    ({"key": "1shop"}, "key must be snake_case"),
    ({"key": "店名"}, "key must be snake_case"),
    ({"key": "x" * 65}, "key must be snake_case"),
    ({"label": " "}, "label must be a non-empty string"),
    ({"type": "date"}, "type must be one of"),
    ({"required": "yes"}, "required must be true or false"),
    ({"description": 3}, "description must be a string"),
    ({"maxlength": 3}, "unknown properties ['maxlength']"),
    ({"max_length": 0}, "max_length must be a positive integer"),
    ({"max_length": 2.5}, "max_length must be a positive integer"),
    ({"min": 1}, "min is only for number and integer"),
    ({"options": [{"key": "a", "label": "A"}]}, "options are only for list types"),
])
def test_a_malformed_string_definition_is_refused(change, expected):
    assert expected in problems([{**SHOP, **change}])


@pytest.mark.parametrize(("change", "expected"), [
    ({"min": 1.5}, "min must be an integer"),
    ({"max": True}, "max must be an integer"),
    ({"min": 10, "max": 1}, "min must not exceed max"),
    ({"max_length": 3}, "max_length is only for string and text"),
])
def test_a_malformed_integer_definition_is_refused(change, expected):
    assert expected in problems([{**PEOPLE, **change}])


@pytest.mark.parametrize("bound", [float("nan"), float("inf"), "0"])
def test_number_bounds_must_be_finite_numbers(bound):
    assert "min must be a finite number" in problems([{**OWED, "min": bound}])


@pytest.mark.parametrize(("options", "expected"), [
    (None, "needs a non-empty list of options"),
    ([], "needs a non-empty list of options"),
    ([{"key": "a"}], "each option is exactly {key, label}"),
    ([{"key": "a", "label": "A", "extra": 1}], "each option is exactly {key, label}"),
    (["a"], "each option is exactly {key, label}"),
    ([{"key": "A b", "label": "A"}], "option key 'A b' must be snake_case"),
    ([{"key": "a", "label": "A"}, {"key": "a", "label": "B"}], "option key 'a' is repeated"),
    ([{"key": "a", "label": ""}], "option 'a' needs a non-empty label"),
])
def test_list_options_are_checked(options, expected):
    definition = {key: value for key, value in QUANTITY.items() if key != "options"}
    if options is not None:
        definition["options"] = options
    assert expected in problems([definition])


def test_option_keys_may_start_with_a_digit():
    check_definitions([{**QUANTITY, "options": [{"key": "1_10m2", "label": "1至10平方米"}]}])


def test_required_defaults_to_false():
    loose = {key: value for key, value in SHOP.items() if key != "required"}
    check_definitions([loose])
    assert validate([loose], {}) == {}


def test_repeated_keys_are_refused():
    assert "field 'shop': key is repeated" in problems([SHOP, {**NOTES, "key": "shop"}])


def test_every_definition_problem_is_reported_at_once():
    message = problems([{**SHOP, "label": ""}, "not an object", {**PEOPLE, "min": 9, "max": 2}])
    assert "field 'shop': label must be a non-empty string" in message
    assert "field 1: must be an object" in message
    assert "field 'people': min must not exceed max" in message
