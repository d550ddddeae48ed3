"""The clinic admin's pages in a real browser (Debian's Chromium, headless, under the dashboard's
Content-Security-Policy): a nurse locks herself out with five wrong passwords, her admin unlocks
her from the Staff page and she signs in at once; the admin adds a colleague, who signs in; the
Deliveries page shows a failed message to send again; the Django admin is not the admin's.
Screenshots land in tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.notifications.models import Delivery, DeliveryStatus, Preference
from backend.notifications.services import contact_notify
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sign_in
from tests.factories import Person, make_nurse

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

NEW_PASSWORD = "plum-kettle-harbour-92"


def failed_on_call_sms(admin: Person, nurse: Person) -> None:
    """The on-call contact's SMS failed for good, and so did the nurse's (her SMS is stopped)."""
    Preference.objects.create(user=nurse.user, channels=["sms"], phone="+15550100101", disabled_channels=["sms"])
    clinic = admin.user.clinic
    assert clinic is not None
    contact_notify(clinic=clinic, contact_key="ui-on-call", kind="escalation", addresses={"sms": "+15550100199"})
    Delivery.objects.filter(contact_key="ui-on-call").update(
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="Twilio 21614: not a mobile number",
        sent_at=None,
        attempted_at=timezone.now(),
    )


def test_an_admin_unlocks_a_locked_out_nurse_and_adds_a_colleague(live_server: Any, browser: Any) -> None:
    base = live_server.url
    nurse = off_loop(make_nurse)  # nurse.nina
    admin = off_loop(lambda: make_nurse("admin.ada", role=Role.ADMIN))
    off_loop(lambda: failed_on_call_sms(admin, nurse))

    nina = browser.new_context(viewport=VIEWPORT).new_page()
    nina.goto(f"{base}/signin/")
    for _ in range(5):
        nina.get_by_label("Username").fill("nurse.nina")
        nina.get_by_label("Password").fill("a-wrong-password")
        nina.get_by_role("button", name="Sign in").click()
        nina.wait_for_load_state()
    nina.get_by_text("Too many failed sign-ins").wait_for()
    shot(nina, "20_nurse_locked_out")

    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "admin.ada")
    page.get_by_role("link", name="Staff").click()
    row = page.get_by_role("row").filter(has_text="nurse.nina")
    row.get_by_text("Locked out").wait_for()
    shot(page, "21_staff_locked_out")
    row.get_by_role("button", name="Unlock nurse.nina").click()
    page.get_by_text("can sign in again now").wait_for()
    assert "Locked out" not in page.locator("table").first.inner_text()

    sign_in(nina, base, "nurse.nina")  # at once, with her right password
    assert "Triage" in nina.locator("nav[aria-label=Main]").inner_text()

    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Role").select_option("nurse")
    page.get_by_label("Username").fill("nurse.noor")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("This password is too short").wait_for()  # refused, the rest kept
    assert page.get_by_label("Username").input_value() == "nurse.noor"
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Noor Haddad can now sign in as Nurse").wait_for()
    page.get_by_role("row").filter(has_text="nurse.noor").wait_for()
    shot(page, "22_staff_added", full_page=True)

    noor = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(noor, base, "nurse.noor", NEW_PASSWORD)
    assert "Staff" not in noor.locator("nav[aria-label=Main]").inner_text()  # a nurse: no admin pages

    page.get_by_role("link", name="Deliveries").click()
    page.get_by_text("Twilio 21614").wait_for()
    shot(page, "23_deliveries")
    page.get_by_role("button", name="Retry 1 failed").click()
    page.get_by_text("1 failed delivery queued again").wait_for()
    assert off_loop(lambda: Delivery.objects.get(contact_key="ui-on-call").status) == DeliveryStatus.PENDING
    page.get_by_role("button", name="Turn back on SMS for nurse.nina").click()
    page.get_by_text("nurse.nina's SMS is in use again").wait_for()
    assert off_loop(lambda: Preference.objects.get(user=nurse.user).disabled_channels) == []

    page.goto(f"{base}/admin/")  # the Django admin is for engineers
    page.get_by_text("The Django admin is for CareLoop's engineers").wait_for()
    shot(page, "24_django_admin_refused")
