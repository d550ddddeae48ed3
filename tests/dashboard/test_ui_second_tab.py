"""A busy day in a real browser (Debian's Chromium, headless, under the dashboard's strict CSP): two
nurses have the same alert open in the resolve dialog; the second one's note, sent after the first
resolved it, is kept on the alert and she is told who resolved it and when; a double click sends
one request; a session that ends while a nurse types her note loses nothing: after signing in the
note is there to send. Screenshots land in tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.sessions.models import Session

from backend.alerts.models import Alert, AlertNote, Status
from tests.dashboard.support import raise_alerts
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sign_in
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse, make_patient

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture
def ward(enqueued: list[dict[str, Any]]) -> tuple[Person, Person, EnrolledPatient, Alert]:
    """Nina and Olga, nurses of one clinic; Maria with a grade 4 platelet alert."""
    nina = make_nurse()
    olga = make_nurse("nurse.olga", clinic="Riverside Oncology")
    maria = make_patient(nina, name="Maria Lopez", tz="America/New_York")
    (alert,) = raise_alerts(maria, [20])
    return nina, olga, maria, alert


def open_dialog(page: Any, alert: Alert) -> Any:
    page.locator(f"#resolve-{alert.pk}").click()
    dialog = page.locator("#dialog")
    dialog.get_by_role("heading", name="Resolve alert").wait_for()
    return dialog


def test_two_nurses_resolve_the_same_alert_and_the_second_ones_note_is_kept(
    live_server: Any, ward: tuple[Person, Person, EnrolledPatient, Alert], browser: Any
) -> None:
    _, _, maria, alert = ward
    base = live_server.url
    nina = browser.new_context(viewport=VIEWPORT).new_page()
    olga = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(nina, base, "nurse.nina")
    sign_in(olga, base, "nurse.olga")
    ninas, olgas = open_dialog(nina, alert), open_dialog(olga, alert)

    ninas.get_by_label("Called patient").check()
    ninas.get_by_label(re.compile("^Note")).fill("Called Maria: CBC tomorrow morning.")
    ninas.get_by_role("button", name="Resolve alert").click()
    nina.locator(f"#alert-{alert.pk}").wait_for(state="detached")

    olgas.get_by_label("Dose held").check()
    olgas.get_by_label(re.compile("^Note")).fill("Spoke to her daughter: holding lenalidomide too.")
    olgas.get_by_role("button", name="Resolve alert").click()
    flash = olga.locator("#flash")
    flash.get_by_text("Already resolved by nurse.nina at").wait_for()
    said = flash.inner_text()
    assert "(Called patient): Grade 4 thrombocytopenia — Maria Lopez." in said
    assert "Your note is kept in the alert's notes" in said
    assert "Resolved:" not in said
    assert olga.evaluate("document.getElementById('dialog').open") is False
    shot(olga, "30_second_nurse_told_who_resolved")

    stored = off_loop(lambda: list(AlertNote.objects.filter(alert_id=alert.pk).values_list("author__username", "text")))
    assert stored == [
        ("nurse.nina", "Called Maria: CBC tomorrow morning."),
        ("nurse.olga", "Spoke to her daughter: holding lenalidomide too."),
    ]
    resolution = off_loop(lambda: Alert.objects.values_list("outcome", "resolved_by__username").get(pk=alert.pk))
    assert resolution == ("called_patient", "nurse.nina")

    # Both notes, with their authors, on Maria's page.
    olga.goto(f"{base}/patients/{maria.patient.pk}/")
    timeline = olga.locator(".timeline").inner_text()
    assert "Called patient: Grade 4 thrombocytopenia" in timeline and "Called Maria: CBC tomorrow morning." in timeline
    assert "by nurse.olga — Spoke to her daughter: holding lenalidomide too." in timeline
    olga.locator(".timeline").scroll_into_view_if_needed()
    shot(olga, "31_patient_notes_thread")


def test_a_double_click_sends_one_request(
    live_server: Any, ward: tuple[Person, Person, EnrolledPatient, Alert], browser: Any
) -> None:
    _, _, _, alert = ward
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    page.locator(f"#alert-{alert.pk}").get_by_role("button", name=re.compile("^Acknowledge")).dblclick()
    page.locator(f"#alert-{alert.pk}").get_by_text("Acknowledged by nurse.nina").wait_for()
    dialog = open_dialog(page, alert)
    dialog.get_by_label("Other (see note)").check()
    dialog.get_by_label(re.compile("^Note")).fill("Double-clicked.")
    dialog.get_by_role("button", name="Resolve alert").dblclick()
    page.locator(f"#alert-{alert.pk}").wait_for(state="detached")

    assert [url.removeprefix(base) for url in posts] == [
        f"/alerts/{alert.pk}/acknowledge/",
        f"/alerts/{alert.pk}/resolve/",
    ]
    assert off_loop(lambda: AlertNote.objects.filter(alert_id=alert.pk).count()) == 1


def test_a_note_typed_as_the_session_ends_is_there_to_send_after_signing_in(
    live_server: Any, ward: tuple[Person, Person, EnrolledPatient, Alert], browser: Any
) -> None:
    _, _, _, alert = ward
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    dialog = open_dialog(page, alert)
    dialog.get_by_label("Sent to ED").check()
    dialog.get_by_label(re.compile("^Note")).fill("Fever and platelets 20: sent to the ED at St Mary's.")
    off_loop(lambda: Session.objects.all().delete())  # 30 minutes pass while she types

    dialog.get_by_role("button", name="Resolve alert").click()

    page.wait_for_url(re.compile(r"/signin/\?"))
    # The queue's polling may send the page to sign in a second time, with its own next=/; either
    # way, signing in leads to the kept note.
    page.wait_for_load_state("networkidle")
    notice = page.locator(".signin-card").inner_text()
    assert "30 minutes without activity" in notice and "Not saved yet: the resolve note." in notice
    shot(page, "32_signin_keeps_the_note")
    page.get_by_label("Username").fill("nurse.nina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/alerts/{alert.pk}/resolve/")
    assert (
        page.get_by_label(re.compile("^Note")).input_value() == "Fever and platelets 20: sent to the ED at St Mary's."
    )
    assert page.get_by_label("Sent to ED").is_checked()
    assert "Your session had ended before this was saved" in page.locator("main").inner_text()
    assert off_loop(lambda: Alert.objects.get(pk=alert.pk).status) == Status.OPEN
    shot(page, "33_note_offered_again")

    page.get_by_role("button", name="Resolve alert").click()
    page.wait_for_url(f"{base}/")
    assert "Resolved: Grade 4 thrombocytopenia — Maria Lopez." in page.locator("#flash").inner_text()
    resolved = off_loop(lambda: Alert.objects.get(pk=alert.pk))
    assert (resolved.status, resolved.outcome, resolved.resolution_note) == (
        Status.RESOLVED,
        "sent_to_ed",
        "Fever and platelets 20: sent to the ED at St Mary's.",
    )
    shot(page, "34_resolved_after_sign_in")
