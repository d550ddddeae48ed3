"""A hand-built clinic for the figures: alerts, steps, doses, draws and tests with chosen times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.accounts.models import User
from backend.alerts.models import Alert, EscalationStep, Status
from backend.patients.models import Patient

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A time in November 2026 (or December for day > 30)."""
    return datetime(2026, 11, 1, hour, minute, tzinfo=UTC) + timedelta(days=day - 1)


def enrolled(patient: Patient, when: datetime) -> Patient:
    Patient.objects.filter(pk=patient.pk).update(created_at=when)
    patient.refresh_from_db()
    return patient


def alert(
    patient: Patient,
    raised: datetime,
    *,
    severity: str = "urgent",
    acknowledged: timedelta | None = None,
    resolved: timedelta | None = None,
    by: User | None = None,
    outcome: str = "",
    superseded: bool = False,
    kind: str | None = None,
) -> Alert:
    status = (
        Status.RESOLVED if resolved is not None else Status.ACKNOWLEDGED if acknowledged is not None else Status.OPEN
    )
    return Alert.objects.create(
        patient=patient,
        kind=kind or f"kind-{uuid.uuid4().hex[:8]}",
        severity=severity,
        status=status,
        title="t",
        message="m",
        patient_advice="a",
        rule_source="test",
        source_type="check",
        source_id=uuid.uuid4(),
        observed_at=raised,
        created_at=raised,
        updated_at=raised,
        acknowledged_at=raised + acknowledged if acknowledged is not None else None,
        acknowledged_by=by if acknowledged is not None else None,
        resolved_at=raised + resolved if resolved is not None else None,
        resolved_by=by if resolved is not None else None,
        outcome=outcome,
        superseded=superseded,
    )


def escalation(alert_row: Alert, when: datetime, level: int = 1) -> EscalationStep:
    return EscalationStep.objects.create(alert=alert_row, level=level, due_at=when, at=when)


def dose(patient: Patient, drug: str, taken_at: datetime, status: str = "taken") -> None:
    from backend.records.models import DoseLog

    DoseLog.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        received_at=taken_at,
        fingerprint="x",
        drug=drug,
        status=status,
        taken_at=taken_at,
    )


def draw_reminder(patient: Patient, due_at: datetime, status: str = "sent") -> None:
    from backend.reminders.models import ReminderOccurrence

    ReminderOccurrence.objects.create(
        patient=patient,
        kind="lab_draw",
        key=f"lab_draw:{due_at.date().isoformat()}",
        local_date=due_at.date(),
        due_at=due_at,
        title="Blood test today",
        text="",
        status=status,
        created_at=due_at - timedelta(days=2),
    )


def lab(patient: Patient, collected_at: datetime, analyte: str = "platelets") -> None:
    from decimal import Decimal

    from backend.records.models import LabResult

    LabResult.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        received_at=collected_at,
        fingerprint="x",
        analyte=analyte,
        value=Decimal(150),
        unit="10^9/L",
        canonical_value=Decimal(150),
        collected_at=collected_at,
    )


def marker(patient: Patient, collected_at: datetime, name: str = "serum_m_protein") -> None:
    from decimal import Decimal

    from backend.response.models import MarkerResult

    MarkerResult.objects.create(
        id=uuid.uuid4(),
        patient=patient,
        fingerprint="x",
        marker=name,
        value=Decimal("1.2"),
        unit="g/dL",
        canonical_value=Decimal("1.2"),
        collected_at=collected_at,
        received_at=collected_at,
        entered_by="care_team",
    )
