"""The one-page PDF summary of a patient's last cycle, for the clinic visit: who may download it (the
clinic's nurses and admins; another clinic's nurse gets a 404, a patient or caregiver nothing), that
it is audited as a read of the patient, named without the patient's name and kept by no cache; and,
read back with pypdf, that it is exactly one page holding the cycle's values with units and grades,
its symptom grades, doses taken of those due, alerts with outcomes, dose decisions and the holds in
force, for a patient with many readings (the lists cut, and saying so), and nothing of the cycle
before."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from backend.alerts.models import Alert
from backend.alerts.services import alert_resolve
from backend.audit.models import AuditEvent
from backend.dashboard.adherence import adherence_recent
from backend.dashboard.cycle_summary import cycle_summary
from backend.dashboard.summary_pdf import FONT, summary_pdf
from backend.patients import dose_decisions
from backend.patients.models import Patient
from tests.backend.caregivers.support import make_caregiver
from tests.dashboard.conftest import signed_in
from tests.dashboard.support import grade_all, sync
from tests.factories import EnrolledPatient, Person, dose_item, lab_item, make_patient, symptom_item

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# Pat started on 1 Nov 2026: cycle 2 runs 29 Nov - 26 Dec, and 20 Dec is its day 22.
NOW = datetime(2026, 12, 20, 15, tzinfo=UTC)
CYCLE_2 = date(2026, 11, 29)
PLATELETS = [210, 200, 190, 181, 170, 160, 150, 141, 130, 120, 110, 101, 95, 88, 80, 74, 66, 58, 49, 38, 22]


def at(day: date, hour: int = 8) -> str:
    return datetime.combine(day, time(hour, 30), tzinfo=NY).isoformat()


@pytest.fixture
def frozen(time_machine: time_machine.TimeMachineFixture) -> None:
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def pat(frozen: None, nurse: Person) -> EnrolledPatient:
    """Pat on cycle 2 day 22: a platelet count every day of the cycle falling to 22 (grade 4), an ANC
    every other day, a weekly hemoglobin, diarrhea, doses of ixazomib and lenalidomide, a resolved
    alert and a dose reduction; and a cycle 1 whose values must not show."""
    pat = make_patient(nurse, name="Pat Doe")
    Patient.objects.filter(pk=pat.patient.pk).update(created_at=datetime(2026, 10, 30, tzinfo=UTC))
    cycle_1 = [lab_item("platelets", 123, collected_at=at(date(2026, 11, 10)))]
    sync(pat, lab_results=cycle_1, symptom_reports=[symptom_item("nausea", {}, reported_at=at(date(2026, 11, 5)))])
    labs = [lab_item("platelets", v, collected_at=at(CYCLE_2 + timedelta(days=i))) for i, v in enumerate(PLATELETS)]
    labs += [
        lab_item("anc", round(2.4 - 0.1 * i, 1), collected_at=at(CYCLE_2 + timedelta(days=2 * i))) for i in range(11)
    ]
    labs += [
        lab_item("hemoglobin", 11.2, unit="g/dL", collected_at=at(CYCLE_2 + timedelta(days=7 * i))) for i in range(3)
    ]
    doses = [
        dose_item("ixazomib", status, taken_at=at(CYCLE_2 + timedelta(days=d), 7))
        for d, status in ((0, "taken"), (7, "taken"), (14, "skipped"))
    ]
    doses += [
        dose_item("lenalidomide", "skipped" if d in (3, 9) else "taken", taken_at=at(CYCLE_2 + timedelta(days=d), 7))
        for d in range(21)
    ]
    sync(
        pat,
        lab_results=labs,
        dose_logs=doses,
        symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 5}, reported_at=at(date(2026, 12, 18), 20))],
    )
    grade_all()
    return pat


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def download(client: Client, patient: EnrolledPatient) -> Any:
    return client.get(f"/patients/{patient.patient.pk}/summary.pdf")


def test_the_summary_is_one_page_with_the_last_cycles_values_grades_doses_alerts_and_decisions(
    pat: EnrolledPatient, nurse: Person
) -> None:
    alerts = list(Alert.objects.filter(patient=pat.patient))
    assert any(a.severity == "critical" and a.grade == 4 for a in alerts)
    for alert in alerts:
        alert_resolve(user=nurse.user, alert_id=alert.pk, note="Holding both.", outcome="dose_held")
    dose_decisions.dose_decision_record(
        patient=pat.patient,
        data=dose_decisions.DecisionInput(
            action="reduce", drug="lenalidomide", toxicity="thrombocytopenia", grade=4, reason="Platelets 22 on day 21"
        ),
        decided_by=nurse.user,
        now=timezone.now(),
    )

    pages, shown = pdf_text(download(signed_in(nurse), pat).content)

    assert pages == 1
    assert "Pat Doe" in shown
    assert "Cycle 2: 29 Nov 2026 – 26 Dec 2026 (today day 22)" in shown
    # The values in the one unit style, with their CTCAE grades; the cut list says what it left out.
    assert re.search(r"19 Dec 08:30 Platelets 22 ×10 ?9/L G4", shown), shown
    assert "6 Dec 08:30 Hemoglobin 11.2 g/dL G1" in shown
    assert re.search(r"19 Dec 08:30 Neutrophils \(absolute\) 1\.4 ×10 ?9/L G2", shown), shown
    assert re.search(r"and \d+ more", shown)
    assert " 123 " not in shown and "Nausea" not in shown  # cycle 1's
    assert re.search(r"Diarrhea \(stools above usual: 5\) G2", shown), shown
    # Doses taken of those due, as the patient page's adherence table counts them.
    adherence = adherence_recent(patient=Patient.objects.get(pk=pat.patient.pk), now=timezone.now())
    cells = {row.drug: row.cells[0] for row in adherence.rows}
    assert (cells["ixazomib"].taken, cells["ixazomib"].due) == (2, 3)
    assert "Ixazomib 2 (67%) 3 0 1 0" in shown
    assert f"Lenalidomide {cells['lenalidomide'].taken} ({cells['lenalidomide'].percent}%) 21" in shown
    for alert in alerts:
        assert alert.title in shown
    assert "Dose held" in shown
    assert (
        "Reduce one dose level · Lenalidomide 25 → 20 mg · thrombocytopenia grade 4 — Platelets 22 on day 21" in shown
    )
    assert re.search(r"Hold Ixazomib and Lenalidomide: Platelets 22 ×10 ?9/L on 19 Dec: hold until", shown), shown


def test_a_long_cycle_is_cut_to_one_page_and_says_how_much_was_left_out(pat: EnrolledPatient) -> None:
    """Sixty symptom reports and every reading: still one page, each cut list ending 'and N more'."""
    reports = [
        symptom_item(
            "diarrhea", {"stools_above_usual": 1 + i % 7}, reported_at=at(CYCLE_2 + timedelta(days=i % 20), 9 + i % 9)
        )
        for i in range(60)
    ]
    sync(pat, symptom_reports=reports)
    grade_all()

    pages, shown = pdf_text(summary_pdf(cycle_summary(patient=pat.patient, now=timezone.now())))

    assert pages == 1
    assert len(re.findall(r"and \d+ more", shown)) >= 2
    assert re.search(r"Platelets 22 ×10 ?9/L G4", shown)  # the highest grades are kept


def test_the_download_is_an_uncached_attachment_named_by_the_cycle_and_audited(
    pat: EnrolledPatient, nurse: Person
) -> None:
    before = AuditEvent.objects.count()

    response = download(signed_in(nurse), pat)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="careloop-summary-C2.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    (row,) = AuditEvent.objects.order_by("id")[before:]
    assert (row.actor_id, row.action, row.resource, row.patient_id) == (
        nurse.user.pk,
        "read",
        "patient",
        pat.patient.pk,
    )
    assert row.detail == "cycle summary PDF, cycle 2"
    assert "Pat" not in PdfReader(io.BytesIO(response.content)).metadata.get("/Title", "")


def test_the_clinic_admin_downloads_it_too(pat: EnrolledPatient, admin_browser: Client) -> None:
    assert download(admin_browser, pat).status_code == 200


def test_another_clinics_nurse_gets_a_404_that_is_recorded(pat: EnrolledPatient, other_browser: Client) -> None:
    response = download(other_browser, pat)

    assert response.status_code == 404 and b"Pat Doe" not in response.content
    assert AuditEvent.objects.filter(action="refused", patient_id=pat.patient.pk).exists()


def test_a_patient_or_a_caregiver_gets_no_summary(pat: EnrolledPatient) -> None:
    caregiver = make_caregiver(pat, ["all_alerts"])
    for person in (pat, caregiver):
        response = download(signed_in(person), pat)
        assert response.status_code == 403 and not response.content.startswith(b"%PDF")


def test_the_patient_page_links_to_the_summary(pat: EnrolledPatient, nurse_browser: Client) -> None:
    page = nurse_browser.get(f"/patients/{pat.patient.pk}/").content.decode()

    assert f'href="/patients/{pat.patient.pk}/summary.pdf" download>Print summary (PDF)' in page


def test_before_cycle_1_the_summary_says_so(frozen: None, nurse: Person) -> None:
    later = make_patient(nurse, name="Lou Later", start=date(2027, 1, 4))

    pages, shown = pdf_text(download(signed_in(nurse), later).content)

    assert pages == 1 and "Cycle 1 has not started (planned for 4 Jan 2027)." in shown


NAMES = [
    "Łucja Wąsowska-Żak",
    "Ágnes Kőrösi-Szűcs",
    "Jiří Dvořák",
    "Ayşe Çelik-Gündoğdu",
    "Σοφία Παππά",
    "Ольга Ёлкина",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_any_european_alphabet_is_printed_with_its_own_letters(
    frozen: None, nurse: Person, name: str
) -> None:
    patient = make_patient(nurse, name=name, start=date(2026, 11, 1))

    content = summary_pdf(cycle_summary(patient=patient.patient, now=timezone.now()))
    pages, shown = pdf_text(content)

    assert pages == 1 and name in shown
    font = pdfmetrics.getFont(FONT).face
    assert all(ord(letter) in font.charToGlyph for letter in name + "→×—–·"), [
        letter for letter in name if ord(letter) not in font.charToGlyph
    ]
