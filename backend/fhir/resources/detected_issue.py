"""An alert (backend.alerts.models.Alert) as an R4 `DetectedIssue`.

`severity`: critical -> high, urgent -> moderate. `status`: an open alert is `preliminary` (no
clinician has reviewed it yet); acknowledged or resolved, `final`, with what the care team did as
a `mitigation` (acknowledged_at, resolved_at and its note). `evidence` is the reading's
Observation; `implicated` the regimen's MedicationRequest of each drug to hold; `detail` the
nurse's message, the drugs to hold and the rule's source."""

from __future__ import annotations

from backend.alerts.models import Alert, Severity, SourceType, Status
from backend.fhir.resources.base import Json, checked, instant, reference, uuid_identifier

_SEVERITY = {Severity.CRITICAL: "high", Severity.URGENT: "moderate"}


def detected_issue(alert: Alert) -> Json:
    detail = alert.message
    if alert.hold_drugs:
        detail += f" Hold: {', '.join(alert.hold_drugs)}."
    detail += f" Rule: {alert.rule_source}"
    mitigation = []
    if alert.acknowledged_at is not None:
        mitigation.append({"action": {"text": "Acknowledged by the care team"}, "date": instant(alert.acknowledged_at)})
    if alert.resolved_at is not None:
        text = "Resolved by the care team" + (f": {alert.resolution_note}" if alert.resolution_note else "")
        mitigation.append({"action": {"text": text}, "date": instant(alert.resolved_at)})
    evidence_type = "Observation"
    resource: Json = {
        "resourceType": "DetectedIssue",
        "id": str(alert.id),
        "identifier": [uuid_identifier(alert.id)],
        "status": "preliminary" if alert.status == Status.OPEN else "final",
        "code": {"text": f"{alert.title} ({alert.kind})"},
        "severity": _SEVERITY.get(alert.severity, "moderate"),
        "patient": reference("Patient", alert.patient_id),
        "identifiedDateTime": instant(alert.created_at),
        "evidence": [{"detail": [reference(evidence_type, alert.source_id)]}],
        "detail": detail,
    }
    if alert.source_type not in (SourceType.LAB_RESULT, SourceType.SYMPTOM_REPORT):
        del resource["evidence"]
    if mitigation:
        resource["mitigation"] = mitigation
    if alert.hold_drugs:  # the drugs to hold, as the regimen's MedicationRequests (care_plan.py)
        resource["implicated"] = [
            reference("MedicationRequest", f"ird-{alert.patient_id}-{drug}") for drug in alert.hold_drugs
        ]
    return checked(resource, ("alert", "evidence" in resource, len(mitigation), "implicated" in resource))
