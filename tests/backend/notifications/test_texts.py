"""SMS, push and email bodies carry no lab value, grade, drug or diagnosis: they say there is something
to look at, and where."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.accounts.models import Clinic
from backend.alerts.announce import alerts_announce
from backend.alerts.escalation import escalations_run
from backend.notifications.models import RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.notifications.texts import EXTERNAL, GENERIC, external_text
from backend.reminders.caregiver_summary import daily_summaries_send
from tests.backend.caregivers.support import make_caregiver, prefer, raise_alert
from tests.factories import EnrolledPatient, Person

FORBIDDEN = (
    "platelet",
    "grade",
    "neutropenia",
    "thrombocytopenia",
    "anc",
    "fever",
    "rash",
    "diarrhea",
    "neuropathy",
    "myeloma",
    "ixazomib",
    "ninlaro",
    "lenalidomide",
    "revlimid",
    "dexamethasone",
    "acyclovir",
    "antiviral",
    "hold",
)

EVERY_TEXT = [
    pytest.param(kind, language, text, id=f"{language}-{kind}")
    for language, table in EXTERNAL.items()
    for kind, text in table.items()
] + [pytest.param("unknown", "en", GENERIC, id="generic")]


def assert_says_nothing_clinical(subject: str, body: str) -> None:
    for text in (subject, body):
        lowered = text.lower()
        assert not re.search(r"\d", text), text  # no value, no grade number, no dose
        for word in FORBIDDEN:
            assert not re.search(rf"\b{word}", lowered), (word, text)


@pytest.mark.parametrize(("kind", "language", "text"), EVERY_TEXT)
def test_no_outside_text_names_a_value_grade_drug_or_diagnosis(kind: str, language: str, text: tuple[str, str]) -> None:
    assert_says_nothing_clinical(*text)
    assert "CareLoop" in text[0] + text[1]  # says where to look


def test_an_unknown_language_falls_back_to_english() -> None:
    assert external_text("alert", "xx") == EXTERNAL["en"]["alert"]


def test_what_actually_leaves_carries_none_of_it(
    patient: EnrolledPatient, nurse: Person, clinic_admin: Person, dev_transports: None
) -> None:
    """Announce a grade 4 platelet alert, escalate it twice, summarise the day: every email, SMS and
    push the development transport recorded is generic."""
    clinic = Clinic.objects.get(pk=nurse.user.clinic_id)
    clinic.on_call_email, clinic.on_call_phone = "oncall@clinic.example", "+15550100199"
    clinic.save()
    everything = {"channels": ["email", "sms", "push"], "phone": "+15550100123", "push_token": "tok"}
    prefer(nurse, email="nina@clinic.example", **everything)
    prefer(patient, email="pat@example.org", **everything)
    carer = make_caregiver(patient, ["all_alerts", "daily_summary"], "ana.all")
    prefer(carer, email="ana@example.org", **everything)
    alert = raise_alert(patient)

    alerts_announce(alert_ids=[alert.pk])
    escalations_run(now=alert.created_at + timedelta(minutes=15))
    escalations_run(now=alert.created_at + timedelta(minutes=30))
    zone = ZoneInfo(patient.patient.timezone)
    evening = datetime.combine(alert.created_at.astimezone(zone).date() + timedelta(days=1), time(20), zone)
    assert daily_summaries_send(now=evening) == 1
    deliveries_send_due(now=evening)

    recorded = list(RecordedMessage.objects.all())
    assert {m.channel for m in recorded} == {"email", "sms", "push"}
    # 3 channels × (nurse: alert, escalation; patient: alert; caregiver: alert, escalation, summary) + on-call × 2
    assert len(recorded) == 3 * 6 + 2
    for message in recorded:
        assert_says_nothing_clinical(message.subject, message.body)
        assert patient.patient.display_name.split()[0] not in message.body
