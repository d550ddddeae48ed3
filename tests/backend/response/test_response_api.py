"""Specification of GET /api/v1/patients/{id}/response/ (contract §5), driven through the API:
the care team posts markers, the response answers with the IMWG categories, and progression raises
one `disease_progression` alert per episode."""

from __future__ import annotations

from typing import Any

from backend.audit.models import AuditEvent
from tests.backend.response.support import (
    day,
    item,
    post_markers,
    progression_alerts,
    recompute_all,
    response_url,
    serum_and_urine,
)
from tests.backend.support import ALERTS_URL, CONTRACT_ALERT_KEYS, rows
from tests.factories import EnrolledPatient, Person


def response(person: Person, patient: EnrolledPatient) -> dict[str, Any]:
    answer = person.client().get(response_url(patient.patient.pk))
    assert answer.status_code == 200, answer.content
    body: dict[str, Any] = answer.json()
    return body


def categories(body: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(a["category"], a["confirmed"]) for a in body["assessments"]]


def post_days(nurse: Person, patient: EnrolledPatient, *days: list[dict[str, Any]]) -> None:
    for items in days:
        answer = post_markers(nurse, patient.patient.pk, items)
        assert answer.status_code == 201, answer.content


# --- the four worked sequences of issue 14, through the API ---------------------------------


def test_serum_and_urine_fall_to_a_partial_response_then_it_is_confirmed(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_days(
        nurse,
        patient,
        serum_and_urine(0, 3.0, 350),
        serum_and_urine(1, 1.4, 150),
        serum_and_urine(2, 1.3, 140),
    )
    body = response(nurse, patient)
    assert body["measurable_by"] == "serum"
    assert categories(body) == [("PR", False), ("PR", True)]
    assert body["current"] == {"category": "PR", "confirmed": True, "since": day(1).isoformat()}
    assert body["best"] == {"category": "PR", "confirmed": True, "since": day(1).isoformat()}
    assert [a["date"] for a in body["assessments"]] == [day(1).isoformat(), day(2).isoformat()]


def test_progression_after_a_partial_response_raises_one_alert_per_episode(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_days(nurse, patient, *(serum_and_urine(n, s) for n, s in enumerate((3.0, 0.8, 1.1))))
    recompute_all()
    assert categories(response(nurse, patient)) == [("PR", False), ("PR", True)]  # 1.1 is +0.3: not PD
    assert progression_alerts(patient.patient.pk) == []

    post_days(nurse, patient, serum_and_urine(3, 1.35))
    recompute_all()
    (alert,) = progression_alerts(patient.patient.pk)
    assert "Not yet confirmed" in alert.message and "Repeat SPEP" in alert.message

    post_days(nurse, patient, serum_and_urine(4, 1.5))
    recompute_all()
    recompute_all()  # twice: nothing new
    body = response(nurse, patient)
    assert categories(body) == [("PR", False), ("PR", True), ("PD", False), ("PD", True)]
    assert body["current"] == {"category": "PD", "confirmed": True, "since": day(3).isoformat()}
    assert body["best"]["category"] == "PR"
    assert body["nadir"]["value"] == 0.8 and body["nadir"]["progression_at"] == 1.3
    assert body["duration_of_response"] == {
        "from": day(1).isoformat(),
        "to": day(3).isoformat(),
        "days": 56,
        "ongoing": False,
    }

    (alert,) = progression_alerts(patient.patient.pk)
    assert "Confirmed by two consecutive assessments" in alert.message
    listed = [a for a in rows(nurse.client().get(ALERTS_URL, {"status": "open"})) if a["kind"] == "disease_progression"]
    assert len(listed) == 1
    shown = listed[0]
    assert CONTRACT_ALERT_KEYS <= set(shown)
    assert (shown["severity"], shown["hold_drugs"], shown["dose_hold"], shown["grade"]) == ("urgent", [], False, None)


def test_flc_only_disease_partial_then_very_good_partial_response(nurse: Person, patient: EnrolledPatient) -> None:
    baseline = [
        item("kappa_flc", 620, "mg/L", on=day(0)),
        item("lambda_flc", 12, "mg/L", on=day(0)),
        item("serum_m_protein", 0.4, "g/dL", on=day(0)),
        item("urine_m_protein", 100, "mg/24h", on=day(0)),
    ]
    follow = [
        [item("kappa_flc", 12 + dflc, "mg/L", on=day(n)), item("lambda_flc", 12, "mg/L", on=day(n))]
        for n, dflc in enumerate((270, 260, 40, 38), start=1)
    ]
    post_days(nurse, patient, baseline, *follow)
    body = response(nurse, patient)
    assert body["measurable_by"] == "flc" and body["involved_chain"] == "kappa"
    assert categories(body) == [("PR", False), ("PR", True), ("VGPR", False), ("VGPR", True)]
    assert body["best"] == {"category": "VGPR", "confirmed": True, "since": day(3).isoformat()}


def test_the_lower_of_serum_and_urine_wins_and_a_better_one_before_confirms_it(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_days(nurse, patient, serum_and_urine(0, 3.0), serum_and_urine(1, 0.25, 50), serum_and_urine(2, 0.5, 50))
    body = response(nurse, patient)
    assert categories(body) == [("VGPR", False), ("PR", True)]
    assert body["current"] == {"category": "PR", "confirmed": True, "since": day(1).isoformat()}
    assert body["best"] == {"category": "PR", "confirmed": True, "since": day(1).isoformat()}


# --- the rest of the answer -------------------------------------------------------------------


def test_without_measurable_disease_the_response_is_not_evaluable(nurse: Person, patient: EnrolledPatient) -> None:
    post_days(nurse, patient, serum_and_urine(0, 0.9), serum_and_urine(1, 0.2))
    body = response(nurse, patient)
    assert body["measurable_by"] is None
    assert categories(body) == [("NE", False)]
    assert body["best"] is None


def test_before_any_marker_the_answer_is_empty_not_an_error(nurse: Person, patient: EnrolledPatient) -> None:
    body = response(nurse, patient)
    assert (body["measurable_by"], body["current"], body["best"], body["assessments"]) == (None, None, None, [])


def test_a_new_lesion_is_confirmed_progression_at_once_and_raises_its_alert(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_days(nurse, patient, serum_and_urine(0, 3.0), [*serum_and_urine(1, 1.0), item("new_lesion", "yes", on=day(1))])
    recompute_all()
    assert categories(response(nurse, patient)) == [("PD", True)]
    (alert,) = progression_alerts(patient.patient.pk)
    assert "new bone lesion" in alert.message


def test_a_second_episode_after_a_response_raises_a_second_alert(nurse: Person, patient: EnrolledPatient) -> None:
    post_days(nurse, patient, *(serum_and_urine(n, s) for n, s in enumerate((3.0, 1.0, 1.6, 1.0, 1.6))))
    recompute_all()
    assert [c for c, _ in categories(response(nurse, patient))] == ["PR", "PD", "PR", "PD"]
    assert len(progression_alerts(patient.patient.pk)) == 2


def test_the_next_response_test_is_due_each_cycle_and_overdue_a_week_later(
    nurse: Person, patient: EnrolledPatient
) -> None:
    post_days(nurse, patient, serum_and_urine(0, 3.0), serum_and_urine(1, 1.4))
    due = response(nurse, patient)["next_test"]
    # Last drawn on cycle 2 day 1: the next is cycle 3 day 1, long past in this test's calendar.
    assert due == {"cycle": 3, "due": day(2).isoformat(), "overdue": True}


def test_the_patient_reads_their_own_response(nurse: Person, patient: EnrolledPatient) -> None:
    post_days(nurse, patient, serum_and_urine(0, 3.0), serum_and_urine(1, 1.4))
    assert categories(response(patient, patient)) == [("PR", False)]


def test_nobody_else_reads_it(
    nurse: Person,
    patient: EnrolledPatient,
    other_patient: EnrolledPatient,
    other_clinic_nurse: Person,
    caregiver: Person,
    anonymous: Any,
) -> None:
    url = response_url(patient.patient.pk)
    assert other_clinic_nurse.client().get(url).status_code == 404
    assert other_patient.client().get(url).status_code == 404
    assert caregiver.client().get(url).status_code == 403
    assert anonymous.get(url).status_code == 401
    for refused in (other_clinic_nurse, other_patient, caregiver):
        assert "assessments" not in refused.client().get(url).json()


def test_every_read_is_audited(nurse: Person, patient: EnrolledPatient) -> None:
    response(nurse, patient)
    response(patient, patient)
    reads = AuditEvent.objects.filter(action="read", resource="response", patient_id=patient.patient.pk)
    assert sorted(reads.values_list("actor_role", flat=True)) == ["nurse", "patient"]


def test_a_clinic_measuring_from_half_a_gram_sees_measurable_disease(
    nurse: Person, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    post_days(nurse, patient, serum_and_urine(0, 0.8), serum_and_urine(1, 0.3))
    assert response(nurse, patient)["measurable_by"] is None
    answer = clinic_admin.client().put("/api/v1/clinic/response-settings/", {"serum_measurable": "0.5"}, format="json")
    assert answer.status_code == 200 and answer.json() == {"serum_measurable": "0.5", "test_every_cycles": 2}
    body = response(nurse, patient)
    assert (body["measurable_by"], body["serum_measurable_threshold"]) == ("serum", 0.5)
    assert categories(body) == [("PR", False)]
    assert AuditEvent.objects.filter(action="update", resource="clinic_response_settings").count() == 1


def test_only_a_clinic_admin_changes_the_threshold_and_only_to_1_or_half(nurse: Person, clinic_admin: Person) -> None:
    url = "/api/v1/clinic/response-settings/"
    assert nurse.client().get(url).json() == {"serum_measurable": "1.0", "test_every_cycles": 2}
    assert nurse.client().put(url, {"serum_measurable": "0.5"}, format="json").status_code == 403
    refused = clinic_admin.client().put(url, {"serum_measurable": 0.7, "test_every_cycles": 4}, format="json")
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"serum_measurable", "test_every_cycles"}
    changed = clinic_admin.client().put(url, {"test_every_cycles": 3}, format="json")
    assert changed.json() == {"serum_measurable": "1.0", "test_every_cycles": 3}
    for body in ([], {}, "x"):
        assert clinic_admin.client().put(url, body, format="json").status_code == 400
