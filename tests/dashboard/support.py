"""Helpers for the dashboard specifications: raising alerts the real way, and reading pages."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backend.alerts.grading import ungraded_sweep
from backend.alerts.models import Alert, Severity, SourceType, Status
from backend.patients.models import Patient
from tests.factories import EnrolledPatient, lab_item, symptom_item

HTMX = {"HTTP_HX_REQUEST": "true"}
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_CARELOOP_POLL": "1"}


def sync(patient: EnrolledPatient, **sections: Any) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {patient.token}")
    response = client.post("/api/v1/sync/", sections, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def grade_all() -> None:
    """What the grading task and the sweeper do after a sync commits."""
    ungraded_sweep(older_than=timedelta(0))


def raise_alerts(
    patient: EnrolledPatient, values: list[float], *, analyte: str = "platelets", start: datetime | None = None
) -> list[Alert]:
    """The alert of each value low enough to alert, through sync and grading, oldest first. Alerts
    are episodes (contract §4): values of one sync join one alert, which is then listed once per value."""
    start = start or timezone.now() - timedelta(days=len(values))
    items = [
        lab_item(analyte, value, collected_at=(start + timedelta(hours=6 * i)).isoformat())
        for i, value in enumerate(values)
    ]
    body = sync(patient, lab_results=items)
    assert len(body["accepted"]) == len(items), body
    grade_all()
    return [alert for item in items if (alert := alert_listing(patient, item["id"])) is not None]


def alert_listing(patient: EnrolledPatient, reading_id: str) -> Alert | None:
    """The patient's alert that lists this reading, if any."""
    for alert in Alert.objects.filter(patient=patient.patient):
        if any(r["id"] == reading_id for r in alert.readings):
            return alert
    return None


def raise_symptom_alert(patient: EnrolledPatient, symptom: str, answers: dict[str, Any]) -> Alert:
    item = symptom_item(symptom, answers, reported_at=timezone.now().isoformat())
    sync(patient, symptom_reports=[item])
    grade_all()
    alert = alert_listing(patient, item["id"])
    assert alert is not None
    return alert


def add_alerts(
    patient: Patient, *, status: str, severity: str, at: datetime, count: int = 1, step: timedelta = timedelta()
) -> list[Alert]:
    """Alerts written straight to the table: the history a busy clinic piles up, without grading it.

    Alerts are episodes (contract §4): a patient has at most one open or acknowledged alert of a
    kind. So each unresolved one written here belongs to a namesake of `patient` in the same clinic
    (a resolved one to `patient` itself): the queue's filters and counts read them all alike."""
    owners = [patient] * count
    if status != Status.RESOLVED:
        owners = Patient.objects.bulk_create(
            Patient(
                clinic_id=patient.clinic_id,
                display_name=patient.display_name,
                timezone=patient.timezone,
                start_date=patient.start_date,
                ixazomib_mg=patient.ixazomib_mg,
                lenalidomide_mg=patient.lenalidomide_mg,
                dexamethasone_mg=patient.dexamethasone_mg,
            )
            for _ in range(count)
        )
    rows = [
        Alert(
            patient=owner,
            kind="thrombocytopenia",
            grade=4 if severity == Severity.CRITICAL else 3,
            severity=severity,
            status=status,
            title="Grade 4 thrombocytopenia" if severity == Severity.CRITICAL else "Grade 3 thrombocytopenia",
            message="Review and call the patient.",
            patient_advice="Call your care team today.",
            rule_source="CTCAE v5.0",
            source_type=SourceType.LAB_RESULT,
            source_id=uuid.uuid4(),
            observed_at=at + i * step,
            created_at=at + i * step,
            updated_at=at + i * step,
            resolved_at=at + i * step if status == Status.RESOLVED else None,
        )
        for i, owner in enumerate(owners)
    ]
    return Alert.objects.bulk_create(rows)


def age(alert: Alert, minutes: float) -> Alert:
    """Make the alert `minutes` old."""
    moment = timezone.now() - timedelta(minutes=minutes)
    Alert.objects.filter(pk=alert.pk).update(created_at=moment, updated_at=moment)
    alert.refresh_from_db()
    return alert


def text(response: Any) -> str:
    """The page as a person reads it: tags stripped, whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip())


def row_ids(response: Any) -> list[str]:
    """Alert ids in the order the queue shows them."""
    return re.findall(r'<tr id="alert-([0-9a-f-]{36})"', response.content.decode())


def queue(client: Client, **params: str) -> Any:
    return client.get("/", params)


def shown_version(response: Any) -> str:
    """The queue version the page carries for its polling."""
    found = re.search(r'id="queue-version" name="v" value="([^"]+)"', response.content.decode())
    assert found, "no queue version on the page"
    return found.group(1)
