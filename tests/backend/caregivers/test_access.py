"""A caregiver reads only what a scope grants, through the same API; everything else is refused."""

from __future__ import annotations

import pytest

from backend.alerts.announce import alerts_announce
from backend.alerts.models import Alert
from backend.caregivers.services import invite_accept, invite_create
from backend.notifications.models import Notification
from tests.backend.caregivers.support import NOTIFICATIONS_URL, make_caregiver, raise_alert
from tests.backend.support import ALERTS_URL, PATIENTS_URL, rows, sync
from tests.factories import EnrolledPatient, Person, lab_item, make_patient


@pytest.fixture
def alerts(patient: EnrolledPatient) -> dict[str, str]:
    """One critical and one urgent alert of the patient."""
    return {"critical": str(raise_alert(patient).pk), "urgent": str(raise_alert(patient, critical=False).pk)}


@pytest.fixture
def neighbour(nurse: Person) -> EnrolledPatient:
    """Another patient of the same clinic, with a critical alert of their own."""
    other = make_patient(nurse, name="Nora Neighbour")
    raise_alert(other)
    return other


def _ids(person: Person, query: str = "") -> set[str]:
    response = person.client().get(ALERTS_URL + query)
    assert response.status_code == 200
    return {a["id"] for a in rows(response)}


def test_all_alerts_shows_every_alert_of_that_patient_only(
    all_alerts_caregiver: Person, alerts: dict[str, str], neighbour: EnrolledPatient
) -> None:
    assert _ids(all_alerts_caregiver) == set(alerts.values())


def test_critical_alerts_shows_only_the_critical_ones(
    critical_caregiver: Person, alerts: dict[str, str], neighbour: EnrolledPatient
) -> None:
    assert _ids(critical_caregiver) == {alerts["critical"]}
    assert _ids(critical_caregiver, "?severity=urgent") == set()


def test_scopes_without_alerts_show_no_alert(summary_caregiver: Person, alerts: dict[str, str]) -> None:
    assert _ids(summary_caregiver) == set()


def test_a_caregiver_with_no_link_sees_nothing(caregiver: Person, alerts: dict[str, str]) -> None:
    assert _ids(caregiver) == set()


def test_filtering_by_another_patient_finds_nothing(
    all_alerts_caregiver: Person, alerts: dict[str, str], neighbour: EnrolledPatient
) -> None:
    assert _ids(all_alerts_caregiver, f"?patient={neighbour.patient.pk}") == set()


def test_a_caregiver_of_two_patients_sees_each_within_its_own_scope(
    patient: EnrolledPatient, alerts: dict[str, str], neighbour: EnrolledPatient
) -> None:
    carer = make_caregiver(patient, ["critical_alerts"], "two.hats")
    _, code = invite_create(patient=neighbour.patient, scopes=["all_alerts"])
    invite_accept(code=code, caregiver=carer.user)
    raise_alert(neighbour, critical=False)

    seen = rows(carer.client().get(ALERTS_URL))

    assert {(a["patient"], a["severity"]) for a in seen} == {
        (str(patient.patient.pk), "critical"),
        (str(neighbour.patient.pk), "critical"),
        (str(neighbour.patient.pk), "urgent"),
    }


def test_a_caregiver_cannot_acknowledge_or_resolve(all_alerts_caregiver: Person, alerts: dict[str, str]) -> None:
    client = all_alerts_caregiver.client()

    assert client.post(f"{ALERTS_URL}{alerts['critical']}/acknowledge/").status_code == 403
    assert client.post(f"{ALERTS_URL}{alerts['critical']}/resolve/", {"note": "x"}, format="json").status_code == 403


def test_a_caregiver_cannot_sync_list_or_read_patients(all_alerts_caregiver: Person, patient: EnrolledPatient) -> None:
    client = all_alerts_caregiver.client()

    assert sync(all_alerts_caregiver, lab_results=[lab_item()]).status_code == 403
    assert client.get(PATIENTS_URL).status_code == 403
    response = client.get(f"{PATIENTS_URL}{patient.patient.pk}/")
    assert response.status_code in (403, 404)
    assert patient.patient.display_name not in response.content.decode()
    assert client.post(f"{PATIENTS_URL}{patient.patient.pk}/enrollment-code/").status_code in (403, 404)


# --- Hearing about new alerts ---------------------------------------------------------------------


def _kinds(person: Person) -> list[tuple[str, bool]]:
    return [(n["kind"], n["critical"]) for n in rows(person.client().get(NOTIFICATIONS_URL))]


def test_a_new_critical_alert_reaches_critical_and_all_alerts_holders_only(
    patient: EnrolledPatient, all_alerts_caregiver: Person, critical_caregiver: Person, summary_caregiver: Person
) -> None:
    alert = raise_alert(patient)

    alerts_announce(alert_ids=[alert.pk])

    assert _kinds(all_alerts_caregiver) == [("caregiver_alert", True)]
    assert _kinds(critical_caregiver) == [("caregiver_alert", True)]
    assert _kinds(summary_caregiver) == []
    item = Notification.objects.get(recipient=critical_caregiver.user)
    assert item.title == f"Pat: {alert.title}" and item.patient_id == patient.patient.pk


def test_a_new_urgent_alert_reaches_all_alerts_holders_only(
    patient: EnrolledPatient, all_alerts_caregiver: Person, critical_caregiver: Person
) -> None:
    alerts_announce(alert_ids=[raise_alert(patient, critical=False).pk])

    assert _kinds(all_alerts_caregiver) == [("caregiver_alert", False)]
    assert _kinds(critical_caregiver) == []


def test_announcing_twice_tells_nobody_twice(patient: EnrolledPatient, all_alerts_caregiver: Person) -> None:
    alert = raise_alert(patient)
    alerts_announce(alert_ids=[alert.pk])
    Alert.objects.filter(pk=alert.pk).update(announced_at=None)  # as if the task ran again

    alerts_announce(alert_ids=[alert.pk])

    assert len(_kinds(all_alerts_caregiver)) == 1
