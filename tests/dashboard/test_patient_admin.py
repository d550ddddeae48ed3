"""Specification of patient administration in the dashboard (backend.dashboard.patient_admin_views):
the details form, pausing and resuming, the reminder plan, and the patients list's search (posted,
kept in the session, never in a URL), status filter and sorting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from backend.audit.models import AuditEvent
from backend.patients.models import CareStatus, Patient
from backend.reminders.materialise import reminders_materialise
from backend.reminders.models import OccurrenceStatus, ReminderOccurrence, ReminderPlan
from tests.dashboard.support import raise_alerts, text
from tests.factories import EnrolledPatient, Person, make_patient

pytestmark = pytest.mark.django_db

DETAILS = {"display_name": "Pat Doe", "mrn": "", "date_of_birth": "", "sex": "", "weight_kg": ""}
PLAN = {
    "antiviral_drug": "acyclovir",
    "antiviral_times": "08:00, 20:00",
    "ixazomib_time": "22:00",
    "lenalidomide_time": "09:00",
    "dexamethasone_time": "09:00",
    "lab_draw_time": "08:00",
    "nadir_draw_cycles": "3",
}


def url(patient: EnrolledPatient, what: str = "") -> str:
    return f"/patients/{patient.patient.pk}/{what}"


def names(client: Client, query: str = "") -> list[str]:
    page = client.get(f"/patients/{query}").content.decode()
    found = [part.split("</a>")[0] for part in page.split('class="patient-link" href="')[1:]]
    return [n.split(">", 1)[1] for n in found]


def search(client: Client, q: str) -> list[str]:
    answer = client.post("/patients/search/", {"q": q})
    assert answer.status_code == 302 and q not in answer["Location"]
    return names(client)


# --- Details ------------------------------------------------------------------------------------


def test_a_nurse_edits_the_details_in_one_form_and_is_redirected(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    fields = DETAILS | {
        "display_name": "José Müller",
        "mrn": "A-1001",
        "date_of_birth": "03/14/1956",
        "sex": "male",
        "weight_kg": "71.5",
    }
    answer = nurse_browser.post(url(patient, "details/"), fields)
    assert answer.status_code == 302 and answer["Location"] == url(patient)
    stored = Patient.objects.get(pk=patient.patient.pk)
    assert (stored.display_name, stored.mrn, stored.date_of_birth, stored.birth_year) == (
        "José Müller",
        "A-1001",
        date(1956, 3, 14),
        1956,
    )
    page = text(nurse_browser.get(url(patient)))
    assert "Details saved: name, mrn, date of birth, sex, weight (kg)." in page
    assert "MRN A-1001" in page and "Born 14 Mar 1956" in page
    event = AuditEvent.objects.filter(actor=nurse.user, action="update", resource="patient").latest("pk")
    assert event.detail == "details: display_name, mrn, date_of_birth, sex, weight_kg"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("date_of_birth", "2015-01-01", "Must be an adult's"),
        ("date_of_birth", "14.03.1956", "Enter a valid date"),
        ("weight_kg", "400", "Must be between 25 and 300 kg."),
        ("display_name", "", "This field is required."),
    ],
)
def test_a_refused_detail_is_explained_on_the_page_and_nothing_changes(
    nurse_browser: Client, patient: EnrolledPatient, field: str, value: str, reason: str
) -> None:
    answer = nurse_browser.post(url(patient, "details/"), DETAILS | {"mrn": "B-2", field: value})
    assert answer.status_code == 200
    assert reason in text(answer)
    assert '<details class="details-edit" open>' in answer.content.decode()
    assert Patient.objects.get(pk=patient.patient.pk).mrn == ""


def test_a_taken_mrn_is_a_form_error(nurse_browser: Client, nurse: Person, patient: EnrolledPatient) -> None:
    other = make_patient(nurse, name="Sam Second")
    Patient.objects.filter(pk=other.patient.pk).update(mrn="A-1")
    answer = nurse_browser.post(url(patient, "details/"), DETAILS | {"mrn": "A-1"})
    assert answer.status_code == 200 and "Another patient of this clinic has this MRN." in text(answer)


def test_another_clinics_nurse_cannot_edit(other_browser: Client, patient: EnrolledPatient) -> None:
    assert other_browser.post(url(patient, "details/"), DETAILS | {"display_name": "X"}).status_code == 404
    assert Patient.objects.get(pk=patient.patient.pk).display_name == "Pat Doe"


def test_the_enrollment_form_takes_an_mrn_and_a_date_of_birth(nurse_browser: Client) -> None:
    fields = {
        "display_name": "Ana Ávila",
        "timezone": "America/New_York",
        "start_date": "2026-11-01",
        "ixazomib_mg": "4",
        "lenalidomide_mg": "25",
        "dexamethasone_mg": "40",
        "mrn": "E-77",
        "date_of_birth": "1950-01-02",
    }
    assert nurse_browser.post("/patients/new/", fields).status_code == 302
    made = Patient.objects.get(mrn="E-77")
    assert (made.date_of_birth, made.search_name) == (date(1950, 1, 2), "ana avila")


# --- Care status ----------------------------------------------------------------------------------


def test_pause_then_resume_from_the_patient_page(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient
) -> None:
    answer = nurse_browser.post(url(patient, "status/"), {"status": "paused", "reason": "Admitted to hospital"})
    assert answer.status_code == 302 and answer["Location"] == url(patient)
    page = text(nurse_browser.get(url(patient)))
    assert "Paused: no reminders, alerts, caregiver messages or escalations until resumed." in page
    assert "Paused since" in page and "by nurse.nina: “Admitted to hospital”" in page
    assert Patient.objects.get(pk=patient.patient.pk).care_status == CareStatus.PAUSED

    nurse_browser.post(url(patient, "status/"), {"status": "active", "reason": ""})
    page = text(nurse_browser.get(url(patient)))
    assert "Active again" in page
    assert [e.detail for e in AuditEvent.objects.filter(detail__startswith="care status").order_by("pk")] == [
        "care status: active -> paused",
        "care status: paused -> active",
    ]


def test_a_pause_without_a_reason_is_a_form_error(nurse_browser: Client, patient: EnrolledPatient) -> None:
    answer = nurse_browser.post(url(patient, "status/"), {"status": "discharged", "reason": ""})
    assert answer.status_code == 200 and "Say why, for the colleagues who read it later." in text(answer)
    assert Patient.objects.get(pk=patient.patient.pk).care_status == CareStatus.ACTIVE


# --- Reminder plan --------------------------------------------------------------------------------


def test_the_plan_is_changed_with_the_apis_rules_and_the_pending_reminders_follow(
    nurse_browser: Client, nurse: Person, patient: EnrolledPatient, time_machine: time_machine.TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 11, 3, 12, tzinfo=UTC), tick=False)
    reminders_materialise()
    answer = nurse_browser.post(
        url(patient, "reminder-plan/"),
        PLAN | {"lenalidomide_time": "10:00", "antiviral_times": "07:30 19:30", "nadir_draw_cycles": "0"},
    )
    assert answer.status_code == 302 and answer["Location"] == url(patient) + "#reminder-plan"
    plan = ReminderPlan.objects.get(pk=patient.patient.pk)
    assert (plan.antiviral_times, plan.lenalidomide_time.hour, plan.nadir_draw_cycles) == (["07:30", "19:30"], 10, 0)
    pending = ReminderOccurrence.objects.filter(patient=patient.patient, status=OccurrenceStatus.PENDING)
    tomorrow = pending.get(key="lenalidomide:2026-11-04")  # re-timed in place: 10:00 in New York (EST)
    assert tomorrow.due_at == datetime(2026, 11, 4, 15, tzinfo=UTC)
    assert pending.filter(key="antiviral:2026-11-04:07:30").exists()
    event = AuditEvent.objects.filter(actor=nurse.user, resource="reminder_plan").latest("pk")
    assert event.detail == "antiviral_drug, antiviral_times, lenalidomide_time, nadir_draw_cycles"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ixazomib_time": "09:30"}, "dexamethasone"),  # the API's food rule, from shared.reminders
        ({"lab_draw_time": "25:00"}, "lab_draw_time"),
        ({"nadir_draw_cycles": "99"}, "Must be between 0 and"),
        ({"antiviral_times": "08:00, 08:00"}, "The same time is listed twice."),
    ],
)
def test_a_plan_the_api_would_refuse_is_refused_on_the_page(
    nurse_browser: Client, patient: EnrolledPatient, change: dict[str, str], reason: str
) -> None:
    answer = nurse_browser.post(url(patient, "reminder-plan/"), PLAN | change)
    assert answer.status_code == 200
    body = text(answer)
    assert reason in body or reason in answer.content.decode()
    assert not AuditEvent.objects.filter(resource="reminder_plan").exists()


# --- The list: search, status, sort ---------------------------------------------------------------


@pytest.fixture
def clinic_list(nurse: Person) -> dict[str, EnrolledPatient]:
    made = {name: make_patient(nurse, name=name) for name in ("José Müller", "Ann Abel", "Zoë Zeller", "Bo Brandt")}
    Patient.objects.filter(pk=made["Ann Abel"].patient.pk).update(mrn="MRN-42", date_of_birth=date(1956, 3, 14))
    return made


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("jose", ["José Müller"]),
        ("MÜLLER", ["José Müller"]),
        ("muller", ["José Müller"]),
        ("zoe", ["Zoë Zeller"]),
        ("mrn-42", ["Ann Abel"]),
        ("1956-03-14", ["Ann Abel"]),
        ("03/14/1956", ["Ann Abel"]),
        ("nobody", []),
    ],
)
def test_search_by_name_accents_and_case_aside_by_mrn_or_by_date_of_birth(
    nurse_browser: Client, clinic_list: dict[str, EnrolledPatient], typed: str, found: list[str]
) -> None:
    assert search(nurse_browser, typed) == found


def test_the_search_term_never_reaches_a_url(nurse_browser: Client, clinic_list: dict[str, EnrolledPatient]) -> None:
    nurse_browser.post("/patients/search/", {"q": "jose"})
    page = nurse_browser.get("/patients/?sort=-name").content.decode()
    hrefs = [h.split('"', 1)[0] for h in page.split('href="')[1:]]
    assert hrefs and not [h for h in hrefs if "jose" in h.lower()]
    assert "Matching “jose”" in page


def test_discharged_patients_are_hidden_unless_asked_and_paused_ones_are_marked(
    nurse_browser: Client, clinic_list: dict[str, EnrolledPatient]
) -> None:
    Patient.objects.filter(pk=clinic_list["Bo Brandt"].patient.pk).update(care_status=CareStatus.DISCHARGED)
    Patient.objects.filter(pk=clinic_list["Ann Abel"].patient.pk).update(care_status=CareStatus.PAUSED)
    assert names(nurse_browser, "?sort=name") == ["Ann Abel", "José Müller", "Zoë Zeller"]
    assert '<span class="tag tag--paused">Paused</span>' in nurse_browser.get("/patients/").content.decode()
    assert names(nurse_browser, "?status=discharged") == ["Bo Brandt"]
    assert names(nurse_browser, "?status=paused") == ["Ann Abel"]
    assert len(names(nurse_browser, "?status=all")) == 4


def test_the_list_sorts_by_each_column_both_ways(
    nurse_browser: Client, clinic_list: dict[str, EnrolledPatient]
) -> None:
    assert names(nurse_browser, "?sort=name") == ["Ann Abel", "Bo Brandt", "José Müller", "Zoë Zeller"]
    assert names(nurse_browser, "?sort=-name") == ["Zoë Zeller", "José Müller", "Bo Brandt", "Ann Abel"]
    raise_alerts(clinic_list["Bo Brandt"], [40])  # grade 3: one open alert
    assert names(nurse_browser, "?sort=-alerts")[0] == "Bo Brandt"
    assert names(nurse_browser, "?sort=alerts")[-1] == "Bo Brandt"
    assert names(nurse_browser, "?sort=-last")[0] == "Bo Brandt"  # the only one with a reading
    assert names(nurse_browser, "?sort=last")[-1] == "Bo Brandt"
    Patient.objects.filter(pk=clinic_list["Zoë Zeller"].patient.pk).update(start_date=date(2026, 1, 5))
    assert names(nurse_browser, "?sort=-cycle")[0] == "Zoë Zeller"  # furthest along
    page = nurse_browser.get("/patients/?sort=name").content.decode()
    assert '<th scope="col" aria-sort="ascending"><a href="?sort=-name">' in page
    assert names(nurse_browser, "?sort=bogus")[0] == "Bo Brandt"  # unknown: the most pressing first
