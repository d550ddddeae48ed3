"""Specification of shared.sync_schema: the sync items of contract §3, item by item."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from shared.sync_schema import (
    FUTURE_TOLERANCE,
    DoseDrug,
    DoseStatus,
    ItemError,
    fingerprint,
    parse_dose_item,
    parse_lab_item,
    parse_symptom_item,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ID = "0b7e4f7e-2d1c-4c55-9a4e-6f1d2c3b4a59"


def lab(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": ID,
        "analyte": "platelets",
        "value": 42,
        "unit": "10^9/L",
        "collected_at": "2026-11-20T08:30:00-05:00",
    }
    item.update(changes)
    return item


def symptom(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": ID,
        "symptom": "diarrhea",
        "answers": {"stools_above_usual": 5},
        "reported_at": "2026-11-20T20:00:00-05:00",
    }
    item.update(changes)
    return item


def dose(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {"id": ID, "drug": "ixazomib", "taken_at": "2026-11-20T07:00:00-05:00", "status": "taken"}
    item.update(changes)
    return item


def without(item: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in item.items() if k != key}


Parser = Callable[..., Any]
PARSERS: list[tuple[str, Parser, Callable[..., dict[str, object]], str]] = [
    ("lab", parse_lab_item, lab, "collected_at"),
    ("symptom", parse_symptom_item, symptom, "reported_at"),
    ("dose", parse_dose_item, dose, "taken_at"),
]
EACH_PARSER = pytest.mark.parametrize(
    ("parse", "make", "time_field"), [pytest.param(p, m, t, id=name) for name, p, m, t in PARSERS]
)


def errors_of(parse: Parser, raw: object) -> dict[str, list[str]]:
    with pytest.raises(ItemError) as caught:
        parse(raw, now=NOW)
    return caught.value.errors


# ---------------------------------------------------------------------------
# The contract §3 examples are accepted
# ---------------------------------------------------------------------------


def test_the_contract_lab_example_is_accepted() -> None:
    item = parse_lab_item(lab(), now=NOW)
    assert item.id == uuid.UUID(ID)
    assert item.lab.analyte.key == "platelets"
    assert item.lab.value == Decimal(42)
    assert item.lab.unit.key == "10^9/L"
    assert item.collected_at == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)


def test_the_contract_symptom_example_is_accepted() -> None:
    item = parse_symptom_item(symptom(), now=NOW)
    assert item.id == uuid.UUID(ID)
    assert item.symptom == "diarrhea"
    assert dict(item.answers) == {"stools_above_usual": 5}
    assert item.reported_at == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_the_contract_dose_example_is_accepted() -> None:
    item = parse_dose_item(dose(), now=NOW)
    assert item.id == uuid.UUID(ID)
    assert item.drug is DoseDrug.IXAZOMIB
    assert item.status is DoseStatus.TAKEN
    assert item.taken_at == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_lab_item_may_carry_the_reports_reference_range() -> None:
    item = parse_lab_item(lab(reference_low=150, reference_high=450), now=NOW)
    assert (item.lab.reference_low, item.lab.reference_high) == (Decimal(150), Decimal(450))


def test_symptom_answers_come_back_with_their_defaults() -> None:
    item = parse_symptom_item(symptom(symptom="rash", answers={"body_area": "under_10"}), now=NOW)
    assert dict(item.answers) == {
        "body_area": "under_10",
        "symptoms": "none",
        "limits_self_care": False,
        "blisters_or_peeling": False,
    }


def test_symptom_follow_up_answers_are_accepted_and_only_the_answered_ones_kept() -> None:
    item = parse_symptom_item(
        symptom(symptom="vomiting", answers={"severity": "Severe", "hospital": False, "danger_signs": None}), now=NOW
    )
    assert dict(item.answers) == {"severity": "severe", "hospital": False}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"stools_above_usual": 5, "danger_signs": "no"}, {"answers.danger_signs": ["Must be true or false."]}),
        (
            {"stools_above_usual": 5, "limits_activities": 2},
            {"answers.limits_activities": ["Must be one of: no, usual_tasks, self_care."]},
        ),
        (
            {"stools_above_usual": 5, "eating": "less"},
            {
                "answers.eating": [
                    "Not a question for diarrhea. Expected: danger_signs, hospital, limits_activities, "
                    "stools_above_usual."
                ]
            },
        ),
    ],
)
def test_a_bad_follow_up_answer_is_refused_on_answers_dot_its_name(
    answers: dict[str, object], errors: dict[str, list[str]]
) -> None:
    assert errors_of(parse_symptom_item, symptom(answers=answers)) == errors


@pytest.mark.parametrize("drug", ["ixazomib", "lenalidomide", "dexamethasone", "antiviral", " Ixazomib "])
def test_every_contract_drug_is_accepted(drug: str) -> None:
    assert parse_dose_item(dose(drug=drug), now=NOW).drug.value == drug.strip().lower()


@pytest.mark.parametrize("status", ["taken", "skipped", "vomited", "TAKEN"])
def test_every_contract_dose_status_is_accepted(status: str) -> None:
    assert parse_dose_item(dose(status=status), now=NOW).status.value == status.lower()


@pytest.mark.parametrize("time", ["2026-11-20T13:30:00Z", "2026-11-20T13:30:00+00:00", "2026-11-20T14:30:00+01:00"])
def test_a_time_in_utc_or_any_offset_is_stored_in_utc(time: str) -> None:
    item = parse_lab_item(lab(collected_at=time), now=NOW)
    assert item.collected_at == datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    assert item.collected_at.utcoffset() == timedelta(0)


# ---------------------------------------------------------------------------
# Refusals name their field
# ---------------------------------------------------------------------------


@EACH_PARSER
def test_an_item_without_an_id_is_refused_on_id(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    assert errors_of(parse, without(make(), "id")) == {"id": ["Required: a UUID made on the device."]}


@EACH_PARSER
@pytest.mark.parametrize("bad_id", [42, None, ["x"]])
def test_an_id_that_is_not_text_is_refused_on_id(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, bad_id: object
) -> None:
    assert errors_of(parse, make(id=bad_id)) == {"id": ["Required: a UUID made on the device."]}


@EACH_PARSER
@pytest.mark.parametrize(
    "bad_id", ["", "not-a-uuid", "0b7e4f7e-2d1c-4c55-9a4e", "0b7e4f7e-2d1c-4c55-9a4e-6f1d2c3b4a5g"]
)
def test_an_id_that_is_not_a_uuid_is_refused_on_id(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, bad_id: str
) -> None:
    assert errors_of(parse, make(id=bad_id)) == {"id": ["Must be a UUID."]}


@EACH_PARSER
@pytest.mark.parametrize("time", ["2026-11-20T08:30:00", "2026-11-20"])
def test_a_time_without_an_offset_is_refused_on_its_field(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, time: str
) -> None:
    assert errors_of(parse, make(**{time_field: time})) == {
        time_field: ["Must include a UTC offset, e.g. -05:00 or Z."]
    }


@EACH_PARSER
@pytest.mark.parametrize("time", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-20T08:30:00+24:00"])
def test_a_time_that_is_not_iso_8601_is_refused_on_its_field(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, time: str
) -> None:
    assert errors_of(parse, make(**{time_field: time})) == {
        time_field: ["Not an ISO 8601 time, e.g. 2026-11-20T08:30:00-05:00."]
    }


@EACH_PARSER
@pytest.mark.parametrize("time", [None, 1763645400])
def test_a_missing_or_numeric_time_is_refused_on_its_field(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, time: object
) -> None:
    assert errors_of(parse, make(**{time_field: time})) == {
        time_field: ["Required: an ISO 8601 time with a UTC offset."]
    }


def test_the_future_tolerance_is_60_minutes() -> None:
    assert timedelta(minutes=60) == FUTURE_TOLERANCE


@EACH_PARSER
def test_a_time_up_to_the_future_tolerance_ahead_is_accepted(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    limit = (NOW + FUTURE_TOLERANCE).isoformat()
    parse(make(**{time_field: limit}), now=NOW)


@EACH_PARSER
def test_a_time_beyond_the_future_tolerance_is_refused_on_its_field(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    beyond = (NOW + FUTURE_TOLERANCE + timedelta(microseconds=1)).isoformat()
    assert errors_of(parse, make(**{time_field: beyond})) == {time_field: ["Is in the future."]}


@EACH_PARSER
def test_a_time_before_2000_is_refused_on_its_field(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    assert errors_of(parse, make(**{time_field: "1999-12-31T23:59:59Z"})) == {time_field: ["Is before the year 2000."]}
    parse(make(**{time_field: "2000-01-01T00:00:00Z"}), now=NOW)


@EACH_PARSER
def test_an_unknown_field_is_refused_by_name(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    assert errors_of(parse, make(note="hello", Value=1)) == {"Value": ["Unknown field."], "note": ["Unknown field."]}


@EACH_PARSER
@pytest.mark.parametrize("raw", [None, [], "item", 42])
def test_an_item_that_is_not_an_object_is_refused(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str, raw: object
) -> None:
    with pytest.raises(ItemError) as caught:
        parse(raw, now=NOW)
    assert caught.value.errors == {"non_field_errors": ["Each item must be an object."]}
    assert caught.value.item_id is None


@EACH_PARSER
def test_a_refusal_echoes_the_items_id_as_sent(
    parse: Parser, make: Callable[..., dict[str, object]], time_field: str
) -> None:
    with pytest.raises(ItemError) as caught:
        parse(make(**{time_field: "2026-11-20"}), now=NOW)
    assert caught.value.item_id == ID


def test_a_refusal_echoes_an_invalid_id_string_too() -> None:
    with pytest.raises(ItemError) as caught:
        parse_dose_item(dose(id="not-a-uuid"), now=NOW)
    assert caught.value.item_id == "not-a-uuid"


@pytest.mark.parametrize("drug", ["aspirin", "", None, "ninlaro"])
def test_an_unknown_drug_is_refused_on_drug(drug: object) -> None:
    assert errors_of(parse_dose_item, dose(drug=drug)) == {
        "drug": ["Must be one of: ixazomib, lenalidomide, dexamethasone, antiviral."]
    }


@pytest.mark.parametrize("status", ["missed", "", None, True])
def test_an_unknown_status_is_refused_on_status(status: object) -> None:
    assert errors_of(parse_dose_item, dose(status=status)) == {"status": ["Must be one of: taken, skipped, vomited."]}


def test_a_dose_with_several_problems_reports_them_all() -> None:
    errors = errors_of(parse_dose_item, {"id": "x", "drug": "aspirin", "status": "missed", "taken_at": "now", "a": 1})
    assert set(errors) == {"id", "drug", "status", "taken_at", "a"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"analyte": "ferritin"}, "analyte"),
        ({"unit": "mg/dL"}, "unit"),
        ({"value": -1}, "value"),
        ({"value": "42"}, "value"),
        ({"value": 42, "unit": "/uL"}, "value"),
        ({"reference_low": -1}, "reference_low"),
    ],
)
def test_a_bad_lab_value_is_refused_on_its_field(changes: dict[str, object], field: str) -> None:
    assert list(errors_of(parse_lab_item, lab(**changes))) == [field]


def test_a_lab_item_without_a_value_is_refused_on_value() -> None:
    assert errors_of(parse_lab_item, without(lab(), "value")) == {"value": ["Must be a number."]}


def test_a_mix_up_is_refused_with_its_hint_in_the_items_errors() -> None:
    errors = errors_of(parse_lab_item, lab(value=42, unit="/uL"))
    assert "Did you mean 42 K/µL?" in errors["value"][0]


def test_a_lab_item_with_a_bad_time_and_a_bad_value_reports_both() -> None:
    assert set(errors_of(parse_lab_item, lab(value=-1, collected_at="x"))) == {"value", "collected_at"}


def test_a_bad_symptom_answer_is_refused_on_answers_dot_its_name() -> None:
    errors = errors_of(parse_symptom_item, symptom(answers={"stools_above_usual": -1}))
    assert errors == {"answers.stools_above_usual": ["Must be between 0 and 50."]}


def test_an_unknown_symptom_answer_is_refused_on_answers_dot_its_name() -> None:
    errors = errors_of(parse_symptom_item, symptom(answers={"stools_above_usual": 1, "blood": True}))
    assert list(errors) == ["answers.blood"]


def test_an_unknown_symptom_is_refused_on_symptom() -> None:
    assert list(errors_of(parse_symptom_item, symptom(symptom="headache"))) == ["symptom"]


def test_a_symptom_item_without_answers_is_refused_on_answers() -> None:
    assert errors_of(parse_symptom_item, without(symptom(), "answers")) == {
        "answers": ["Must be an object of answers."]
    }


def test_an_item_error_message_names_each_field() -> None:
    with pytest.raises(ItemError) as caught:
        parse_dose_item(dose(status="missed"), now=NOW)
    assert str(caught.value) == "status: Must be one of: taken, skipped, vomited."


# ---------------------------------------------------------------------------
# fingerprint: same meaning → same digest; other content → another digest
# ---------------------------------------------------------------------------


def lab_print(**changes: object) -> str:
    return parse_lab_item(lab(**changes), now=NOW).fingerprint()


def symptom_print(**changes: object) -> str:
    return parse_symptom_item(symptom(**changes), now=NOW).fingerprint()


def dose_print(**changes: object) -> str:
    return parse_dose_item(dose(**changes), now=NOW).fingerprint()


def test_a_fingerprint_is_a_sha256_hex_digest() -> None:
    digest = lab_print()
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_42_and_42_0_have_the_same_fingerprint() -> None:
    assert lab_print(value=42) == lab_print(value=42.0) == lab_print(value=Decimal("42.00"))


def test_the_same_instant_in_two_offsets_has_the_same_fingerprint() -> None:
    assert lab_print(collected_at="2026-11-20T08:30:00-05:00") == lab_print(collected_at="2026-11-20T14:30:00+01:00")
    assert dose_print(taken_at="2026-11-20T07:00:00-05:00") == dose_print(taken_at="2026-11-20T12:00:00Z")
    assert symptom_print(reported_at="2026-11-20T20:00:00-05:00") == symptom_print(reported_at="2026-11-21T01:00:00Z")


def test_two_spellings_of_the_same_unit_and_analyte_have_the_same_fingerprint() -> None:
    assert lab_print(unit="10^9/L") == lab_print(unit="x10*9/L")
    assert lab_print(analyte="platelets") == lab_print(analyte="Platelets")


def test_the_same_reference_range_written_differently_has_the_same_fingerprint() -> None:
    assert lab_print(reference_low=150, reference_high=450) == lab_print(reference_low=150.0, reference_high=450.00)


def test_the_id_is_not_part_of_the_fingerprint() -> None:
    assert lab_print() == lab_print(id=str(uuid.UUID(int=1)))


def test_symptom_answers_written_differently_have_the_same_fingerprint() -> None:
    assert symptom_print(answers={"stools_above_usual": 5}) == symptom_print(answers={"stools_above_usual": 5.0})
    implicit = symptom_print(symptom="peripheral_neuropathy", answers={"severity": "mild"})
    explicit = symptom_print(
        symptom="peripheral_neuropathy", answers={"limits_self_care": False, "pain": False, "severity": "Mild"}
    )
    assert implicit == explicit


def test_a_temperature_of_38_and_38_0_has_the_same_fingerprint() -> None:
    assert symptom_print(symptom="fever", answers={"temperature_c": 38}) == symptom_print(
        symptom="fever", answers={"temperature_c": 38.0}
    )


def test_a_dose_written_in_another_case_has_the_same_fingerprint() -> None:
    assert dose_print(drug="ixazomib", status="taken") == dose_print(drug="IXAZOMIB", status="Taken")


@pytest.mark.parametrize(
    "changes",
    [
        {"value": 43},
        {"value": Decimal("42.1")},
        {"unit": "K/uL"},
        {"analyte": "wbc"},
        {"collected_at": "2026-11-20T08:30:01-05:00"},
        {"collected_at": "2026-11-20T08:30:00-04:00"},
        {"reference_low": 150},
        {"reference_high": 450},
    ],
)
def test_other_lab_content_has_another_fingerprint(changes: dict[str, object]) -> None:
    assert lab_print(**changes) != lab_print()


@pytest.mark.parametrize(
    "changes",
    [
        {"answers": {"stools_above_usual": 6}},
        {"reported_at": "2026-11-20T20:00:01-05:00"},
        {"symptom": "nausea", "answers": {"severity": "mild"}},
        {"answers": {"stools_above_usual": 5, "hospital": False}},  # "no" is not "not answered"
        {"answers": {"stools_above_usual": 5, "danger_signs": True}},
    ],
)
def test_other_symptom_content_has_another_fingerprint(changes: dict[str, object]) -> None:
    assert symptom_print(**changes) != symptom_print()


def test_a_follow_up_sent_as_null_has_the_fingerprint_of_one_left_out() -> None:
    assert symptom_print(answers={"stools_above_usual": 5, "hospital": None}) == symptom_print()


@pytest.mark.parametrize(
    "changes",
    [{"drug": "lenalidomide"}, {"status": "vomited"}, {"taken_at": "2026-11-20T07:00:00-06:00"}],
)
def test_other_dose_content_has_another_fingerprint(changes: dict[str, object]) -> None:
    assert dose_print(**changes) != dose_print()


def test_a_lab_and_a_dose_never_share_a_fingerprint() -> None:
    assert lab_print() != dose_print()


def test_fingerprint_ignores_key_order() -> None:
    assert fingerprint({"a": 1, "b": Decimal("2.0")}) == fingerprint({"b": Decimal(2), "a": 1})


def test_fingerprint_refuses_a_type_it_cannot_write() -> None:
    with pytest.raises(TypeError):
        fingerprint({"a": object()})


def test_fingerprint_writes_a_time_as_its_utc_instant() -> None:
    new_york = datetime(2026, 11, 20, 8, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert fingerprint({"at": new_york}) == fingerprint({"at": datetime(2026, 11, 20, 13, 30, tzinfo=UTC)})
    assert fingerprint({"at": new_york}) != fingerprint({"at": datetime(2026, 11, 20, 8, 30, tzinfo=UTC)})
