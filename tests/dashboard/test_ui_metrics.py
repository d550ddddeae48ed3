"""The Service figures page in a real browser (Debian's Chromium, headless, under the dashboard's
Content-Security-Policy): a nurse opens it from the navigation, reads the clinic's figures, asks
for a period that ends before it starts and is told which date is wrong. Screenshots land in
tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.metrics.support import alert, enrolled
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sign_in
from tests.factories import make_nurse, make_patient

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


def a_week_of_alerts() -> None:
    nurse = make_nurse()
    now = timezone.now()
    patient = enrolled(make_patient(nurse, name="Maria Lopez").patient, now - timedelta(days=40))
    for days, minutes, outcome in ((2, 6, "called_patient"), (5, 14, "no_action_needed"), (9, 3, "dose_held")):
        alert(
            patient,
            now - timedelta(days=days),
            severity="critical",
            acknowledged=timedelta(minutes=minutes),
            resolved=timedelta(minutes=minutes + 50),
            by=nurse.user,
            outcome=outcome,
        )
    alert(patient, now - timedelta(days=1), acknowledged=timedelta(minutes=45), by=nurse.user)


def test_a_nurse_reads_the_service_figures_and_is_told_a_bad_period(live_server: Any, browser: Any) -> None:
    off_loop(a_week_of_alerts)
    page = browser.new_context(viewport=VIEWPORT).new_page()
    errors: list[str] = []  # the page's own 400 is expected; a refused style or script is not
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_server.url, "nurse.nina")
    page.get_by_role("link", name="Service figures").click()
    page.get_by_role("heading", name="Service figures").wait_for()
    table = page.get_by_role("table", name="Response times")
    assert "median 6 min" in table.get_by_role("row", name="Critical: time to acknowledge").inner_text()
    assert "67%" in page.get_by_role("row", name="Resolved alerts that led to an action").inner_text()
    assert "Maria" not in page.locator("main").inner_text()
    shot(page, "30_service_figures")

    page.get_by_label("From").fill("2026-11-10")
    page.get_by_label("To").fill("2026-11-01")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("From: Must be on or before").wait_for()
    assert page.get_by_label("From").get_attribute("aria-invalid") == "true"
    shot(page, "31_service_figures_bad_period")
    assert not errors, errors
