"""Specification of the languages of what patients and caregivers receive: each message is written
in its recipient's own language (`User.language`; none chosen: the clinic's default, English) when
it is created, so a patient and a caregiver of the same alert may read it in different languages;
outside channels (email, SMS, push) say their generic text in it; nurses keep the clinical English."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.accounts.models import User
from backend.alerts.announce import alerts_announce
from backend.alerts.escalation import escalations_run
from backend.notifications.models import Notification, RecordedMessage
from backend.notifications.services import deliveries_send_due
from backend.notifications.texts import EXTERNAL, GENERICS, INBOX, external_text, inbox_text, language_of
from backend.reminders.caregiver_summary import daily_summaries_send
from tests.backend.caregivers.support import make_caregiver, prefer, raise_alert
from tests.backend.notifications.test_texts import assert_says_nothing_clinical
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

# Spanish words an outside text must not carry either (the English ones are test_texts.FORBIDDEN).
FORBIDDEN_ES = ("plaqueta", "grado", "neutrófil", "fiebre", "erupción", "diarrea", "mieloma", "ixazomib",
                "lenalidomida", "dexametasona", "antiviral", "pausa", "hemoglobina")  # fmt: skip


def speaks(person: Person | EnrolledPatient, language: str) -> None:
    User.objects.filter(pk=person.user.pk).update(language=language)
    person.user.refresh_from_db()


def inbox(person: Person | EnrolledPatient, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person.user, kind=kind).order_by("created_at"))


@pytest.mark.parametrize("language", sorted(EXTERNAL))
def test_every_kind_has_an_outside_text_in_every_language(language: str) -> None:
    assert set(EXTERNAL[language]) == set(EXTERNAL["en"])
    assert set(INBOX[language]) == set(INBOX["en"])
    assert language in GENERICS


@pytest.mark.parametrize(("kind", "text"), [*sorted(EXTERNAL["es"].items()), ("generic", GENERICS["es"])])
def test_no_spanish_outside_text_names_a_value_grade_drug_or_diagnosis(kind: str, text: tuple[str, str]) -> None:
    assert_says_nothing_clinical(*text)
    for part in text:
        for word in FORBIDDEN_ES:
            assert word not in part.lower(), (kind, word, part)
    assert text != EXTERNAL["en"].get(kind, GENERICS["en"])  # translated, not copied


def test_a_person_who_chose_no_language_gets_the_clinics_default(patient: EnrolledPatient, settings: object) -> None:
    assert language_of(patient.user) == "en"
    speaks(patient, "es")
    assert language_of(patient.user) == "es"
    assert language_of(None) == "en"  # the on-call contact, not a user
    assert external_text("alert", "xx") == EXTERNAL["en"]["alert"]


def test_an_alert_reaches_each_person_in_their_own_language(patient: EnrolledPatient, nurse: Person) -> None:
    speaks(patient, "es")
    speaks(nurse, "es")  # her dashboard is Spanish; the alert's clinical words stay the label's
    ana = make_caregiver(patient, ["all_alerts"], "ana.es")
    speaks(ana, "es")
    bob = make_caregiver(patient, ["all_alerts"], "bob.en")
    alert = raise_alert(patient)  # platelets 18: grade 4, hold both

    alerts_announce(alert_ids=[alert.pk])

    (mine,) = inbox(patient, "patient_alert")
    assert mine.title == "Plaquetas bajas, grado 4"
    assert mine.body.startswith(
        "Llame ahora a su equipo de atención. Si no puede comunicarse con ellos, vaya a urgencias."
    )
    assert "No tome ixazomib (Ninlaro) ni lenalidomida (Revlimid) por ahora." in mine.body
    assert "Esté atento/a a sangrados" in mine.body
    (anas,) = inbox(ana, "caregiver_alert")
    assert anas.title == "Pat: Plaquetas bajas, grado 4" and anas.body == mine.body
    (bobs,) = inbox(bob, "caregiver_alert")
    assert bobs.title == "Pat: Grade 4 thrombocytopenia" and bobs.body == alert.patient_advice
    (nurses,) = inbox(nurse, "alert")
    assert nurses.body == alert.message  # the nurse's precise English


def test_a_spanish_caregiver_hears_the_escalation_in_spanish(patient: EnrolledPatient, nurse: Person) -> None:
    ana = make_caregiver(patient, ["critical_alerts"], "ana.es")
    speaks(ana, "es")
    alert = raise_alert(patient)
    alerts_announce(alert_ids=[alert.pk])

    escalations_run(now=alert.created_at + timedelta(minutes=30))

    (escalated,) = inbox(ana, "caregiver_escalation")
    assert escalated.title == "Pat necesita atención: Plaquetas bajas, grado 4"
    assert escalated.body.startswith("El equipo de atención aún no ha confirmado esta alerta crítica. Llame ahora")
    phone = patient.patient.clinic.phone
    assert escalated.body.endswith(f"Teléfono de la clínica: {phone}.") if phone else "Teléfono" not in escalated.body


def test_the_daily_summary_counts_in_the_caregivers_language(patient: EnrolledPatient) -> None:
    ana = make_caregiver(patient, ["daily_summary"], "ana.es")
    speaks(ana, "es")
    bob = make_caregiver(patient, ["daily_summary"], "bob.en")
    zone = ZoneInfo(patient.patient.timezone)
    evening = datetime.combine(datetime.now(zone).date(), time(20), zone)

    assert daily_summaries_send(now=evening) == 2

    (anas,) = inbox(ana, "daily_summary")
    assert anas.title == "Resumen diario de Pat"
    assert anas.body == "Resumen diario de Pat: 0 informes de síntomas, 0 dosis anotadas, 0 alertas abiertas"
    (bobs,) = inbox(bob, "daily_summary")
    assert bobs.body == "Daily summary for Pat: 0 symptom reports, 0 doses logged, 0 open alerts"


def test_what_leaves_by_email_sms_and_push_is_in_the_recipients_language(
    patient: EnrolledPatient, dev_transports: None
) -> None:
    everything = {"channels": ["email", "sms", "push"], "phone": "+15550100123", "push_token": "tok"}
    prefer(patient, email="pat@example.org", **everything)
    speaks(patient, "es")
    ana = make_caregiver(patient, ["all_alerts"], "ana.en")
    prefer(ana, **(everything | {"email": "ana@example.org", "phone": "+15550100124", "push_token": "tok-ana"}))
    alert = raise_alert(patient)
    alerts_announce(alert_ids=[alert.pk])

    deliveries_send_due()

    to_pat = RecordedMessage.objects.filter(address__in=["pat@example.org", "+15550100123", "tok"])
    assert {(m.subject, m.body) for m in to_pat} == {EXTERNAL["es"]["patient_alert"]}
    to_ana = RecordedMessage.objects.filter(address__in=["ana@example.org", "+15550100124", "tok-ana"])
    assert {(m.subject, m.body) for m in to_ana} == {EXTERNAL["en"]["caregiver_alert"]}
    for message in RecordedMessage.objects.all():
        assert_says_nothing_clinical(message.subject, message.body)
        assert not re.search(r"\bPat\b", message.body)


def test_inbox_texts_count_one_and_many() -> None:
    assert inbox_text("daily_summary.doses", "es", n=1) == "1 dosis anotada"
    assert inbox_text("daily_summary.doses", "es", n=2) == "2 dosis anotadas"
    assert inbox_text("daily_summary.alerts", "en", n=1) == "1 open alert"
