"""The patient page and the queue on paper (static/dashboard/print.css), in Debian's Chromium: no
navigation, buttons, forms or dialogs; the charts kept, the timeline in full rather than in its
scroll box; a chart or a table row never cut across two pages. Chromium prints each page to PDF and
pypdf reads it back; screenshots in print emulation land in tests/artifacts/dashboard/."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from tests.dashboard.test_ui import ARTIFACTS, CHROMIUM, VIEWPORT, browser, clinic, shot, sign_in
from tests.factories import EnrolledPatient, Person

__all__ = ["browser", "clinic"]  # the Chromium fixture and Maria's history, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

SCREEN_ONLY = ".topbar, form, button, .btn, #queue-filters, .tz-change, .dose-decide, .announce, .skip-link"


def printed(page: Any, name: str) -> str:
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def visible(page: Any, selector: str) -> int:
    return int(page.locator(selector).evaluate_all("els => els.filter(e => e.getClientRects().length > 0).length"))


def test_the_patient_page_and_the_queue_print_without_controls_and_with_their_charts(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    _, maria = clinic
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    page.wait_for_selector("#queue-table tbody tr")
    page.emulate_media(media="print")

    assert visible(page, SCREEN_ONLY) == 0
    assert visible(page, "#queue-table tbody tr") == page.locator("#queue-table tbody tr").count() > 0
    shot(page, "50_queue_print", full_page=True)
    queue = printed(page, "50_queue_print")
    assert "Maria Lopez" in queue and "Grade 3 thrombocytopenia" in queue
    assert "Sign out" not in queue and "Acknowledge" not in queue and "Apply" not in queue

    page.goto(f"{base}/patients/{maria.patient.pk}/")
    page.wait_for_selector("#chart-platelets")

    assert visible(page, SCREEN_ONLY) == 0
    assert visible(page, "#chart-platelets") == 1 and visible(page, ".chart-figure svg") >= 3
    scroll = page.locator(".timeline-scroll")
    assert scroll.evaluate("e => [getComputedStyle(e).maxHeight, getComputedStyle(e).overflowY]") == ["none", "visible"]
    assert page.locator(".chart-figure").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    assert page.locator(".card").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    shot(page, "51_patient_print", full_page=True)
    sheet = printed(page, "51_patient_print")
    assert "Maria Lopez" in sheet and "Blood counts" in sheet and "Timeline" in sheet and "Adherence" in sheet
    for control in ("Sign out", "Print summary", "Change time zone", "Record decision", "New enrollment code"):
        assert control not in sheet

    page.emulate_media(media="screen")  # on screen, the controls are back
    assert visible(page, ".topbar") == 1 and visible(page, ".patient-print .btn") == 1
