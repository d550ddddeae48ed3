"""The alert workflow in a real browser (Debian's Chromium, headless, under the strict CSP): a nurse
assigns an alert to herself and finds it under Mine, the focus moving to the next row's first
action (or the queue's heading when no row is left); adds two notes to its thread; records "hold
lenalidomide" from it and sees it on the patient page; resolves two of the patient's alerts at once.
Screenshots land in tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.alerts.models import Alert, AlertNote, Status
from backend.patients.models import DoseDecision, Patient
from tests.dashboard.support import raise_alerts
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sign_in, wait_until
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient

__all__ = ["browser"]  # the Chromium fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture
def ward(enqueued: list[dict[str, Any]]) -> tuple[Person, EnrolledPatient, Alert, Alert, Alert]:
    """Nina; Maria with a grade 4 platelet alert (critical) and a grade 4 ANC alert; Pedro with one."""
    nina = make_nurse()
    maria = make_patient(nina, name="Maria Lopez", tz="America/New_York")
    (platelets,) = raise_alerts(maria, [20])
    (anc,) = raise_alerts(maria, [0.3], analyte="anc")
    (pedros,) = raise_alerts(make_patient(nina, name="Pedro Alves"), [25])
    return nina, maria, platelets, anc, pedros


def focused_row(page: Any) -> str:
    return str(
        page.evaluate("(document.activeElement.closest('[data-alert-row]') || {}).id || document.activeElement.id")
    )


def rows(page: Any) -> list[str]:
    return [str(i) for i in page.eval_on_selector_all("[data-alert-row]", "rs => rs.map(r => r.id)")]


def test_assign_notes_a_hold_from_the_alert_and_a_bulk_resolve(
    live_server: Any, ward: tuple[Person, EnrolledPatient, Alert, Alert, Alert], browser: Any
) -> None:
    _, maria, platelets, anc, pedros = ward
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    order = rows(page)
    assert len(order) == 3
    first, second = order[0], order[1]

    # Assign to me from the first row: it stays in "All", the focus moves to the next row's first action.
    page.locator(f"#{first}").get_by_role("button", name=re.compile("^Assign to me")).click()
    page.locator(".queue-tab[data-view=mine]").get_by_text("1").wait_for()
    wait_until(page, f"(document.activeElement.closest('[data-alert-row]') || {{}}).id === '{second}'")
    assert page.evaluate("document.activeElement.closest('.col-actions') !== null")
    assert "Assigned to you" in page.locator(f"#{first}").inner_text()
    shot(page, "50_queue_assigned_to_me")

    # The Mine tab shows it, with the count.
    page.locator(".queue-tab[data-view=mine]").click()
    page.wait_for_url(re.compile(r"view=mine"))
    assert rows(page) == [first]

    # The Unassigned tab: assigning its last row leaves none, and the focus goes to the heading.
    page.locator(".queue-tab[data-view=unassigned]").click()
    page.wait_for_url(re.compile(r"view=unassigned"))
    assert len(rows(page)) == 2
    for _ in range(2):
        row = rows(page)[0]
        page.locator(f"#{row}").get_by_role("button", name=re.compile("^Assign to me")).click()
        page.locator(f"#{row}").wait_for(state="detached")
    wait_until(page, "document.activeElement && document.activeElement.id === 'queue-heading'")
    assert page.locator(".queue-tab[data-view=mine] .count-pill").inner_text() == "3"
    shot(page, "51_queue_unassigned_emptied")

    # Two notes on the platelet alert's thread, newest last, from its dialog.
    page.goto(f"{base}/?view=mine")
    page.locator(f"#resolve-{platelets.pk}").click()
    dialog = page.locator("#dialog")
    dialog.get_by_role("heading", name="Resolve alert").wait_for()
    for note in ("Called Maria: no answer.", "Reached her at 15:10: no bleeding."):
        details = dialog.locator("details.alert-note-add")
        if not details.evaluate("d => d.open"):
            details.locator("summary").click()
        dialog.get_by_label("Your note").fill(note)
        dialog.get_by_role("button", name="Add note").click()
        dialog.locator(".thread-note", has_text=note).wait_for()
    thread = dialog.locator(".alert-notes-list").inner_text()
    assert thread.index("no answer") < thread.index("no bleeding") and "nurse.nina" in thread

    # Hold lenalidomide from the alert: the dose panel's service.
    dialog.locator("details.alert-decide summary").click()
    dialog.get_by_label("Decision", exact=True).select_option("hold")
    dialog.get_by_label(re.compile("^Drug")).select_option("lenalidomide")
    dialog.get_by_label("Why", exact=True).fill("Platelets 20: hold until ≥ 30.")
    dialog.get_by_role("button", name="Record decision").click()
    dialog.get_by_text("Decision recorded: Hold · Lenalidomide").wait_for()
    dialog.locator(".thread-decision", has_text="Hold · Lenalidomide").wait_for()
    shot(page, "52_dialog_thread_and_hold")
    dialog.get_by_role("button", name="Cancel").click()

    # The patient page: the hold in force, the decision on the timeline and on the alert's card.
    page.goto(f"{base}/patients/{maria.patient.pk}/")
    holds = page.locator(".fact--holds").inner_text()
    assert "Hold Lenalidomide" in holds and "care team decision" in holds
    assert "Decision: Hold · Lenalidomide" in page.locator(".timeline").inner_text()
    assert "Hold · Lenalidomide" in page.locator(f"[aria-labelledby='pa-{platelets.pk}']").inner_text()
    assert off_loop(lambda: Patient.objects.get(pk=maria.patient.pk).held_drugs) == ["lenalidomide"]
    assert off_loop(lambda: DoseDecision.objects.get().subject) == f"alert:{platelets.pk}"

    # Both of Maria's alerts resolved at once.
    page.locator(f"#bulk-{platelets.pk}").check()
    page.locator(f"#bulk-{anc.pk}").check()
    form = page.locator("#bulk-resolve")
    form.get_by_label("Dose held").check()
    form.get_by_label(re.compile("^Note")).fill("Both reviewed with Dr Reyes; lenalidomide held.")
    shot(page, "53_patient_bulk_resolve")
    form.get_by_role("button", name="Resolve ticked alerts").click()
    page.get_by_text("Resolved 2 alerts").wait_for()
    assert page.locator("#patient-alerts").get_by_text("No open alerts.").is_visible()
    stored = off_loop(lambda: sorted(Alert.objects.filter(patient=maria.patient).values_list("status", flat=True)))
    assert stored == [Status.RESOLVED, Status.RESOLVED]
    notes = off_loop(lambda: AlertNote.objects.filter(alert_id=platelets.pk).count())
    assert notes == 3  # two notes, then the resolution's
    assert off_loop(lambda: Alert.objects.get(pk=pedros.pk).status) == Status.OPEN
    shot(page, "54_patient_after_bulk_resolve", full_page=True)
