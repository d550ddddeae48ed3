"""Specification of `POST /api/v1/sync/` (contract §3): the phone's batched upload."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.records.models import DoseLog, LabResult, SymptomReport
from backend.records.services import ID_REUSED
from tests.backend.response.support import day
from tests.backend.response.support import item as marker_item
from tests.backend.support import SYNC_URL, error_fields, grade_all, post_json, post_raw, sync
from tests.factories import EnrolledPatient, Person, dose_item, lab_item, symptom_item


def counts() -> tuple[int, int, int]:
    return LabResult.objects.count(), SymptomReport.objects.count(), DoseLog.objects.count()


def assert_reason(rejection: dict[str, Any], field: str) -> list[str]:
    """The rejection names `field` with at least one message a person can read."""
    assert set(rejection) >= {"id", "errors"}
    messages = rejection["errors"][field]
    assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages)
    return messages


# --- accepting and storing ------------------------------------------------------------------


def test_it_accepts_the_contracts_example(patient: EnrolledPatient) -> None:
    lab, symptom, dose = lab_item(), symptom_item(), dose_item()

    response = sync(patient, cursor=None, lab_results=[lab], symptom_reports=[symptom], dose_logs=[dose])

    assert response.status_code == 200
    body = response.json()
    assert sorted(body["accepted"]) == sorted([lab["id"], symptom["id"], dose["id"]])
    assert body["rejected"] == []
    assert counts() == (1, 1, 1)


def test_it_stores_a_lab_result_as_sent_and_in_the_canonical_unit(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 42000, "cells/µL")

    sync(patient, lab_results=[item])

    row = LabResult.objects.get(pk=item["id"])
    assert row.patient_id == patient.patient.pk
    assert (row.analyte, row.value, row.unit, row.canonical_value) == ("platelets", 42000, "/uL", Decimal(42))
    assert row.collected_at.isoformat() == "2026-11-20T13:30:00+00:00"
    assert row.graded_at is None and row.grade is None


def test_it_stores_a_symptom_report_with_its_answers(patient: EnrolledPatient) -> None:
    item = symptom_item("peripheral_neuropathy", {"severity": "Mild", "pain": True})

    sync(patient, symptom_reports=[item])

    row = SymptomReport.objects.get(pk=item["id"])
    assert row.symptom == "peripheral_neuropathy"
    assert row.answers == {"severity": "mild", "pain": True, "limits_self_care": False}
    assert row.reported_at.isoformat() == "2026-11-21T01:00:00+00:00"


@pytest.mark.parametrize("drug", ["ixazomib", "lenalidomide", "dexamethasone", "antiviral"])
@pytest.mark.parametrize("status", ["taken", "skipped", "vomited"])
def test_it_accepts_every_drug_and_dose_status_of_the_contract(
    patient: EnrolledPatient, drug: str, status: str
) -> None:
    item = dose_item(drug, status)

    response = sync(patient, dose_logs=[item])

    assert response.json()["accepted"] == [item["id"]]
    row = DoseLog.objects.get(pk=item["id"])
    assert (row.drug, row.status) == (drug, status)


def test_it_echoes_each_id_as_the_phone_spelled_it(patient: EnrolledPatient) -> None:
    item = dose_item()
    item["id"] = item["id"].upper()

    response = sync(patient, dose_logs=[item])

    assert response.json()["accepted"] == [item["id"]]


def test_it_hands_only_new_lab_and_symptom_readings_to_grading(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    lab, symptom, dose = lab_item(), symptom_item(), dose_item()

    sync(patient, lab_results=[lab], symptom_reports=[symptom], dose_logs=[dose])
    sync(patient, lab_results=[lab], symptom_reports=[symptom], dose_logs=[dose])

    assert [([str(i) for i in call["lab_ids"]], [str(i) for i in call["symptom_ids"]]) for call in enqueued] == [
        ([lab["id"]], [symptom["id"]]),
        ([], []),
    ]


def test_a_sync_is_audited(patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item(), lab_item(value=-1)])

    event = AuditEvent.objects.get(action="sync")
    assert (event.patient_id, event.actor_id, event.detail) == (
        patient.patient.pk,
        patient.user.pk,
        "accepted 1 rejected 1",
    )


def test_a_syncs_audit_row_counts_its_markers_too(patient: EnrolledPatient) -> None:
    """The markers are stored first, so the one audit row, written with the readings, counts them."""
    good = marker_item("serum_m_protein", 2.1, "g/dL", on=day(0))
    bad = marker_item("lambda_flc", 12, "mg/24h", on=day(0))

    response = sync(patient, lab_results=[lab_item()], marker_results=[good, bad])

    assert response.status_code == 200
    (event,) = AuditEvent.objects.filter(action="sync")
    assert event.detail == "accepted 2 rejected 1"


@pytest.mark.django_db(transaction=True)
def test_a_sync_whose_audit_row_cannot_be_written_stores_nothing(
    patient: EnrolledPatient, enqueued: list[dict[str, Any]]
) -> None:
    """Every write audited: the readings and their audit row commit together or not at all."""

    def fail_the_audit(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "audit_auditevent" in sql:
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    client = patient.client()
    client.raise_request_exception = False
    with connection.execute_wrapper(fail_the_audit):
        response = client.post(SYNC_URL, {"lab_results": [lab_item()], "dose_logs": [dose_item()]}, format="json")

    assert response.status_code == 500
    assert counts() == (0, 0, 0)
    assert enqueued == []


# --- every list is optional -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sections",
    [
        {"lab_results": [lab_item()]},
        {"symptom_reports": [symptom_item()]},
        {"dose_logs": [dose_item()]},
        {"cursor": None},
        {"lab_results": None, "dose_logs": [dose_item()]},
        {"lab_results": [], "symptom_reports": [], "dose_logs": []},
    ],
    ids=["labs-only", "symptoms-only", "doses-only", "cursor-only", "null-list", "empty-lists"],
)
def test_every_list_is_optional(patient: EnrolledPatient, sections: dict[str, Any]) -> None:
    response = sync(patient, **sections)

    assert response.status_code == 200
    sent = [item["id"] for items in sections.values() if isinstance(items, list) for item in items]
    assert response.json()["accepted"] == sent
    assert response.json()["rejected"] == []


def test_an_empty_body_object_is_ok(patient: EnrolledPatient) -> None:
    response = patient.client().post(SYNC_URL, {}, format="json")

    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == ([], [])


def test_a_request_without_a_body_is_an_empty_sync(patient: EnrolledPatient) -> None:
    response = patient.client().post(SYNC_URL)

    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == ([], [])


# --- what the phone gets back -----------------------------------------------------------------


def test_the_answer_carries_a_cursor_alerts_and_the_regimen(patient: EnrolledPatient) -> None:
    body = sync(patient, cursor=None).json()

    assert {"accepted", "rejected", "cursor", "alerts", "regimen"} <= set(body)
    assert isinstance(body["cursor"], str) and body["cursor"]
    assert body["alerts"] == []
    regimen = body["regimen"]
    assert regimen["start_date"] == "2026-11-01"
    assert (regimen["ixazomib_mg"], regimen["lenalidomide_mg"], regimen["dexamethasone_mg"]) == ("4", "25", "40")
    assert regimen["timezone"] == "America/New_York"


def test_the_returned_cursor_is_accepted_next_time(patient: EnrolledPatient) -> None:
    cursor = sync(patient).json()["cursor"]

    response = sync(patient, cursor=cursor, dose_logs=[dose_item()])

    assert response.status_code == 200
    assert response.json()["cursor"]


def test_the_answer_carries_the_patients_open_alerts(patient: EnrolledPatient, other_patient: EnrolledPatient) -> None:
    sync(patient, lab_results=[lab_item("platelets", 20)])
    sync(other_patient, lab_results=[lab_item("platelets", 10)])
    grade_all()

    alerts = sync(patient, cursor=None).json()["alerts"]

    assert [(a["patient"], a["kind"], a["grade"]) for a in alerts] == [(str(patient.patient.pk), "thrombocytopenia", 4)]
    assert alerts[0]["patient_advice"]


def test_a_cursor_brings_alerts_changed_since_it_was_issued(patient: EnrolledPatient, nurse: Person) -> None:
    sync(patient, lab_results=[lab_item("platelets", 45)])  # grade 3: no hold
    grade_all()
    cursor = sync(patient).json()["cursor"]
    (alert,) = Alert.objects.all()
    nurse.client().post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "called"}, format="json")

    alerts = sync(patient, cursor=cursor).json()["alerts"]

    assert [(a["id"], a["status"]) for a in alerts] == [(str(alert.pk), "resolved")]
    assert sync(patient, cursor=None).json()["alerts"] == []  # from scratch: resolved ones are not sent


def test_from_scratch_a_resolved_alert_whose_hold_is_still_in_force_is_sent(
    patient: EnrolledPatient, nurse: Person
) -> None:
    """Resolving does not lift the label's hold, a later count does: a new phone shows it too."""
    sync(patient, lab_results=[lab_item("platelets", 20)])
    grade_all()
    (alert,) = Alert.objects.all()
    nurse.client().post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "called"}, format="json")

    (sent,) = sync(patient, cursor=None).json()["alerts"]

    assert (sent["status"], sent["holds_in_force"]) == ("resolved", ["ixazomib", "lenalidomide"])
    sync(patient, lab_results=[lab_item("platelets", 90, collected_at="2026-11-22T08:30:00-05:00")])
    grade_all()
    assert sync(patient, cursor=None).json()["alerts"] == []


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "c1.not-a-number", "c1.99999999999999999999999999", 12345, {"at": 1}, ["c1.1"], True],
)
def test_an_invalid_cursor_is_400_naming_cursor(patient: EnrolledPatient, cursor: object) -> None:
    response = sync(patient, cursor=cursor, dose_logs=[dose_item()])

    assert response.status_code == 400
    assert list(error_fields(response)) == ["cursor"]
    assert counts() == (0, 0, 0)


# --- the whole body is wrong -----------------------------------------------------------------


@pytest.mark.parametrize("body", [[], [lab_item()], "text", 42, None, True])
def test_a_body_that_is_not_an_object_is_400(patient: EnrolledPatient, body: object) -> None:
    response = post_json(patient.client(), SYNC_URL, body)

    assert response.status_code == 400
    assert "errors" in response.json()
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("section", ["lab_results", "symptom_reports", "dose_logs"])
@pytest.mark.parametrize("value", [{"id": "x"}, "lab", 3, True])
def test_a_section_that_is_not_a_list_is_400_naming_it(patient: EnrolledPatient, section: str, value: object) -> None:
    valid = {"lab_results": [lab_item()], "symptom_reports": [symptom_item()], "dose_logs": [dose_item()]}

    response = sync(patient, **(valid | {section: value}))

    assert response.status_code == 400
    assert error_fields(response) == {section: ["Must be a list."]}
    assert counts() == (0, 0, 0)


def test_an_unknown_section_is_400_naming_it(patient: EnrolledPatient) -> None:
    response = sync(patient, dose_logs=[dose_item()], blood_pressure=[{"systolic": 120}])

    assert response.status_code == 400
    assert error_fields(response) == {"blood_pressure": ["Unknown field."]}


def test_malformed_json_is_400(patient: EnrolledPatient) -> None:
    response = post_raw(patient.client(), SYNC_URL, '{"lab_results": [')

    assert response.status_code == 400
    assert list(error_fields(response)) == ["body"]


def test_nan_is_not_json_and_is_400(patient: EnrolledPatient) -> None:
    body = json.dumps({"lab_results": [lab_item(value=float("nan"))]})
    assert "NaN" in body

    response = post_raw(patient.client(), SYNC_URL, body)

    assert response.status_code == 400
    assert counts() == (0, 0, 0)


def test_more_than_2000_items_is_400(patient: EnrolledPatient) -> None:
    response = sync(patient, dose_logs=[dose_item() for _ in range(2001)])

    assert response.status_code == 400
    assert list(error_fields(response)) == ["non_field_errors"]
    assert counts() == (0, 0, 0)


# --- one bad item is rejected alone ----------------------------------------------------------


def test_one_bad_item_is_rejected_alone(patient: EnrolledPatient) -> None:
    good, bad, also_good = lab_item(value=42), lab_item(analyte="unobtainium"), lab_item(value=300)

    response = sync(patient, lab_results=[good, bad, also_good])

    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == [good["id"], also_good["id"]]
    assert len(body["rejected"]) == 1
    assert body["rejected"][0]["id"] == bad["id"]
    assert_reason(body["rejected"][0], "analyte")


def test_nothing_is_half_stored_valid_items_are_stored_and_invalid_ones_are_not(patient: EnrolledPatient) -> None:
    valid = [lab_item(value=42), symptom_item(), dose_item()]
    invalid = [lab_item(value=-5), symptom_item("hiccups"), dose_item(drug="aspirin")]

    response = sync(
        patient,
        lab_results=[valid[0], invalid[0]],
        symptom_reports=[invalid[1], valid[1]],
        dose_logs=[valid[2], invalid[2]],
    )

    body = response.json()
    assert sorted(body["accepted"]) == sorted(i["id"] for i in valid)
    assert sorted(r["id"] for r in body["rejected"]) == sorted(i["id"] for i in invalid)
    stored = {
        *map(str, LabResult.objects.values_list("id", flat=True)),
        *map(str, SymptomReport.objects.values_list("id", flat=True)),
        *map(str, DoseLog.objects.values_list("id", flat=True)),
    }
    assert stored == {i["id"] for i in valid}


def test_a_rejection_names_its_section(patient: EnrolledPatient) -> None:
    bad = dose_item(status="forgotten")

    (rejection,) = sync(patient, dose_logs=[bad]).json()["rejected"]

    assert rejection["section"] == "dose_logs"
    assert assert_reason(rejection, "status") == ["Must be one of: taken, skipped, vomited."]


def test_an_item_that_is_not_an_object_is_rejected_alone(patient: EnrolledPatient) -> None:
    good = dose_item()

    body = sync(patient, dose_logs=[5, good, "x"]).json()

    assert body["accepted"] == [good["id"]]
    assert [r["id"] for r in body["rejected"]] == [None, None]
    assert_reason(body["rejected"][0], "non_field_errors")


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": None}, "id"),
        ({"collected_at": "2026-11-20T08:30:00"}, "collected_at"),
        ({"collected_at": "yesterday"}, "collected_at"),
        ({"collected_at": "2099-01-01T00:00:00Z"}, "collected_at"),
        ({"collected_at": "1999-12-31T23:00:00Z"}, "collected_at"),
        ({"value": "42"}, "value"),
        ({"value": None}, "value"),
        ({"value": True}, "value"),
        ({"analyte": None}, "analyte"),
        ({"unit": None}, "unit"),
        ({"flavour": "lime"}, "flavour"),
    ],
)
def test_a_lab_result_is_checked_field_by_field(patient: EnrolledPatient, item: dict[str, Any], field: str) -> None:
    sent = lab_item() | item

    body = sync(patient, lab_results=[sent]).json()

    assert body["accepted"] == []
    assert_reason(body["rejected"][0], field)


# --- analytes, units and values (contract §3) -------------------------------------------------

_COUNT_UNITS = ["10^9/L", "x10^9/L", "10*9/L", "K/uL", "10^3/uL", "x10^3/uL", "/uL", "cells/uL", "/mm3"]
_PER_UL = {"/uL", "cells/uL", "/mm3"}
_NORMAL = {"platelets": 150, "anc": 2, "wbc": 5}
CONTRACT_UNITS: list[tuple[str, str, int | float]] = [
    *(
        (analyte, unit, _NORMAL[analyte] * (1000 if unit in _PER_UL else 1))
        for analyte in _NORMAL
        for unit in _COUNT_UNITS
    ),
    ("hemoglobin", "g/dL", 12),
    ("hemoglobin", "g/L", 120),
    ("hemoglobin", "mmol/L", 7.5),
    ("creatinine", "mg/dL", 1),
    ("creatinine", "umol/L", 88),
    ("alt", "U/L", 30),
    ("ast", "U/L", 30),
    ("bilirubin", "mg/dL", 1),
    ("bilirubin", "umol/L", 17),
]


def spellings(unit: str) -> list[str]:
    """The contract's spelling, upper and lower case, and `µ` for `u` where it means micro (upper-cased,
    `µ` becomes the Greek capital Mu, U+039C, as on an all-caps lab report)."""
    found = [unit, unit.upper(), unit.lower()]
    if "uL" in unit or "umol" in unit:
        micro = unit.replace("uL", "µL").replace("umol", "µmol")
        found += [micro, micro.lower(), micro.upper()]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize(("analyte", "unit", "value"), CONTRACT_UNITS)
def test_every_unit_of_the_contract_is_accepted_in_any_case_and_with_micro(
    patient: EnrolledPatient, analyte: str, unit: str, value: float
) -> None:
    items = [lab_item(analyte, value, spelled) for spelled in spellings(unit)]

    body = sync(patient, lab_results=items).json()

    assert body["rejected"] == []
    assert body["accepted"] == [item["id"] for item in items]
    assert len(set(LabResult.objects.values_list("unit", flat=True))) == 1


@pytest.mark.parametrize(("analyte", "value", "unit"), [("platelets", 150, "K/ΜL"), ("creatinine", 88, "ΜMOL/L")])
def test_an_upper_case_micro_sign_is_micro_too(patient: EnrolledPatient, analyte: str, value: int, unit: str) -> None:
    assert unit == unit.upper() and "\u039c" in unit
    item = lab_item(analyte, value, unit)

    assert sync(patient, lab_results=[item]).json()["accepted"] == [item["id"]]


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "canonical"),
    [
        ("platelets", 150, "x10^9/L", Decimal(150)),
        ("platelets", 150, "K/µL", Decimal(150)),
        ("platelets", 150000, "/mm3", Decimal(150)),
        ("anc", 1500, "cells/uL", Decimal("1.5")),
        ("anc", 1.5, "10*9/L", Decimal("1.5")),
    ],
)
def test_counts_are_stored_in_10_9_per_litre(
    patient: EnrolledPatient, analyte: str, value: float, unit: str, canonical: Decimal
) -> None:
    item = lab_item(analyte, value, unit)

    sync(patient, lab_results=[item])

    assert LabResult.objects.get(pk=item["id"]).canonical_value == canonical


def test_an_unknown_analyte_is_rejected_with_the_known_ones(patient: EnrolledPatient) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item("vitamin_q")]).json()["rejected"]

    (message,) = assert_reason(rejection, "analyte")
    assert "platelets" in message and "hemoglobin" in message


@pytest.mark.parametrize(("analyte", "unit"), [("platelets", "mg/dL"), ("hemoglobin", "K/uL"), ("alt", "furlongs")])
def test_an_unknown_unit_is_rejected_with_the_accepted_ones(patient: EnrolledPatient, analyte: str, unit: str) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item(analyte, 10, unit)]).json()["rejected"]

    (message,) = assert_reason(rejection, "unit")
    assert "Use one of" in message


@pytest.mark.parametrize(
    ("analyte", "value", "unit"),
    [
        ("platelets", 5001, "10^9/L"),
        ("platelets", 5000.1, "K/uL"),
        ("platelets", -1, "10^9/L"),
        ("platelets", -0.001, "/uL"),
        ("anc", 501, "10^9/L"),
        ("hemoglobin", 30, "g/dL"),
        ("hemoglobin", -12, "g/dL"),
        ("alt", 20001, "U/L"),
        ("creatinine", 0, "mg/dL"),
    ],
)
def test_a_physiologically_impossible_value_is_rejected_with_a_reason(
    patient: EnrolledPatient, analyte: str, value: float, unit: str
) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item(analyte, value, unit)]).json()["rejected"]

    assert_reason(rejection, "value")
    assert LabResult.objects.count() == 0


def test_platelets_of_5000_are_still_possible(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 5000, "10^9/L")

    assert sync(patient, lab_results=[item]).json()["accepted"] == [item["id"]]


def test_a_negative_value_is_rejected_as_negative(patient: EnrolledPatient) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item("platelets", -1)]).json()["rejected"]

    assert rejection["errors"] == {"value": ["Platelets cannot be negative."]}


@pytest.mark.parametrize("unit", ["/uL", "/µL", "cells/uL", "/mm3"])
def test_the_factor_of_1000_mix_up_is_rejected_naming_k_per_microlitre(patient: EnrolledPatient, unit: str) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item("platelets", 42, unit)]).json()["rejected"]

    (message,) = assert_reason(rejection, "value")
    assert "K/µL" in message
    assert message == "42 /µL is far too low for platelets. Did you mean 42 K/µL?"


def test_a_fraction_per_microlitre_is_the_mix_up_too(patient: EnrolledPatient) -> None:
    (rejection,) = sync(patient, lab_results=[lab_item("anc", 0.8, "/uL")]).json()["rejected"]

    (message,) = assert_reason(rejection, "value")
    assert "K/µL" in message


def test_the_same_number_in_k_per_microlitre_is_accepted(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 42, "K/µL")

    assert sync(patient, lab_results=[item]).json()["accepted"] == [item["id"]]


# --- symptoms and doses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symptom", "answers", "field"),
    [
        ("hiccups", {"severity": "mild"}, "symptom"),
        ("diarrhea", {}, "answers.stools_above_usual"),
        ("diarrhea", {"stools_above_usual": -1}, "answers.stools_above_usual"),
        ("diarrhea", {"stools_above_usual": 2.5}, "answers.stools_above_usual"),
        ("diarrhea", {"stools_above_usual": "5"}, "answers.stools_above_usual"),
        ("diarrhea", {"stools_above_usual": 3, "colour": "brown"}, "answers.colour"),
        ("fever", {"temperature_c": 43.5}, "answers.temperature_c"),
        ("fever", {"temperature_c": 34.9}, "answers.temperature_c"),
        ("nausea", {"severity": "unbearable"}, "answers.severity"),
        ("rash", {"body_area": "most"}, "answers.body_area"),
        ("peripheral_neuropathy", {"severity": "mild", "pain": "yes"}, "answers.pain"),
    ],
)
def test_a_symptom_report_is_checked_answer_by_answer(
    patient: EnrolledPatient, symptom: str, answers: dict[str, Any], field: str
) -> None:
    (rejection,) = sync(patient, symptom_reports=[symptom_item(symptom, answers)]).json()["rejected"]

    assert_reason(rejection, field)
    assert SymptomReport.objects.count() == 0


def test_answers_that_are_not_an_object_are_rejected(patient: EnrolledPatient) -> None:
    item = symptom_item()
    item["answers"] = [5]

    (rejection,) = sync(patient, symptom_reports=[item]).json()["rejected"]

    assert_reason(rejection, "answers")


@pytest.mark.parametrize(("item", "field"), [({"drug": "aspirin"}, "drug"), ({"taken_at": None}, "taken_at")])
def test_a_dose_log_is_checked_field_by_field(patient: EnrolledPatient, item: dict[str, Any], field: str) -> None:
    (rejection,) = sync(patient, dose_logs=[dose_item() | item]).json()["rejected"]

    assert_reason(rejection, field)


# --- replays and reused ids ------------------------------------------------------------------


def test_replaying_the_same_batch_five_times_changes_nothing(patient: EnrolledPatient) -> None:
    batch = {
        "lab_results": [lab_item(value=42), lab_item("anc", 0.8)],
        "symptom_reports": [symptom_item(), symptom_item("fever", {"temperature_c": 38.5})],
        "dose_logs": [dose_item(), dose_item("lenalidomide")],
    }
    ids = sorted(item["id"] for items in batch.values() for item in items)

    first = sync(patient, **batch).json()
    stored = counts()
    rows_before = list(LabResult.objects.order_by("id").values())
    for _ in range(5):
        again = sync(patient, **batch).json()
        assert (sorted(again["accepted"]), again["rejected"]) == (ids, [])

    assert sorted(first["accepted"]) == ids
    assert counts() == stored == (2, 2, 2)
    assert list(LabResult.objects.order_by("id").values()) == rows_before


def test_a_replay_after_grading_raises_no_second_alert(patient: EnrolledPatient) -> None:
    item = lab_item("platelets", 20)
    sync(patient, lab_results=[item])
    grade_all()

    assert sync(patient, lab_results=[item]).json()["accepted"] == [item["id"]]
    grade_all()

    assert Alert.objects.count() == 1


def test_a_replay_in_another_time_zone_spelling_is_the_same_entry(patient: EnrolledPatient) -> None:
    item = lab_item()
    sync(patient, lab_results=[item])

    same_moment = item | {"collected_at": "2026-11-20T13:30:00Z", "value": 42.0}
    body = sync(patient, lab_results=[same_moment]).json()

    assert (body["accepted"], body["rejected"]) == ([item["id"]], [])
    assert LabResult.objects.count() == 1


def test_the_same_id_with_different_content_is_rejected(patient: EnrolledPatient) -> None:
    item = lab_item(value=42)
    sync(patient, lab_results=[item])

    (rejection,) = sync(patient, lab_results=[item | {"value": 24}]).json()["rejected"]

    assert rejection["id"] == item["id"]
    assert rejection["errors"] == {"id": [ID_REUSED]}
    assert LabResult.objects.get(pk=item["id"]).value == 42


def test_the_same_id_twice_in_one_batch_with_different_content_keeps_the_first(patient: EnrolledPatient) -> None:
    first = dose_item()
    second = first | {"status": "skipped"}

    body = sync(patient, dose_logs=[first, second]).json()

    assert body["accepted"] == [first["id"]]
    assert body["rejected"] == [{"id": first["id"], "section": "dose_logs", "errors": {"id": [ID_REUSED]}}]
    assert DoseLog.objects.get().status == "taken"


def test_the_same_id_twice_in_one_batch_with_the_same_content_is_stored_once(patient: EnrolledPatient) -> None:
    item = dose_item()

    body = sync(patient, dose_logs=[item, dict(item)]).json()

    assert (body["accepted"], body["rejected"]) == ([item["id"], item["id"]], [])
    assert DoseLog.objects.count() == 1


def test_another_patients_id_is_rejected_without_leaking_their_data(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    theirs = lab_item("platelets", 123.4)
    sync(other_patient, lab_results=[theirs])

    response = sync(patient, lab_results=[theirs])

    body = response.json()
    assert body["accepted"] == []
    assert body["rejected"] == [{"id": theirs["id"], "section": "lab_results", "errors": {"id": [ID_REUSED]}}]
    text = response.content.decode()
    assert "Otto" not in text and str(other_patient.patient.pk) not in text
    assert LabResult.objects.get(pk=theirs["id"]).patient_id == other_patient.patient.pk


def test_another_patients_id_with_identical_content_is_still_rejected(
    patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    theirs = dose_item()
    sync(other_patient, dose_logs=[theirs])

    body = sync(patient, dose_logs=[theirs]).json()

    assert body["accepted"] == []
    assert [r["id"] for r in body["rejected"]] == [theirs["id"]]


# --- who may sync ---------------------------------------------------------------------------


def test_a_nurse_token_cannot_sync(nurse: Person) -> None:
    response = nurse.client().post(SYNC_URL, {"dose_logs": [dose_item()]}, format="json")

    assert response.status_code == 403
    assert DoseLog.objects.count() == 0


def test_a_caregiver_cannot_sync(caregiver: Person) -> None:
    assert caregiver.client().post(SYNC_URL, {}, format="json").status_code == 403


def test_syncing_without_a_token_is_401(db: None, anonymous: APIClient) -> None:
    assert anonymous.post(SYNC_URL, {"dose_logs": [dose_item()]}, format="json").status_code == 401
    assert DoseLog.objects.count() == 0


def test_a_logged_out_phone_cannot_sync(patient: EnrolledPatient) -> None:
    patient.client().post("/api/v1/auth/logout/")

    assert sync(patient, dose_logs=[dose_item()]).status_code == 401


# --- no 500 for any client input (contract §2) -----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"dose_logs": [{"id": "\\ud800"}]}', id="item-id"),
        pytest.param('{"\\ud800": []}', id="unknown-section-name"),
        pytest.param('{"dose_logs": [{"\\udc00": 1}]}', id="unknown-item-field"),
        pytest.param('{"symptom_reports": [{"symptom": "nausea", "answers": {"\\ud800": 1}}]}', id="answer-name"),
    ],
)
def test_a_lone_surrogate_anywhere_in_the_body_is_not_a_500(patient: EnrolledPatient, body: str) -> None:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {patient.token}")

    response = post_raw(client, SYNC_URL, body)

    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"cursor": "\\ud800"}',
        '{"lab_results": [{"analyte": "\\ud800", "unit": "\\ud800", "collected_at": "\\ud800"}]}',
        '{"dose_logs": [{"drug": "\\ud800", "status": "\\u0000"}]}',
        '{"dose_logs": [{"id": "\\u0000"}]}',
    ],
)
def test_odd_characters_in_checked_values_are_refused_cleanly(patient: EnrolledPatient, body: str) -> None:
    response = post_raw(patient.client(), SYNC_URL, body)

    assert response.status_code in (200, 400)
    assert counts() == (0, 0, 0)


# --- cost ---------------------------------------------------------------------------------


def queries_for(patient: EnrolledPatient, n: int, *, replayed: int = 0) -> list[str]:
    """The SQL of one sync of n items per section, the first `replayed` labs of which were stored
    by an earlier sync (on PostgreSQL that takes the path for ids already stored)."""
    batch = {
        "lab_results": [lab_item(value=100 + i) for i in range(n)],
        "symptom_reports": [symptom_item() for _ in range(n)],
        "dose_logs": [dose_item() for _ in range(n)],
    }
    client = patient.client()
    if replayed:
        client.post(SYNC_URL, {"lab_results": batch["lab_results"][:replayed]}, format="json")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(SYNC_URL, batch, format="json")
    assert response.status_code == 200
    assert len(response.json()["accepted"]) == 3 * n
    return [q["sql"] for q in captured.captured_queries]


def insert_chunks(n: int) -> int:
    """Statements that write n rows per section: on PostgreSQL one COPY (or one INSERT) per section;
    on SQLite, Django caps a statement at 999 parameters (about 80 lab rows)."""
    if connection.vendor == "postgresql":
        return 3
    chunks = 0
    for model in (LabResult, SymptomReport, DoseLog):
        per_statement = connection.ops.bulk_batch_size(model._meta.concrete_fields, [None] * n)
        chunks += -(-n // min(per_statement, 500))
    return chunks


def is_row_write(sql: str) -> bool:
    return sql.startswith(("INSERT", "COPY")) and "audit_auditevent" not in sql


def shape(sql: str) -> str:
    """A statement without its values and savepoint names, to compare two syncs' statements."""
    return re.sub(r'"s\d+_x\d+"', '"savepoint"', sql)[:60]


@pytest.mark.parametrize("replayed", [0, 1], ids=["all-new", "one-already-stored"])
def test_a_sync_costs_the_same_number_of_queries_for_10_or_200_items(patient: EnrolledPatient, replayed: int) -> None:
    sync(patient)  # warm-up: nothing lazily cached counts against either batch

    small, large = queries_for(patient, 10, replayed=replayed), queries_for(patient, 200, replayed=replayed)

    assert [shape(q) for q in small if not is_row_write(q)] == [shape(q) for q in large if not is_row_write(q)]
    writes = (sum(map(is_row_write, small)), sum(map(is_row_write, large)))
    if connection.vendor == "postgresql":
        assert len(small) == len(large)
        # all new: one COPY per section; else the failed COPY of the labs, then one INSERT per section
        assert writes == ((3, 3) if not replayed else (4, 4))
    elif not replayed:
        assert writes == (insert_chunks(10), insert_chunks(200))
    else:  # the chunks of the first attempt up to the one with the stored id, then the INSERT chunks
        assert insert_chunks(10) < writes[0] <= 2 * insert_chunks(10)
        assert insert_chunks(200) < writes[1] <= 2 * insert_chunks(200)
    # 12, plus one for the reminders the answer carries (plan and holds together), one for the
    # regimen's cycle delays (its calendar, read once for the regimen and the reminders) and two for its lab
    # context (the entered baselines; the last readings on or before cycle 1 day 1); with an id already
    # stored, + rolling back the write that failed on it, a SELECT of the stored rows per section (and
    # on SQLite one of the stored ids per section before each INSERT), and a savepoint around the
    # INSERTs (should the database refuse a row there, the others are then stored without it)
    assert len(small) <= (16 if not replayed else 25)
