"""Specification of the patient page's "Response" panel and the patient list's response column:
a nurse sees the current and best IMWG category, the tracked marker charted against its
baseline, the -50% and -90% lines, the nadir and the progression threshold, every assessment,
and enters a day's markers with their units."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.response.models import MarkerResult
from tests.backend.response.support import START, day, item, post_markers, recompute_all, serum_and_urine
from tests.factories import EnrolledPatient, Person, make_patient


def _page(client: Client, patient: EnrolledPatient) -> str:
    answer = client.get(f"/patients/{patient.patient.pk}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_panel_shows_the_response_its_chart_and_every_assessment(nurse: Person, nurse_browser: Client) -> None:
    patient = make_patient(nurse, name="Rita Response", start=START)
    for n, serum in enumerate((3.0, 0.8, 1.1, 1.35)):
        post_markers(nurse, patient.patient.pk, serum_and_urine(n, serum))
    html = _page(nurse_browser, patient)
    assert "<strong>PD</strong> Progressive disease, <em>not yet confirmed</em>" in html
    assert "<strong>PR</strong> Partial response · since 2 Feb 2026" in html  # best
    assert "Time to first response</dt><dd>28 days (2 Feb 2026)" in html
    for line in ("Baseline 3", "−50% (PR) 1.5", "−90% (VGPR) 0.3", "Nadir 0.8", "PD from 1.3"):
        assert line in html
    assert 'class="pt pt-pd"' in html  # the progression point is a square, not told by colour alone
    assert html.count("<td><strong>P") == 3  # PD, PR, PR rows
    assert 'Cycle 5 day 1, 27 Apr 2026 <span class="tag tag--overdue">Overdue</span>' in html


def test_without_markers_the_panel_says_what_is_missing(nurse_browser: Client, patient: EnrolledPatient) -> None:
    html = _page(nurse_browser, patient)
    assert "No assessment after the baseline yet" in html
    assert "No baseline (markers on or before cycle 1 day 1)" in html


def test_a_nurse_enters_a_days_markers_with_units(nurse: Person, nurse_browser: Client) -> None:
    patient = make_patient(nurse, name="Rita Response", start=START)
    answer = nurse_browser.post(
        f"/patients/{patient.patient.pk}/markers/",
        {
            "collected_on": day(0).isoformat(),
            "collected_time": "08:15",
            "serum_m_protein": "30",
            "serum_m_protein_unit": "g/L",
            "kappa_flc": "62",
            "kappa_flc_unit": "mg/dL",
            "serum_ife": "positive",
        },
        follow=True,
    )
    assert "Saved 3 marker results" in answer.content.decode()
    stored = {m.marker: (m.canonical_value, m.entered_by) for m in MarkerResult.objects.all()}
    assert stored["serum_m_protein"][0] == 3 and stored["kappa_flc"][0] == 620
    assert stored["serum_ife"] == (None, "care_team")


def test_a_wrong_unit_in_the_form_saves_nothing_and_says_why(nurse: Person, nurse_browser: Client) -> None:
    patient = make_patient(nurse, name="Rita Response", start=START)
    answer = nurse_browser.post(
        f"/patients/{patient.patient.pk}/markers/",
        {"collected_on": day(0).isoformat(), "serum_m_protein": "2.1", "lambda_flc": "0.3", "lambda_flc_unit": "mg/L"},
        follow=True,
    )
    assert "Did you mean 0.3 mg/dL?" in answer.content.decode()
    assert MarkerResult.objects.count() == 0


def test_another_clinics_nurse_cannot_enter_markers(nurse: Person, other_browser: Client) -> None:
    patient = make_patient(nurse, name="Rita Response", start=START)
    answer = other_browser.post(
        f"/patients/{patient.patient.pk}/markers/", {"collected_on": day(0).isoformat(), "serum_m_protein": "2.1"}
    )
    assert answer.status_code == 404
    assert MarkerResult.objects.count() == 0


def test_the_patient_list_shows_each_patients_current_response(nurse: Person, nurse_browser: Client) -> None:
    patient = make_patient(nurse, name="Rita Response", start=START)
    for n, serum in enumerate((3.0, 1.4, 1.3)):
        post_markers(nurse, patient.patient.pk, serum_and_urine(n, serum))
    recompute_all()
    html = nurse_browser.get("/patients/").content.decode()
    assert "<strong>PR</strong> confirmed" in html
    # Last drawn on cycle 3 day 1 (2 Mar): cycle 4's draw was due 30 Mar, long ago in this calendar.
    assert '<span class="tag tag--overdue">Overdue</span> was due 30 Mar' in html


def test_a_response_test_due_soon_reads_due_and_only_an_overdue_one_is_flagged(
    nurse: Person, nurse_browser: Client
) -> None:
    today = timezone.localdate()
    on_time = make_patient(nurse, name="Otto Ontime", start=today - timedelta(days=10))
    late = make_patient(nurse, name="Lena Late", start=today - timedelta(days=45))
    for patient in (on_time, late):  # a baseline the day before cycle 1: cycle 2's draw is next
        post_markers(
            nurse,
            patient.patient.pk,
            [item("serum_m_protein", 3.0, "g/dL", on=patient.patient.start_date - timedelta(days=1))],
        )
    recompute_all()
    due = on_time.patient.start_date + timedelta(days=28)
    html = nurse_browser.get("/patients/").content.decode()
    assert f'Due {due.day} {due:%b} <span class="muted">(C2)</span>' in html
    assert html.count("tag--overdue") == 1  # Lena's: cycle 2 began 17 days ago
    assert "tag--overdue" not in _page(nurse_browser, on_time)
    assert '<span class="tag tag--overdue">Overdue</span>' in _page(nurse_browser, late)


def test_the_clinic_outcomes_count_responses_without_names_and_export_as_csv(
    nurse: Person, nurse_browser: Client, other_clinic_nurse: Person
) -> None:
    courses = {
        "Ann": (3.0, 1.4, 1.3),  # PR, PR confirmed
        "Ben": (3.0, 0.25, 0.2),  # VGPR, VGPR confirmed
        "Cat": (3.0, 0.8, 1.1, 1.35, 1.5),  # PR confirmed, then confirmed progression
        "Dan": (0.6, 0.5),  # no measurable disease
    }
    for name, serum in courses.items():
        patient = make_patient(nurse, name=name, start=START)
        for n, value in enumerate(serum):
            post_markers(nurse, patient.patient.pk, serum_and_urine(n, value))
    elsewhere = make_patient(other_clinic_nurse, name="Eve", start=START)
    for n, value in enumerate((3.0, 1.4, 1.3)):
        post_markers(other_clinic_nurse, elsewhere.patient.pk, serum_and_urine(n, value))
    recompute_all()

    html = nurse_browser.get("/clinic/outcomes/").content.decode()
    for name in (*courses, "Eve"):
        assert f">{name}<" not in html
    csv_text = nurse_browser.get("/clinic/outcomes/?format=csv").content.decode()
    rows = [line.split(",") for line in csv_text.strip().splitlines()[1:]]
    assert rows == [
        ["Patients with measurable disease", "3", ""],
        ["Overall response (confirmed PR or better)", "3", "100%"],
        ["VGPR or better (confirmed)", "1", "33%"],
        ["CR or better (confirmed)", "0", "0%"],
        ["Median time to first response", "28 days", ""],
        ["Confirmed progression events", "1", ""],
        ["Patients who progressed", "1", "33%"],
    ]


def test_the_patient_lists_response_columns_cost_the_same_for_n_and_5n_patients(
    nurse: Person, nurse_browser: Client
) -> None:
    def add(count: int, offset: int) -> None:
        for i in range(count):
            patient = make_patient(nurse, name=f"Patient {offset + i:03d}", start=START)
            for n, serum in enumerate((3.0, 1.4, 1.3)):
                post_markers(nurse, patient.patient.pk, serum_and_urine(n, serum))
        recompute_all()

    def queries() -> int:
        nurse_browser.get("/patients/")
        with CaptureQueriesContext(connection) as ctx:
            assert nurse_browser.get("/patients/").status_code == 200
        return len(ctx.captured_queries)

    add(2, 0)
    small = queries()
    add(8, 2)
    assert queries() == small
    assert nurse_browser.get("/patients/").content.decode().count("<strong>PR</strong> confirmed") == 10
