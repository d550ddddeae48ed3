"""Specification of POST /api/v1/patients/{id}/markers/ (contract §5): the care team's markers, one
item or a list, stored once each, all or nothing, with every refusal naming its field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from backend.response.models import EnteredBy, MarkerResult
from tests.backend.response.support import day, item, markers_url, post_markers
from tests.backend.support import sync
from tests.factories import EnrolledPatient, Person


def test_one_item_is_stored_as_sent_and_canonically(nurse: Person, patient: EnrolledPatient) -> None:
    sent = item("kappa_flc", 62, "mg/dL", on=day(0))
    answer = post_markers(nurse, patient.patient.pk, sent)
    assert answer.status_code == 201
    assert answer.json() == {"accepted": [sent["id"]], "created": 1}
    row = MarkerResult.objects.get()
    assert (row.value, row.unit, row.canonical_value) == (Decimal(62), "mg/dL", Decimal(620))
    assert (row.entered_by, row.entered_by_user_id) == (EnteredBy.CARE_TEAM, nurse.user.pk)
    assert row.assessed_at is None  # for the recompute task or the sweeper


def test_a_list_is_stored_and_sending_it_again_changes_nothing(nurse: Person, patient: EnrolledPatient) -> None:
    items = [
        item("serum_m_protein", 21, "g/L", on=day(0)),
        item("serum_ife", "positive", on=day(0)),
        item("mrd", "negative", on=day(0), method="NGS", sensitivity="1e-6"),
    ]
    assert post_markers(nurse, patient.patient.pk, items).status_code == 201
    again = post_markers(nurse, patient.patient.pk, items)
    assert again.status_code == 200 and again.json() == {"accepted": [i["id"] for i in items], "created": 0}
    assert MarkerResult.objects.count() == 3
    listed = nurse.client().get(markers_url(patient.patient.pk)).json()
    assert {m["marker"] for m in listed} == {"serum_m_protein", "serum_ife", "mrd"}
    assert next(m for m in listed if m["marker"] == "serum_m_protein")["canonical_value"] == 2.1


def test_one_bad_item_in_a_list_stores_nothing_and_names_its_field(nurse: Person, patient: EnrolledPatient) -> None:
    good = item("serum_m_protein", 2.1, "g/dL", on=day(0))
    bad = item("kappa_flc", 0.3, "mg/L", on=day(0))  # a mg/dL figure typed as mg/L
    answer = post_markers(nurse, patient.patient.pk, [good, bad])
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors[0] == {}
    assert "Did you mean 0.3 mg/dL?" in errors[1]["value"][0]
    assert MarkerResult.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"marker": "beta2"}, "marker"),
        ({"unit": "mg/L"}, "unit"),
        ({"value": -1}, "value"),
        ({"value": "a lot"}, "value"),
        ({"value": 30}, "value"),  # 30 g/dL: g/L meant
        ({"collected_at": "2026-11-20T08:30:00"}, "collected_at"),
        ({"id": "not-a-uuid"}, "id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_item_is_refused_with_its_field(
    nurse: Person, patient: EnrolledPatient, changes: dict[str, Any], field: str
) -> None:
    answer = post_markers(nurse, patient.patient.pk, {**item("serum_m_protein", 2.1, "g/dL", on=day(0)), **changes})
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert MarkerResult.objects.count() == 0


def test_a_value_from_the_future_is_refused(nurse: Person, patient: EnrolledPatient) -> None:
    answer = post_markers(
        nurse, patient.patient.pk, item("serum_m_protein", 2.1, "g/dL", on=datetime.now(UTC).date() + timedelta(days=2))
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["collected_at"] == ["Is in the future."]


def test_an_id_used_for_other_content_is_refused(nurse: Person, patient: EnrolledPatient) -> None:
    sent = item("serum_m_protein", 2.1, "g/dL", on=day(0))
    post_markers(nurse, patient.patient.pk, sent)
    answer = post_markers(nurse, patient.patient.pk, {**sent, "value": 2.2})
    assert answer.status_code == 400
    assert "already used" in answer.json()["errors"]["id"][0]
    assert MarkerResult.objects.get().value == Decimal("2.1")


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_no_item_is_refused(nurse: Person, patient: EnrolledPatient, body: Any) -> None:
    answer = nurse.client().post(markers_url(patient.patient.pk), body, format="json")
    assert answer.status_code == 400


def test_only_the_care_team_of_the_clinic_posts_markers(
    nurse: Person,
    clinic_admin: Person,
    patient: EnrolledPatient,
    other_clinic_nurse: Person,
    caregiver: Person,
) -> None:
    url_item = item("serum_m_protein", 2.1, "g/dL", on=day(0))
    assert post_markers(clinic_admin, patient.patient.pk, url_item).status_code == 201
    assert (
        post_markers(other_clinic_nurse, patient.patient.pk, item("serum_m_protein", 2, "g/dL", on=day(0))).status_code
        == 404
    )
    assert post_markers(patient, patient.patient.pk, item("serum_m_protein", 2, "g/dL", on=day(0))).status_code == 403
    assert post_markers(caregiver, patient.patient.pk, item("serum_m_protein", 2, "g/dL", on=day(0))).status_code == 403
    assert MarkerResult.objects.count() == 1


# --- the phone's sync section `marker_results` ---------------------------------------------------


def test_the_phone_syncs_markers_each_bad_item_rejected_alone(patient: EnrolledPatient) -> None:
    good = item("serum_m_protein", 2.1, "g/dL", on=day(0))
    bad = item("lambda_flc", 12, "mg/24h", on=day(0))
    answer = sync(patient, marker_results=[good, bad])
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == [good["id"]]
    (rejected,) = body["rejected"]
    assert (rejected["id"], rejected["section"], list(rejected["errors"])) == (bad["id"], "marker_results", ["unit"])
    row = MarkerResult.objects.get()
    assert (row.entered_by, row.entered_by_user_id) == (EnteredBy.PATIENT, patient.user.pk)
    again = sync(patient, marker_results=[good]).json()
    assert again["accepted"] == [good["id"]] and again["rejected"] == []
    assert MarkerResult.objects.count() == 1


def test_the_care_teams_copy_wins_over_the_patients_on_the_same_day(nurse: Person, patient: EnrolledPatient) -> None:
    sync(
        patient,
        marker_results=[
            item("serum_m_protein", 3.0, "g/dL", on=day(0)),
            item("serum_m_protein", 2.0, "g/dL", on=day(1), hour=9),
        ],
    )
    post_markers(nurse, patient.patient.pk, item("serum_m_protein", 1.4, "g/dL", on=day(1), hour=7))
    body = nurse.client().get(f"/api/v1/patients/{patient.patient.pk}/response/").json()
    assert body["assessments"][0]["values"]["serum_m_protein"] == 1.4
    assert body["assessments"][0]["category"] == "PR"
