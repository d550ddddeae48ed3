"""Patient administration in a real browser (Debian's Chromium, headless, under the dashboard's
Content-Security-Policy): a nurse edits a patient's details, pauses then resumes them, and searches
the list for "jose", which finds José. Screenshots land in tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.patients.models import CareStatus, Patient
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sign_in
from tests.factories import make_nurse, make_patient

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


def test_a_nurse_edits_details_pauses_and_resumes_and_finds_jose(live_server: Any, browser: Any) -> None:
    base = live_server.url
    nurse = off_loop(make_nurse)  # nurse.nina
    pat = off_loop(lambda: make_patient(nurse, name="Jose Perez"))
    off_loop(lambda: make_patient(nurse, name="Ann Abel"))

    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    page.goto(f"{base}/patients/{pat.patient.pk}/")

    # Details: the accented name, an MRN and a US-style date of birth, in one form.
    page.get_by_text("Edit details").click()
    details = page.locator("details.details-edit")
    details.get_by_label("Name").fill("José Pérez")
    details.get_by_label("MRN").fill("MRN-5150")
    details.get_by_label("Date of birth").fill("1956-03-14")
    details.get_by_label("Weight (kg)").fill("68.5")
    details.get_by_role("button", name="Save details").click()
    page.get_by_text("Details saved").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "José Pérez"
    assert "MRN MRN-5150" in page.locator("[data-key=identity]").inner_text()
    shot(page, "40_patient_details_saved")

    # Pause, with a reason; the page says who paused and why.
    page.locator("#care-status summary").click()
    page.locator("#care-status").get_by_label("Status").select_option("paused")
    page.locator("#care-status").get_by_label("Reason").fill("Admitted to hospital")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text("Paused: no reminders").wait_for()
    assert "by nurse.nina" in page.locator("[data-key=care-status]").inner_text()
    assert off_loop(lambda: Patient.objects.get(pk=pat.patient.pk).care_status) == CareStatus.PAUSED
    shot(page, "41_patient_paused", full_page=True)

    # Resume.
    page.locator("#care-status summary").click()
    page.locator("#care-status").get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text("Active again").wait_for()
    assert page.locator("[data-key=care-status]").count() == 0
    assert off_loop(lambda: Patient.objects.get(pk=pat.patient.pk).care_status) == CareStatus.ACTIVE

    # Search: "jose" finds José, and the name never appears in the address bar.
    page.goto(f"{base}/patients/")
    page.get_by_label("Name, MRN or date of birth").fill("jose")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    links = page.locator("a.patient-link")
    assert links.all_inner_texts() == ["José Pérez"]
    assert "jose" not in page.url.lower()
    shot(page, "42_patients_search_jose")
