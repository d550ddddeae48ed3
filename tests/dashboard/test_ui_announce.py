"""A new critical alert announced wherever the nurse is, in a real browser (Debian's Chromium,
headless, under the dashboard's strict CSP): she reads the patients list, having turned on the sound
and the browser notification (permission asked only then); a phone syncs a grade 4 platelet count,
grading raises a critical alert, and within the polling interval the banner appears on her page
without a reload, the screen reader's assertive region says it, a tone plays and the notification
says "New critical alert in CareLoop" with no patient's name. She dismisses it; it stays dismissed
on the next page, and comes back for the next critical alert. window.Notification is a stub that
records what the page asks of it; the Web Audio oscillators are counted. Screenshots land in
tests/artifacts/dashboard/."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from backend.alerts.models import Alert, Severity
from tests.dashboard.support import grade_all
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, phone_sync, shot, sign_in
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

# What the page asks of the Notification API and of Web Audio, recorded. The permission the stub
# grants lasts for the tab (sessionStorage), as a real one would for the site.
STUBS = """
window.__notes = [];
window.__permissionAsked = 0;
window.__tones = 0;
class RecordedNotification {
  constructor(title, options) {
    window.__notes.push({ title: title, body: (options || {}).body, tag: (options || {}).tag });
  }
  static get permission() { return sessionStorage.getItem("stub-permission") || "default"; }
  static requestPermission() {
    window.__permissionAsked += 1;
    sessionStorage.setItem("stub-permission", "granted");
    return Promise.resolve("granted");
  }
}
window.Notification = RecordedNotification;
if (window.AudioContext) {
  const create = window.AudioContext.prototype.createOscillator;
  window.AudioContext.prototype.createOscillator = function () { window.__tones += 1; return create.call(this); };
}
"""


@pytest.fixture
def ward(enqueued: list[dict[str, Any]]) -> tuple[Person, EnrolledPatient]:
    nurse = make_nurse()
    return nurse, make_patient(nurse, name="Maria Lopez", tz="America/New_York")


def reading(analyte: str, value: float) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "analyte": analyte,
        "value": value,
        "unit": "K/uL",
        "collected_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
    }


def raise_critical(base: str, maria: EnrolledPatient, analyte: str, value: float) -> Alert:
    """The phone syncs; the worker (here: the test) grades."""
    item = reading(analyte, value)
    assert phone_sync(base, maria, {"lab_results": [item]})["accepted"] == [item["id"]]

    def graded() -> Alert:
        grade_all()
        return Alert.objects.get(source_id=item["id"])

    alert = off_loop(graded)
    assert alert.severity == Severity.CRITICAL
    return alert


def test_a_new_critical_alert_is_announced_on_the_page_the_nurse_is_on(
    live_server: Any, ward: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    _, maria = ward
    base = live_server.url
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(STUBS)
    page = context.new_page()
    sign_in(page, base, "nurse.nina")
    page.goto(f"{base}/patients/")
    banner = page.locator("#announce")
    page.wait_for_timeout(1500)  # a poll or two: nothing to announce
    assert banner.is_hidden()

    # She turns on the tone and the notification; only now is the permission asked.
    assert page.evaluate("window.__permissionAsked") == 0
    page.locator(".announce-prefs summary").click()
    page.get_by_label("Play a short sound").check()
    page.get_by_label("Show a browser notification (no patient details)").check()
    page.get_by_text("A notification is shown when a new critical alert arrives").wait_for()
    assert page.evaluate("window.__permissionAsked") == 1
    shot(page, "40_announce_settings")
    page.locator(".announce-prefs summary").click()
    page.evaluate("window.__sameDocument = true")
    tones = page.evaluate("window.__tones")

    alert = raise_critical(base, maria, "platelets", 18)

    banner.wait_for(state="visible", timeout=10_000)  # the next poll (every second here) brings it
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert "New critical alert in CareLoop. 1 critical alert waits for a nurse." in banner.inner_text()
    assert "Maria" not in banner.inner_text() and alert.title not in banner.inner_text()
    live = page.locator("#announce-live")
    assert live.get_attribute("aria-live") == "assertive"
    assert live.text_content() == "New critical alert in CareLoop 1 critical alert waits for a nurse."
    notes = page.evaluate("window.__notes")
    assert notes == [
        {
            "title": "New critical alert in CareLoop",
            "body": "Open the triage queue in CareLoop to see it.",
            "tag": "careloop-critical",
        }
    ]
    assert "Maria" not in str(notes) and "Lopez" not in str(notes)
    assert page.evaluate("window.__tones") > tones
    shot(page, "41_announce_banner")

    # Dismissed, it stays dismissed on the next page (this browser remembers), and no second
    # notification comes for the same alert.
    banner.get_by_role("button", name="Dismiss").click()
    assert banner.is_hidden()
    page.goto(f"{base}/cycle-start/")
    page.wait_for_timeout(1500)
    assert banner.is_hidden() and page.evaluate("window.__notes") == []

    # A new critical alert (another kind) brings it back, with its notification.
    raise_critical(base, maria, "anc", 0.3)
    banner.wait_for(state="visible", timeout=10_000)
    assert "2 critical alerts wait for a nurse." in banner.inner_text()
    assert [n["title"] for n in page.evaluate("window.__notes")] == ["New critical alert in CareLoop"]
    shot(page, "42_announce_banner_again")

    banner.get_by_role("link", name="Open the triage queue").click()
    page.wait_for_url(f"{base}/")
    page.locator(f"#alert-{alert.pk}").wait_for()


def test_without_the_settings_turned_on_there_is_no_sound_and_no_notification_and_an_ended_session_signs_out(
    live_server: Any, ward: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    _, maria = ward
    base = live_server.url
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(STUBS)
    page = context.new_page()
    sign_in(page, base, "nurse.nina")
    page.goto(f"{base}/patients/{maria.patient.pk}/")

    raise_critical(base, maria, "platelets", 18)

    page.locator("#announce").wait_for(state="visible", timeout=10_000)
    assert page.evaluate("[window.__notes, window.__tones, window.__permissionAsked]") == [[], 0, 0]

    # Her session ends (e.g. 30 minutes without activity, which polling is not): the next poll takes
    # the page, and the patient on it, to the sign-in form, which leads back here.
    off_loop(lambda: Session.objects.all().delete())
    page.wait_for_url(re.compile(rf"/signin/\?next=%2Fpatients%2F{maria.patient.pk}%2F"), timeout=10_000)
