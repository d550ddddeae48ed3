"""Escalation on real components: a critical alert raised through a real sync and graded by a real
Celery worker is escalated by beat on time (a clinic "minute" lasts a second here, see stack.py),
the development transport records what would be sent, acknowledging stops the ladder, and a
caregiver without the scope sees nothing of it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from backend.accounts.models import Clinic, Role, User
from backend.accounts.services import token_issue
from backend.alerts.models import Alert, EscalationStep
from backend.notifications.models import Preference, RecordedMessage
from backend.notifications.texts import EXTERNAL
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password"
ESCALATION_BODY = EXTERNAL["en"]["escalation"][1]


@dataclass
class Ward:
    clinic: Clinic
    nurse: str  # tokens
    second_nurse: str
    patient: str
    watcher: str  # a caregiver holding critical_alerts
    bystander: str  # a caregiver holding daily_summary only
    tag: str


def _caregiver(stack: Stack, patient: str, scopes: list[str], username: str) -> str:
    status, invite = stack.call("POST", "/api/v1/caregiver-invites/", {"scopes": scopes}, token=patient)
    assert status == 201, invite
    status, body = stack.call(
        "POST",
        "/api/v1/caregiver-invites/accept/",
        {"code": invite["code"], "username": username, "password": PASSWORD},
    )
    assert status == 201, body
    assert body["role"] == "caregiver"
    return str(body["token"])


def _ward(stack: Stack, *, critical_minutes: int) -> Ward:
    """A clinic with two nurses and an on-call contact, an enrolled patient and two caregivers,
    made through the public API where the contract has a call for it."""
    tag = uuid.uuid4().hex[:8]
    clinic = Clinic.objects.create(
        name=f"Escalation Clinic {tag}",
        escalation_critical_minutes=critical_minutes,
        on_call_name="Dr. Oncall",
        on_call_email=f"oncall-{tag}@clinic.example",
        on_call_phone="+15550100199",
    )
    # Staff sign-in has its own tests; tokens issued directly spare two slow production hashes.
    nurse = User.objects.create(username=f"nina-{tag}", role=Role.NURSE, clinic=clinic)
    second = User.objects.create(username=f"ned-{tag}", role=Role.NURSE, clinic=clinic)
    Preference.objects.create(user=nurse, channels=["email", "sms"], email=f"nina-{tag}@clinic.example", phone="+1555")
    nurse_token = token_issue(user=nurse, device_name="integration")
    status, created = stack.call(
        "POST",
        "/api/v1/patients/",
        {
            "display_name": "Esme Escalation",
            "timezone": "America/New_York",
            "regimen": {"start_date": "2026-11-01", "ixazomib_mg": 4, "lenalidomide_mg": 25, "dexamethasone_mg": 40},
        },
        token=nurse_token,
    )
    assert status == 201, created
    status, enrolled = stack.call("POST", "/api/v1/auth/enroll/", {"code": created["enrollment_code"]})
    assert status == 201, enrolled
    patient = enrolled["token"]
    return Ward(
        clinic=clinic,
        nurse=nurse_token,
        second_nurse=token_issue(user=second, device_name="integration"),
        patient=patient,
        watcher=_caregiver(stack, patient, ["critical_alerts"], f"watcher-{tag}"),
        bystander=_caregiver(stack, patient, ["daily_summary"], f"bystander-{tag}"),
        tag=tag,
    )


def _rows(stack: Stack, path: str, token: str) -> list[dict[str, Any]]:
    status, body = stack.call("GET", path, token=token)
    assert status == 200, body
    return body["results"] if isinstance(body, dict) else body


def _raise_critical_alert(stack: Stack, ward: Ward) -> dict[str, Any]:
    reading = {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": 18,
        "unit": "10^9/L",
        "collected_at": "2026-11-20T08:30:00-05:00",
    }
    status, body = stack.call("POST", "/api/v1/sync/", {"lab_results": [reading]}, token=ward.patient)
    assert status == 200 and body["accepted"] == [reading["id"]], body
    [alert] = wait_until(lambda: _rows(stack, "/api/v1/alerts/", ward.nurse), 10, "the alert to reach the nurse")
    assert alert["severity"] == "critical"
    return alert


def _steps(alert_id: str) -> dict[int, EscalationStep]:
    return {s.level: s for s in EscalationStep.objects.filter(alert_id=alert_id)}


def _kinds(stack: Stack, token: str) -> list[str]:
    return sorted(n["kind"] for n in _rows(stack, "/api/v1/notifications/", token))


def test_an_unacknowledged_critical_alert_escalates_on_time_and_a_caregiver_without_the_scope_sees_nothing(
    stack: Stack,
) -> None:
    ward = _ward(stack, critical_minutes=2)  # 2 s a step here
    alert = _raise_critical_alert(stack, ward)
    created = datetime.fromisoformat(alert["created_at"])
    target = timedelta(seconds=2)

    wait_until(lambda: 1 in _steps(alert["id"]), 10, "the first escalation step")
    for token in (ward.nurse, ward.second_nurse):
        assert "escalation" in wait_until(lambda t=token: _kinds(stack, t), 5, "the escalation in the inbox")
    first = _steps(alert["id"])[1]
    assert created + target <= first.at < created + target + timedelta(seconds=4)  # on time, never early
    # The development transport records what email and SMS would have carried: nothing clinical.
    recorded = wait_until(
        lambda: list(RecordedMessage.objects.filter(address=f"nina-{ward.tag}@clinic.example", body=ESCALATION_BODY)),
        10,
        "the nurse's escalation email",
    )
    assert recorded[0].channel == "email"

    wait_until(lambda: 2 in _steps(alert["id"]), 10, "the on-call step")
    second = _steps(alert["id"])[2]
    assert second.at >= created + 2 * target
    assert second.recipients[0]["name"] == "Dr. Oncall"
    on_call = wait_until(
        lambda: (
            set(
                RecordedMessage.objects.filter(
                    address__in=[ward.clinic.on_call_email, ward.clinic.on_call_phone]
                ).values_list("channel", "body")
            )
            == {("email", ESCALATION_BODY), ("sms", ESCALATION_BODY)}
        ),
        10,
        "the on-call email and SMS",
    )
    assert on_call
    [seen] = _rows(stack, "/api/v1/alerts/", ward.nurse)
    assert [s["level"] for s in seen["escalations"]] == [1, 2]

    # The caregiver who holds critical_alerts sees the alert and was told twice; the one who holds
    # only daily_summary sees nothing of it, through the same API.
    assert [a["id"] for a in _rows(stack, "/api/v1/alerts/", ward.watcher)] == [alert["id"]]
    assert _kinds(stack, ward.watcher) == ["caregiver_alert", "caregiver_escalation"]
    assert _rows(stack, "/api/v1/alerts/", ward.bystander) == []
    assert _rows(stack, "/api/v1/notifications/", ward.bystander) == []
    assert stack.call("POST", f"/api/v1/alerts/{alert['id']}/acknowledge/", token=ward.bystander)[0] == 403


def test_acknowledging_stops_the_ladder_at_once(stack: Stack) -> None:
    ward = _ward(stack, critical_minutes=3)  # 3 s a step here
    alert = _raise_critical_alert(stack, ward)
    created = datetime.fromisoformat(alert["created_at"])

    wait_until(lambda: 1 in _steps(alert["id"]), 12, "the first escalation step")
    status, body = stack.call("POST", f"/api/v1/alerts/{alert['id']}/acknowledge/", token=ward.nurse)
    assert status == 200 and body["status"] == "acknowledged", body

    # Well past the second step's time, with beat looking every second: nothing more happens.
    time.sleep(max(0.0, (created + timedelta(seconds=6 + 2) - datetime.now(created.tzinfo)).total_seconds()))
    assert set(_steps(alert["id"])) == {1}
    assert Alert.objects.get(pk=alert["id"]).escalation_level == 1
    assert not RecordedMessage.objects.filter(address=ward.clinic.on_call_email).exists()
    assert _kinds(stack, ward.second_nurse).count("escalation") == 1
