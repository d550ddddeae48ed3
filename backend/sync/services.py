"""One sync (contract §3): store what the phone sent, queue its grading, and answer with what the
phone needs back. It stands above records, alerts and reminders because it uses all three."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db.models import Q

from backend.accounts.models import User
from backend.alerts.dispatch import grading_enqueue_on_commit
from backend.alerts.grading import policy_for
from backend.alerts.models import Alert, Status
from backend.alerts.serializers import AlertSerializer
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.core.prepared import PreparedQuery
from backend.patients.calendar import patient_calendar
from backend.patients.care_status import phone_care_status
from backend.patients.models import Patient
from backend.patients.services import regimen_today
from backend.records.baselines import lab_contexts
from backend.records.services import IngestResult, payload_sections, sync_ingest
from backend.reminders.selectors import upcoming_reminders_payload
from backend.response.services import markers_sync_ingest
from backend.sync.cursor import cursor_decode, cursor_encode
from shared.alert_policy import policy_to_wire
from shared.lab_context import context_to_wire

ALERTS_PER_ANSWER = 200

# Every sync runs the queries below with other values only: compiled once per connection
# (backend.core.prepared), as the ORM compiling them cost more CPU than running them.
# Placeholders, only compiled with (each unlike any constant of its query).
_NO_USER = -(2**62) + 11
_NO_PATIENT = UUID("00000000-0000-4000-8000-5e1f00000001")
_NO_TIME = datetime(1901, 1, 1, 0, 0, 1, 7, tzinfo=UTC)

_PATIENT = PreparedQuery(
    lambda user_id: Patient.objects.select_related("clinic").filter(user_id=user_id).order_by("pk")[:1], _NO_USER
)


def _newest_alerts(patient_id: UUID, since: datetime | None) -> Any:
    alerts = Alert.objects.filter(patient_id=patient_id).order_by("-created_at")
    # First sync: the alerts in force, and resolved ones whose label hold a later reading has not
    # lifted yet (the phone shows that hold as the dashboard does).
    alerts = (
        alerts.filter(updated_at__gte=since)
        if since
        else alerts.filter(~Q(status=Status.RESOLVED) | ~Q(holds_in_force=[]))
    )
    return alerts[:ALERTS_PER_ANSWER]


_ALERTS_FIRST = PreparedQuery(lambda patient_id: _newest_alerts(patient_id, None), _NO_PATIENT)
_ALERTS_SINCE = PreparedQuery(_newest_alerts, _NO_PATIENT, _NO_TIME)


def sync_patient(user: User) -> Patient:
    """The device's patient, with the clinic in the same query (the answer carries its policy)."""
    found = _PATIENT.run(user.pk)
    if not found:
        raise ApplicationError({"detail": ["This device is not enrolled for a patient."]}, status=403)
    return found[0]


def sync_exchange(*, user: User, patient: Patient, body: Any, now: datetime) -> dict[str, Any]:
    """Store the batch (each invalid item rejected alone), queue grading once the transaction
    commits, and build the answer from the database alone: Redis is never waited on here."""
    sections = payload_sections(body)
    since = cursor_decode(body.get("cursor"))
    # The markers first: their counts are in the audit row, which commits with the readings.
    markers = markers_sync_ingest(patient=patient, raw_items=sections["marker_results"], now=now)

    def audit(stored: IngestResult) -> None:
        audit_record(
            actor=user,
            action="sync",
            resource="patient",
            patient_ids=[patient.pk],  # type: ignore[arg-type]
            detail=f"accepted {len(stored.accepted) + len(markers.accepted)} "
            f"rejected {len(stored.rejected) + len(markers.rejected)}",
        )

    result = sync_ingest(patient=patient, sections=sections, now=now, before_commit=audit)
    grading_enqueue_on_commit(lab_ids=result.new_lab_ids, symptom_ids=result.new_symptom_ids)
    result.accepted += markers.accepted
    result.rejected += markers.rejected
    recent = _ALERTS_SINCE.run(patient.pk, since) if since else _ALERTS_FIRST.run(patient.pk)
    for alert in recent:
        alert.patient = patient  # the serializer's patient_name: this patient, no join to fetch it again
    calendar = patient_calendar(patient)  # one read of the care team's cycle delays for both uses
    return {
        "accepted": result.accepted,
        "rejected": result.rejected,
        "cursor": cursor_encode(now),
        "alerts": AlertSerializer(recent, many=True).data,
        "regimen": regimen_today(patient, now, calendar),
        "reminders": upcoming_reminders_payload(patient=patient, now=now, calendar=calendar),
        "alert_policy": policy_to_wire(policy_for(patient.clinic)),
        # The patient's sex and baselines, so the phone grades a new entry as the server will.
        "lab_context": context_to_wire(lab_contexts([patient])[patient.pk]),
        "server_time": now.isoformat(),
        # Added to the contract's fields: paused or discharged, the phone says that nobody watches
        # the alerts and to call the clinic for urgent symptoms (patients.care_status).
        "care_status": phone_care_status(patient),
        # The person's language ("" for none chosen): the phone speaks it (mobile/language.py).
        "language": user.language,
    }
