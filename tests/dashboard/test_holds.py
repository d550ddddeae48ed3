"""The label's holds in force derive from the episodes (alerts), so that the patient page, the queue's
chips and the phone (the API's `holds_in_force`) never contradict each other; a later reading that
lifts a hold is named wherever the hold was shown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from backend.alerts.models import Alert
from backend.dashboard.holds import holds_in_force
from tests.dashboard.support import grade_all, queue, raise_alerts, sync, text
from tests.factories import EnrolledPatient, Person, lab_item, symptom_item

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)


def report(symptom: str, answers: dict[str, Any], hours_ago: float) -> dict[str, Any]:
    return symptom_item(symptom, answers, reported_at=ago(hours_ago).isoformat())


def holds(patient: EnrolledPatient) -> list[tuple[str, tuple[str, ...]]]:
    return [(h.drug, h.reasons) for h in holds_in_force(alerts=Alert.objects.filter(patient=patient.patient), tz=NY)]


def on(hours_ago: float) -> str:
    moment = ago(hours_ago).astimezone(NY)
    return f"{moment.day} {moment:%b}"


def test_a_low_count_holds_both_drugs_until_a_later_count_lifts_it(patient: EnrolledPatient) -> None:
    raise_alerts(patient, [22], start=ago(48))
    reason = f"Platelets 22 ×10⁹/L on {on(48)}: hold until platelets are back to 30 ×10⁹/L or more"
    assert holds(patient) == [("ixazomib", (reason,)), ("lenalidomide", (reason,))]

    raise_alerts(patient, [30], start=ago(2))  # grade 3 still: it joins the episode, but no longer holds

    assert holds(patient) == []


def test_symptom_holds_follow_the_latest_report_including_its_flags(patient: EnrolledPatient) -> None:
    sync(patient, symptom_reports=[report("peripheral_neuropathy", {"severity": "mild", "pain": True}, 30)])
    grade_all()
    assert [drug for drug, _ in holds(patient)] == ["ixazomib"]

    sync(patient, symptom_reports=[report("peripheral_neuropathy", {"severity": "mild", "pain": False}, 2)])
    grade_all()

    assert holds(patient) == []


def test_two_rules_holding_one_drug_give_both_reasons_newest_first(patient: EnrolledPatient) -> None:
    sync(
        patient,
        lab_results=[lab_item("anc", 0.4, collected_at=ago(30).isoformat())],
        symptom_reports=[report("diarrhea", {"stools_above_usual": 8}, 6)],
    )
    grade_all()

    ixazomib = dict(holds(patient))["ixazomib"]
    assert ixazomib == (
        f"Diarrhea grade 3 on {on(6)}: hold until grade 1 or better",
        f"Neutrophils (absolute) 0.4 ×10⁹/L on {on(30)}: hold until ANC is back to 0.5 ×10⁹/L or more",
    )


def test_the_patient_page_the_queue_and_the_api_agree_once_a_count_recovers(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    """The issue's screen: 'Holds in force: None' beside open alerts that said hold both drugs."""
    raise_alerts(patient, [22, 18], start=ago(30))
    recovered = lab_item("platelets", 80, collected_at=ago(2).isoformat())
    sync(patient, lab_results=[recovered])
    grade_all()

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert (alert.status, alert.hold_drugs, alert.holds_in_force) == ("open", ["ixazomib", "lenalidomide"], [])
    page = text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))
    assert "Holds in force None" in page
    assert f"Hold of Ixazomib and Lenalidomide lifted by Platelets 80 ×10⁹/L on {on(2)}" in page
    assert "hold Ixazomib" not in page and "hold lifted" in page
    row = text(queue(nurse_browser))
    assert "Ixazomib, Lenalidomide lifted by Platelets 80 ×10⁹/L" in row
    api = nurse.client().get("/api/v1/alerts/").json()["results"][0]
    assert (api["holds_in_force"], api["hold_lifts"][0]["id"]) == ([], recovered["id"])


def test_an_open_low_count_holds_on_the_page_and_in_the_queue(nurse_browser: Client, patient: EnrolledPatient) -> None:
    raise_alerts(patient, [22], start=ago(3))

    assert "Hold Ixazomib Hold Lenalidomide" in text(nurse_browser.get(f"/patients/{patient.patient.pk}/"))
    assert "Ixazomib Lenalidomide" in text(queue(nurse_browser))
