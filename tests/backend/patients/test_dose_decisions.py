"""The care team's dose decisions (POST/GET /api/v1/patients/{id}/dose-decisions/): the dose history
(who changed which dose, when, why), the Patient's current doses changed in the same transaction,
audited, the label's suggestion for the end of a hold, and the phone's regimen from its next sync."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from backend.audit.models import AuditEvent
from backend.patients.dose_decisions import dose_history, dose_on
from backend.patients.models import DoseDecision, Patient
from backend.reminders.materialise import reminders_replan
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence
from tests.backend.support import error_fields, sync
from tests.factories import EnrolledPatient, Person


def url(patient: EnrolledPatient) -> str:
    return f"/api/v1/patients/{patient.patient.pk}/dose-decisions/"


def decide(nurse: Person, patient: EnrolledPatient, **body: Any) -> Any:
    return nurse.client().post(url(patient), body, format="json")


def doses(patient: EnrolledPatient) -> tuple[Decimal, Decimal, Decimal]:
    p = Patient.objects.get(pk=patient.patient.pk)
    return p.ixazomib_mg, p.lenalidomide_mg, p.dexamethasone_mg


def test_a_reduction_lowers_one_level_keeps_the_history_and_is_audited(nurse: Person, patient: EnrolledPatient) -> None:
    response = decide(
        nurse, patient, action="reduce", drug="lenalidomide", toxicity="thrombocytopenia", grade=4, reason="plt 22"
    )
    assert response.status_code == 201, response.content
    assert doses(patient) == (Decimal(4), Decimal(20), Decimal(40))
    [item] = response.json()["decisions"]
    assert (item["action"], item["drug"], item["from_mg"], item["to_mg"]) == ("reduce", "lenalidomide", "25", "20")
    assert (item["decided_by"], item["reason"], item["toxicity"], item["grade"]) == (
        "nurse.nina",
        "plt 22",
        "thrombocytopenia",
        4,
    )
    assert AuditEvent.objects.filter(resource="dose_decision", action="create", actor=nurse.user).count() == 1


def test_the_suggestion_alternates_after_the_first_reduction(nurse: Person, patient: EnrolledPatient) -> None:
    first = nurse.client().get(url(patient)).json()["suggestions"][0]
    assert (first["toxicity"], first["ixazomib_mg"], first["lenalidomide_mg"]) == ("thrombocytopenia", "4", "20")
    decide(nurse, patient, action="reduce", drug="lenalidomide", toxicity="thrombocytopenia", grade=4)
    second = nurse.client().get(url(patient)).json()["suggestions"][0]
    assert (second["ixazomib_mg"], second["lenalidomide_mg"]) == ("3", "20")  # recurrence: ixazomib


def test_the_phone_sees_the_new_dose_from_its_next_sync(nurse: Person, patient: EnrolledPatient) -> None:
    assert sync(patient).json()["regimen"]["ixazomib_mg"] == "4"
    decide(nurse, patient, action="reduce", drug="ixazomib", toxicity="neuropathy", grade=3)
    assert sync(patient).json()["regimen"]["ixazomib_mg"] == "3"


def test_at_the_lowest_level_a_reduction_is_refused_and_nothing_is_stored(
    nurse: Person, patient: EnrolledPatient
) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(ixazomib_mg=Decimal("2.3"))
    response = decide(nurse, patient, action="reduce", drug="ixazomib")
    assert response.status_code == 400 and list(error_fields(response)) == ["action"]
    assert DoseDecision.objects.count() == 0


def test_a_dose_off_the_ladder_is_refused_by_name_and_the_history_still_reads(
    nurse: Person, patient: EnrolledPatient
) -> None:
    Patient.objects.filter(pk=patient.patient.pk).update(lenalidomide_mg=Decimal("7.5"))  # set by hand
    response = decide(nurse, patient, action="reduce", drug="lenalidomide")
    assert response.status_code == 400 and list(error_fields(response)) == ["drug"]
    body = nurse.client().get(url(patient)).json()
    assert body == {"decisions": [], "suggestions": []}


def test_stopping_a_drug_stops_its_reminders_and_its_due_days(nurse: Person, patient: EnrolledPatient) -> None:
    reminders_replan(patient=patient.patient)
    assert ReminderOccurrence.objects.filter(kind="lenalidomide", status=OccurrenceStatus.PENDING).exists()
    response = decide(nurse, patient, action="stop", drug="lenalidomide", reason="rash grade 4")
    assert response.status_code == 201
    assert doses(patient)[1] == 0
    assert not ReminderOccurrence.objects.filter(kind="lenalidomide", status=OccurrenceStatus.PENDING).exists()
    assert "lenalidomide" not in sync(patient).json()["regimen"]["drugs_due"]


def test_stopping_the_regimen_is_a_row_per_drug(nurse: Person, patient: EnrolledPatient) -> None:
    assert decide(nurse, patient, action="stop").status_code == 201
    assert doses(patient) == (0, 0, 0)
    assert sorted(DoseDecision.objects.values_list("drug", flat=True)) == ["dexamethasone", "ixazomib", "lenalidomide"]
    assert decide(nurse, patient, action="stop").status_code == 400  # already stopped


def test_resume_and_delay_are_recorded_without_changing_a_dose(nurse: Person, patient: EnrolledPatient) -> None:
    assert (
        decide(nurse, patient, action="resume_same", drug="ixazomib", toxicity="neuropathy", grade=2).status_code == 201
    )
    assert decide(nurse, patient, action="delay_cycle", delay_days=7, reason="ANC 0.8").status_code == 201
    assert doses(patient) == (Decimal(4), Decimal(25), Decimal(40))
    assert [(d.action, d.drug, d.delay_days) for d in dose_history(patient.patient)] == [
        ("resume_same", "ixazomib", None),
        ("delay_cycle", "", 7),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": "double"},
        {"action": "reduce"},
        {"action": "reduce", "drug": "dexamethasone"},
        {"action": "delay_cycle"},
        {"action": "delay_cycle", "delay_days": 29},
        {"action": "delay_cycle", "delay_days": 7, "drug": "ixazomib"},
        {"action": "stop", "delay_days": 3},
        {"action": "stop", "toxicity": "boredom"},
        {"action": "stop", "grade": 5},
        {"action": "stop", "grade": "x"},
        {"action": "stop", "reason": "x" * 501},
        {"action": ["stop"]},
    ],
)
def test_bad_input_is_400_and_changes_nothing(nurse: Person, patient: EnrolledPatient, body: dict[str, Any]) -> None:
    response = decide(nurse, patient, **body)
    assert response.status_code == 400 and error_fields(response)
    assert DoseDecision.objects.count() == 0
    assert doses(patient) == (Decimal(4), Decimal(25), Decimal(40))


def test_another_clinic_and_the_patient_cannot_decide(other_clinic_nurse: Person, patient: EnrolledPatient) -> None:
    assert decide(other_clinic_nurse, patient, action="stop").status_code == 404
    assert patient.client().post(url(patient), {"action": "stop"}, format="json").status_code == 403
    assert doses(patient)[0] == 4


def test_dose_on_follows_the_history_by_date(nurse: Person, patient: EnrolledPatient, clock: Any) -> None:
    from datetime import UTC, datetime

    clock(datetime(2026, 11, 10, 15, tzinfo=UTC))
    decide(nurse, patient, action="reduce", drug="ixazomib")
    history = dose_history(patient.patient)
    assert dose_on(history, "ixazomib", Decimal(3), date(2026, 11, 9)) == 4
    assert dose_on(history, "ixazomib", Decimal(3), date(2026, 11, 10)) == 3
    assert dose_on(history, "lenalidomide", Decimal(25), date(2026, 11, 1)) == 25


def test_a_second_click_or_a_colleagues_decision_in_between_is_409_not_a_second_reduction(
    nurse: Person, patient: EnrolledPatient
) -> None:
    seen = len(nurse.client().get(url(patient)).json()["decisions"])
    assert decide(nurse, patient, action="reduce", drug="lenalidomide", seen=seen).status_code == 201
    again = decide(nurse, patient, action="reduce", drug="lenalidomide", seen=seen)
    assert again.status_code == 409 and list(error_fields(again)) == ["seen"]
    assert doses(patient)[1] == 20


def test_a_hold_keeps_the_dose_and_the_phone_and_its_reminders_say_on_hold_until_resumed(
    nurse: Person, patient: EnrolledPatient
) -> None:
    response = decide(nurse, patient, action="hold", drug="lenalidomide", reason="platelets 22")
    assert response.status_code == 201, response.content
    [item] = response.json()["decisions"]
    assert (item["action"], item["drug"], item["from_mg"], item["to_mg"]) == ("hold", "lenalidomide", "25", "25")
    assert doses(patient) == (Decimal(4), Decimal(25), Decimal(40))
    body = sync(patient).json()
    assert body["regimen"]["held_drugs"] == ["lenalidomide"]
    lenalidomide = [r for r in body["reminders"] if r["kind"] == "lenalidomide"]
    assert lenalidomide and all(r["on_hold"] for r in lenalidomide)
    assert not any(r["on_hold"] for r in body["reminders"] if r["kind"] == "ixazomib")
    assert decide(nurse, patient, action="hold", drug="lenalidomide").status_code == 400  # already on hold

    assert decide(nurse, patient, action="resume_same", drug="lenalidomide", reason="recovered").status_code == 201
    body = sync(patient).json()
    assert body["regimen"]["held_drugs"] == []
    assert not any(r["on_hold"] for r in body["reminders"])


def test_a_hold_of_the_regimen_holds_every_drug_still_given_and_a_reduction_or_stop_ends_it(
    nurse: Person, patient: EnrolledPatient
) -> None:
    assert decide(nurse, patient, action="stop", drug="dexamethasone").status_code == 201
    assert decide(nurse, patient, action="hold").status_code == 201
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == ["ixazomib", "lenalidomide"]
    assert decide(nurse, patient, action="reduce", drug="ixazomib").status_code == 201
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == ["lenalidomide"]
    assert decide(nurse, patient, action="delay_cycle", delay_days=7).status_code == 201
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == ["lenalidomide"]  # a delay ends no hold
    assert decide(nurse, patient, action="stop", drug="lenalidomide").status_code == 201
    assert Patient.objects.get(pk=patient.patient.pk).held_drugs == []
    assert decide(nurse, patient, action="hold", drug="lenalidomide").status_code == 400  # stopped: nothing to hold
