"""The sync answer carries the clinic's alert policy (`alert_policy`, the wire form of
shared.alert_policy.policy_to_wire), so the phone's advice offline is the clinic's own: a stricter
clinic's thresholds, or `{}` for the defaults. It costs no query: the clinic comes with the patient."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Clinic
from backend.alerts.models import Alert
from shared.alert_policy import DEFAULT_POLICY, evaluate_lab, policy_from_wire, with_overrides
from shared.lab_grading import grade_lab
from shared.lab_values import parse_lab_value
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, lab_item

STRICTER = {
    "labs": {"platelets": {"min_grade": 2}},
    "symptoms": {"diarrhea": {"min_grade": 2}},
    "fever": {"threshold_c": 37.5},
}


def clinic_policy(patient: EnrolledPatient, policy: Any) -> None:
    Clinic.objects.filter(pk=patient.patient.clinic_id).update(alert_policy=policy)


def test_a_default_clinic_sends_the_empty_policy(patient: EnrolledPatient) -> None:
    answer = sync(patient).json()

    assert answer["alert_policy"] == {}
    assert policy_from_wire(answer["alert_policy"]) == DEFAULT_POLICY


def test_a_stricter_clinic_sends_its_overrides(patient: EnrolledPatient) -> None:
    clinic_policy(patient, STRICTER)

    answer = sync(patient).json()

    assert answer["alert_policy"] == STRICTER
    assert policy_from_wire(answer["alert_policy"]) == with_overrides(DEFAULT_POLICY, STRICTER)


def test_the_phone_and_the_server_agree_on_a_reading_only_the_stricter_policy_alerts_on(
    patient: EnrolledPatient,
) -> None:
    clinic_policy(patient, STRICTER)
    policy = policy_from_wire(sync(patient).json()["alert_policy"])
    lab = parse_lab_value("platelets", 70, "10^9/L")  # grade 2: no alert by default

    on_phone = evaluate_lab(policy, lab, grade_lab(lab))
    sync(patient, lab_results=[lab_item(value=70)])
    grade_all()

    assert evaluate_lab(DEFAULT_POLICY, lab, grade_lab(lab)) is None
    assert on_phone is not None
    server = Alert.objects.get(patient=patient.patient)
    assert (server.kind, server.grade, server.severity, server.patient_advice) == (
        on_phone.kind,
        on_phone.grade,
        on_phone.severity.value,
        on_phone.patient_advice,
    )


def test_only_what_differs_from_the_default_is_sent(patient: EnrolledPatient) -> None:
    clinic_policy(patient, {"labs": {"platelets": {"min_grade": 3}, "anc": {"min_grade": 2}}})

    assert sync(patient).json()["alert_policy"] == {"labs": {"anc": {"min_grade": 2}}}


@pytest.mark.parametrize(
    "stored",
    [{"labs": {"platelets": {"min_grade": 4}}}, {"nonsense": 1}, ["not", "an", "object"]],
    ids=["looser", "unknown-section", "not-an-object"],
)
def test_a_clinic_policy_stored_invalid_sends_the_default_not_an_error(
    patient: EnrolledPatient, stored: object
) -> None:
    clinic_policy(patient, stored)  # past Clinic.clean(), as an old row or a hand edit could be

    response = sync(patient)

    assert response.status_code == 200
    assert response.json()["alert_policy"] == {}


def sync_queries(patient: EnrolledPatient) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert sync(patient, lab_results=[lab_item()]).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_policy_costs_no_query(patient: EnrolledPatient) -> None:
    sync(patient)  # warm-up
    default = sync_queries(patient)
    clinic_policy(patient, STRICTER)

    stricter = sync_queries(patient)

    assert len(stricter) == len(default)
    clinic_table = f'FROM "{Clinic._meta.db_table}"'
    assert not [q for q in stricter if clinic_table in q]  # the clinic came joined with the patient


def test_the_schema_documents_the_field(db: None) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert "alert_policy" in schema["components"]["schemas"]["SyncResponse"]["properties"]
