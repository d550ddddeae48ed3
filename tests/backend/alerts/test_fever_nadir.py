"""A fever on days 14-21 (the nadir window, NINLARO USPI §5.1) with no ANC in the 7 days before:
CareLoop cannot rule out febrile neutropenia: the fever alert (contract §4: `fever`, urgent) says
so and asks for an ANC now (issue 13 §3). The patient started on 2026-11-01 in New York: day 14 is 14 Nov."""

from __future__ import annotations

from typing import Any

import pytest

from backend.alerts.models import Alert
from tests.backend.support import grade_all, sync
from tests.factories import EnrolledPatient, lab_item, symptom_item


def fever(reported_at: str, temperature: float = 38.3) -> dict[str, Any]:
    return symptom_item("fever", {"temperature_c": temperature}, reported_at=reported_at)


def raised(patient: EnrolledPatient, item: dict[str, Any], labs: list[dict[str, Any]] | None = None) -> Alert:
    response = sync(patient, lab_results=labs or [], symptom_reports=[item])
    assert response.status_code == 200 and response.json()["rejected"] == []
    grade_all()
    return Alert.objects.get(source_id=item["id"])


@pytest.mark.parametrize(
    ("reported_at", "kind"),
    [
        ("2026-11-13T20:00:00-05:00", "fever"),  # day 13
        ("2026-11-14T20:00:00-05:00", "nadir"),  # day 14
        ("2026-11-21T20:00:00-05:00", "nadir"),  # day 21
        ("2026-11-22T08:00:00-05:00", "fever"),  # day 22
        ("2026-11-14T04:00:00+00:00", "fever"),  # 23:00 on 13 Nov in New York: day 13
    ],
    ids=["day-13", "day-14", "day-21", "day-22", "utc-14th-local-13th"],
)
def test_a_fever_with_no_recent_anc_says_febrile_neutropenia_cannot_be_ruled_out_on_days_14_to_21_only(
    patient: EnrolledPatient, reported_at: str, kind: str
) -> None:
    """Contract §4 keeps its kind and severity (`fever`, urgent: febrile neutropenia needs a low ANC
    of the 7 days before); the words ask for an ANC now."""
    alert = raised(patient, fever(reported_at))

    assert (alert.kind, alert.severity, alert.hold_drugs) == ("fever", "urgent", [])
    assert ("cannot be ruled out" in alert.message) == (kind == "nadir")


def test_the_precaution_says_why_and_asks_for_an_anc_now(patient: EnrolledPatient) -> None:
    alert = raised(patient, fever("2026-11-18T20:00:00-05:00", 38.0))

    assert alert.title == "Fever in the nadir window, no recent ANC"
    assert "cannot be ruled out" in alert.message and "Get an ANC now." in alert.message
    assert "cycle day 18" in alert.message
    assert "nadir" in alert.rule_source


@pytest.mark.parametrize("value", [1.0, 1.01, 2.5])
def test_a_fever_in_the_nadir_window_with_a_recent_normal_anc_stays_a_fever(
    patient: EnrolledPatient, value: float
) -> None:
    normal = lab_item("anc", value, collected_at="2026-11-17T09:00:00-05:00")

    alert = raised(patient, fever("2026-11-18T20:00:00-05:00"), labs=[normal])

    assert (alert.kind, alert.severity) == ("fever", "urgent")


def test_a_normal_anc_older_than_7_days_does_not_rule_it_out(patient: EnrolledPatient) -> None:
    old = lab_item("anc", 2.0, collected_at="2026-11-10T19:59:00-05:00")

    alert = raised(patient, fever("2026-11-17T20:00:00-05:00"), labs=[old])

    assert (alert.kind, alert.severity) == ("fever", "urgent")
    assert alert.title == "Fever in the nadir window, no recent ANC"


@pytest.mark.parametrize(
    ("policy", "severity"),
    [({}, "urgent"), ({"fever": {"nadir_no_anc_critical": True}}, "critical")],
    ids=["default-clinic", "stricter-clinic"],
)
def test_a_clinic_may_make_the_nadir_fever_without_an_anc_critical(
    patient: EnrolledPatient, policy: dict[str, Any], severity: str
) -> None:
    """Contract §4 lets a clinic be stricter; the kind stays `fever`, and a default clinic is unchanged."""
    clinic = patient.patient.clinic
    clinic.alert_policy = policy
    clinic.save(update_fields=["alert_policy"])

    in_window = raised(patient, fever("2026-11-16T20:00:00-05:00"))  # day 16

    assert (in_window.kind, in_window.severity, in_window.hold_drugs) == ("fever", severity, [])
    assert ("Critical by the clinic's policy" in in_window.message) == (severity == "critical")


def test_the_stricter_clinic_keeps_a_fever_outside_the_nadir_window_urgent(patient: EnrolledPatient) -> None:
    clinic = patient.patient.clinic
    clinic.alert_policy = {"fever": {"nadir_no_anc_critical": True}}
    clinic.save(update_fields=["alert_policy"])

    outside = raised(patient, fever("2026-11-10T20:00:00-05:00"))  # day 10

    assert (outside.kind, outside.severity) == ("fever", "urgent")
