"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright against a live
test server. A nurse signs in; a patient's phone syncs a grade 4 platelet count and the alert appears
in the open queue without a reload; she acknowledges and resolves it in place; the patient page shows
it on the chart, and she moves the patient to another time zone. A long queue is paged, and the page
she is on stays live. Screenshots of every page land in tests/artifacts/dashboard/ (1366×768)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.alerts.models import Alert, Severity, Status
from backend.alerts.services import alert_resolve
from backend.patients.models import Patient
from backend.response.services import markers_record
from shared import regimen
from tests.dashboard.support import add_alerts, alert_listing, grade_all, raise_alerts, sync
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse, make_patient, symptom_item

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}
T = TypeVar("T")

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

sync_api = pytest.importorskip("playwright.sync_api")


def off_loop(work: Callable[[], T]) -> T:
    """Database work while the browser runs. Playwright's sync API keeps an asyncio loop on this
    thread, where Django refuses ORM calls; a short-lived thread of its own does them instead and
    closes its connection, so none is left open when the test database is dropped."""

    def run() -> T:
        try:
            return work()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


# Reported by every page: the browser's own securitypolicyviolation event, as a console line. The
# init script runs through the DevTools protocol, outside the page's Content-Security-Policy.
REPORT_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective);
  const where = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : "";
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " in " + e.documentURI + " at " + where);
});
"""


# Third-party requests the policy is meant to block, which break nothing: ReDoc's "API docs by
# Redocly" logo comes from its CDN (the sidebar shows the link without the image).
BLOCKED_BY_DESIGN = ("https://cdn.redoc.ly/",)


def _csp_violation(text: str) -> bool:
    if any(url in text for url in BLOCKED_BY_DESIGN):
        return False
    return text.startswith("CSP violation:") or "Content Security Policy" in text


class CspWatchedBrowser:
    """Chromium, where every context records each Content-Security-Policy violation its pages
    report (Chromium's console message and the securitypolicyviolation event)."""

    def __init__(self, chromium: Any) -> None:
        self.chromium = chromium
        self.violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self.chromium.new_context(**options)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", lambda m: self.violations.append(m.text) if _csp_violation(m.text) else None)
        return context


@pytest.fixture
def browser(settings: Any) -> Iterator[CspWatchedBrowser]:
    """Fails the test on any Content-Security-Policy violation: the dashboard must work, htmx and
    charts included, under the strict policy (backend/core/security_headers.py)."""
    settings.CARELOOP_DASHBOARD_POLL_SECONDS = 1  # the queue's polling, shortened: the test waits less
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        watched = CspWatchedBrowser(chromium)
        try:
            yield watched
        finally:
            chromium.close()
        if watched.violations:
            pytest.fail("Content-Security-Policy violations:\n" + "\n".join(watched.violations))


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def wait_until(page: Any, expression: str, timeout_s: float = 10.0) -> None:
    """Polls `expression` with page.evaluate until it is true. Not page.wait_for_function: Playwright
    re-checks a string predicate with eval() inside the page, which the dashboard's policy (no
    'unsafe-eval') refuses whenever the first check fails: a test that failed only when slow."""
    deadline = monotonic() + timeout_s
    while not page.evaluate(expression):
        assert monotonic() < deadline, f"not true within {timeout_s} s: {expression}"
        page.wait_for_timeout(50)


def sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def phone_sync(base: str, patient: EnrolledPatient, body: dict[str, Any]) -> dict[str, Any]:
    """What the patient's phone does: POST /api/v1/sync/ over HTTP with its own token."""
    request = urllib.request.Request(  # noqa: S310 - the live test server
        f"{base}/api/v1/sync/",
        data=json.dumps({"cursor": None, **body}).encode(),
        headers={"Authorization": f"Bearer {patient.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def _history(start: date, today: date, tz: ZoneInfo) -> dict[str, list[dict[str, Any]]]:
    """Two and a half cycles of counts sagging into each nadir, and the doses she logged."""
    labs: list[dict[str, Any]] = []
    counts = ((1, 190, 3.1), (8, 150, 2.4), (15, 96, 1.7), (21, 110, 1.9), (29, 185, 3.0), (36, 120, 2.1))
    counts += ((43, 61, 1.3), (50, 95, 1.6), (57, 180, 2.9), (64, 110, 1.8))
    for day, platelets, anc in counts:
        at = datetime.combine(start + timedelta(days=day - 1), time(8, 30), tzinfo=tz).isoformat()
        for analyte, value, unit in (
            ("platelets", platelets, "K/uL"),
            ("anc", anc, "K/uL"),
            ("hemoglobin", 11.2, "g/dL"),
        ):
            labs.append({"id": str(uuid.uuid4()), "analyte": analyte, "value": value, "unit": unit, "collected_at": at})
    doses: list[dict[str, Any]] = []
    day = start
    while day < today:
        for drug in (*regimen.drugs_due(start, day), regimen.Drug.ANTIVIRAL):
            status = "skipped" if (day - start).days in (9, 44) and drug is regimen.Drug.LENALIDOMIDE else "taken"
            at = datetime.combine(day, time(9), tzinfo=tz).isoformat()
            doses.append({"id": str(uuid.uuid4()), "drug": drug.value, "status": status, "taken_at": at})
        day += timedelta(days=1)
    return {"lab_results": labs, "dose_logs": doses}


@pytest.fixture
def clinic(enqueued: list[dict[str, Any]]) -> tuple[Person, EnrolledPatient]:
    """A nurse; Maria on day 20 of cycle 3 with earlier nadirs and her doses; two open alerts."""
    nurse = make_nurse()
    maria = make_patient(nurse, name="Maria Lopez", tz="America/New_York")
    tz = ZoneInfo("America/New_York")
    today = timezone.now().astimezone(tz).date()
    start = today - timedelta(days=75)
    Patient.objects.filter(pk=maria.patient.pk).update(start_date=start)
    sync(maria, **_history(start, today, tz))
    sync(
        maria,
        symptom_reports=[symptom_item("diarrhea", {"stools_above_usual": 2}, reported_at=timezone.now().isoformat())],
    )
    # Her myeloma markers, entered by the care team: serum and urine M-protein falling to a VGPR.
    markers = []
    for day, serum, urine in ((-3, 3.2, 420), (29, 1.5, 160), (57, 0.28, 60)):
        at = datetime.combine(start + timedelta(days=day - 1 if day > 0 else day), time(7, 45), tzinfo=tz).isoformat()
        markers += [
            {"id": str(uuid.uuid4()), "marker": "serum_m_protein", "value": serum, "unit": "g/dL", "collected_at": at},
            {
                "id": str(uuid.uuid4()),
                "marker": "urine_m_protein",
                "value": urine,
                "unit": "mg/24h",
                "collected_at": at,
            },
        ]
    markers_record(patient=maria.patient, body=markers, user=nurse.user, now=timezone.now())
    james = make_patient(nurse, name="James Carter", tz="Europe/London")
    raise_alerts(james, [0.8], analyte="anc", start=timezone.now() - timedelta(hours=5))
    raise_alerts(maria, [38], start=timezone.now() - timedelta(days=1))
    grade_all()
    return nurse, maria


def test_a_nurse_triages_a_new_alert_live_and_sees_it_on_the_chart(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    _, maria = clinic
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()

    page.goto(f"{base}/signin/")
    shot(page, "01_signin")
    sign_in(page, base, "nurse.nina")
    page.wait_for_selector("#queue-table tbody tr")
    shot(page, "02_queue")
    page.evaluate("window.__sameDocument = true")

    # The phone syncs a grade 4 platelet count; the worker (here: the test) grades it. Maria's grade 3
    # platelet alert is still open: the count joins it (contract §4, episodes), which becomes critical.
    reading = {
        "id": str(uuid.uuid4()),
        "analyte": "platelets",
        "value": 22,
        "unit": "K/uL",
        "collected_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
    }
    assert phone_sync(base, maria, {"lab_results": [reading]})["accepted"] == [reading["id"]]

    def graded() -> Alert:  # what the Celery worker does after the sync commits
        grade_all()
        alert = alert_listing(maria, reading["id"])
        assert alert is not None
        return alert

    alert = off_loop(graded)
    row = page.locator(f"#alert-{alert.pk}")
    page.locator(f"#alert-{alert.pk}.row--critical").wait_for(timeout=10_000)  # the queue's next poll brings it
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert page.locator("#queue-table tbody tr").first.get_attribute("id") == f"alert-{alert.pk}"  # critical first
    assert "WORSE" in row.inner_text().upper() and "Ixazomib" in row.inner_text() and "Lenalidomide" in row.inner_text()
    assert "Platelets 22 ×10⁹/L" in row.inner_text() and "2 readings" in row.inner_text()  # sent as 22 K/uL
    assert re.search(r"1[45] min left", row.inner_text())
    assert page.title().startswith("(2)")  # still two problems: Maria's count joined her alert
    shot(page, "03_queue_new_alert")

    with page.expect_request(lambda r: r.url.endswith("/acknowledge/")) as acknowledging:
        row.get_by_role("button", name=re.compile("^Acknowledge")).click()
    # A person's click is activity (it renews the session); only the polling is marked as polling.
    assert "x-careloop-poll" not in acknowledging.value.headers
    page.locator(f"#alert-{alert.pk}").get_by_text("Acknowledged by nurse.nina").wait_for()
    assert off_loop(lambda: Alert.objects.get(pk=alert.pk).status) == Status.ACKNOWLEDGED

    # Resolve from the keyboard: focus the row's Resolve link, Enter opens the dialog.
    page.locator(f"#resolve-{alert.pk}").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#dialog")
    dialog.get_by_role("heading", name="Resolve alert").wait_for()
    assert page.evaluate("document.getElementById('dialog').open") is True
    dialog.get_by_label("Dose held").check()
    dialog.get_by_label(re.compile("^Note")).fill("Called Maria: holding ixazomib and lenalidomide, CBC on Friday.")
    shot(page, "04_resolve_dialog")
    dialog.get_by_role("button", name="Resolve alert").click()
    page.locator(f"#alert-{alert.pk}").wait_for(state="detached")
    assert page.evaluate("document.getElementById('dialog').open") is False
    assert "Resolved: Grade 4 thrombocytopenia — Maria Lopez." in page.locator("#flash").inner_text()
    resolved = off_loop(lambda: Alert.objects.get(pk=alert.pk))
    assert (resolved.status, resolved.outcome) == (Status.RESOLVED, "dose_held")
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "05_queue_after_resolve")

    # The patient page: the grade 4 reading is on the platelet chart, marked and labelled.
    # Her only alert is resolved, so she is no longer in the queue: the patient list leads there.
    page.goto(f"{base}/patients/")
    page.get_by_role("link", name="Maria Lopez").first.click()
    page.wait_for_selector("#chart-platelets")
    g4 = page.locator("#chart-platelets .pt-g4")
    assert g4.count() == 1 and "G4 · 22" in (g4.text_content() or "")
    assert g4.is_visible()
    assert page.locator("#chart-platelets .span").count() >= 3  # three cycles' nadir windows
    assert page.locator("#chart-platelets .dose").count() >= 8
    assert "Dose held: Grade 4 thrombocytopenia" in page.locator(".timeline").inner_text()
    shot(page, "06_patient")
    shot(page, "06_patient_full", full_page=True)
    response = page.locator("#response")
    assert "VGPR" in response.inner_text() and page.locator("#response svg line.ref-pd").count() == 1
    response.scroll_into_view_if_needed()
    response.screenshot(path=str(ARTIFACTS / "06d_patient_response.png"))

    # Maria is away for some weeks: the nurse moves her to Berlin, by mistake first with a made-up zone.
    page.locator(".tz-change summary").click()
    zone = page.get_by_label("New time zone")
    zone.fill("Europe/Berlinn")
    page.get_by_role("button", name="Change time zone").click()
    page.locator("#id_timezone_error").wait_for()
    assert zone.get_attribute("aria-describedby") == "id_timezone_helptext id_timezone_error"
    shot(page, "06b_patient_timezone_error")
    zone.fill("Europe/Berlin")
    page.get_by_role("button", name="Change time zone").click()
    page.wait_for_url(f"{base}/patients/{maria.patient.pk}/")
    assert "Time zone changed to Europe/Berlin. Reminders now follow it." in page.locator("#flash").inner_text()
    assert "Time zone Europe/Berlin" in page.locator(".tz-current").inner_text()
    assert off_loop(lambda: Patient.objects.get(pk=maria.patient.pk).timezone) == "Europe/Berlin"
    shot(page, "06c_patient_timezone_changed")

    # Enroll a patient: the code and its QR code.
    page.get_by_role("link", name="Enroll patient").click()
    page.get_by_label("Name").fill("Ada Newcomer")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_label("Phone").fill("+1 555 0142")
    shot(page, "07_enroll")
    page.get_by_role("button", name="Enroll and show the code").click()
    page.wait_for_selector(".qr")
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", page.locator(".code").inner_text().strip())
    shot(page, "08_enrolled")
    # A reload asks for the code's page again (post/redirect/get): nobody else is enrolled, and the
    # code, shown once, is not shown again.
    page.reload()
    page.get_by_text("The code was shown once, when it was issued, and is not shown again.").wait_for()
    assert off_loop(lambda: Patient.objects.filter(display_name="Ada Newcomer").count()) == 1
    shot(page, "08b_enrolled_reloaded")

    page.get_by_role("link", name="Patients").first.click()
    page.wait_for_selector("text=Ada Newcomer")
    shot(page, "09_patients")


def test_the_admin_pages_another_clinics_nurse_and_a_patient(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    _, maria = clinic
    base = live_server.url
    off_loop(lambda: make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN))
    off_loop(lambda: make_nurse("nurse.olga", clinic="Hillside Hematology"))

    admin = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(admin, base, "admin.ada")
    admin.get_by_role("link", name="Clinic settings").click()
    admin.get_by_label("Platelets").select_option("2")
    admin.get_by_label("Critical alerts (minutes)").fill("10")
    shot(admin, "10_clinic_settings")
    admin.get_by_role("button", name="Save settings").click()
    admin.get_by_text("Clinic settings saved.").wait_for()
    admin.get_by_role("link", name="Audit trail").click()
    admin.wait_for_selector("table tbody tr")
    assert "update" in admin.locator("table").inner_text()
    shot(admin, "11_audit_trail")

    other = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(other, base, "nurse.olga")
    assert "Maria Lopez" not in other.locator("main").inner_text()
    response = other.goto(f"{base}/patients/{maria.patient.pk}/")
    assert response is not None and response.status == 404
    assert "Maria Lopez" not in other.content()
    shot(other, "12_other_clinic_refused")

    # A patient (here given a password) is refused with a reason, not signed in.
    maria.user.set_password(PASSWORD)
    off_loop(maria.user.save)
    phone = browser.new_context(viewport=VIEWPORT).new_page()
    phone.goto(f"{base}/signin/")
    phone.get_by_label("Username").fill(maria.user.username)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.get_by_role("alert").wait_for()
    assert "The dashboard is for clinic staff" in phone.get_by_role("alert").inner_text()
    assert phone.url.endswith("/signin/")
    shot(phone, "13_patient_refused")


def test_a_nurse_pages_through_a_long_queue_and_the_page_stays_live(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    nurse, maria = clinic
    base = live_server.url
    # 60 more open urgent alerts: 62 in all, 50 a page.
    off_loop(
        lambda: add_alerts(
            maria.patient,
            status=Status.OPEN,
            severity=Severity.URGENT,
            at=timezone.now() - timedelta(days=3),
            count=60,
            step=timedelta(minutes=1),
        )
    )
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "nurse.nina")
    rows = page.locator("#queue-table tbody tr")
    pager = page.get_by_role("navigation", name="Queue pages")

    def shown() -> list[str]:
        return rows.evaluate_all("rows => rows.map(row => row.id)")

    first = shown()
    assert len(first) == 50 and pager.get_by_text("Showing 1–50 of 62").is_visible()
    assert pager.get_by_role("link", name="Previous").count() == 0
    pager.scroll_into_view_if_needed()
    shot(page, "14_queue_pager")

    pager.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    second = shown()
    assert len(second) == 12 and not set(first) & set(second)
    assert pager.get_by_text("Showing 51–62 of 62").is_visible()
    shot(page, "15_queue_page_2", full_page=True)

    # Another nurse resolves the first alert of page 2: the polling brings page 2 again, one shorter.
    page.evaluate("window.__sameDocument = true")
    gone = uuid.UUID(second[0].removeprefix("alert-"))
    off_loop(lambda: alert_resolve(user=nurse.user, alert_id=gone, note="Called."))
    page.locator(f"#{second[0]}").wait_for(state="detached", timeout=10_000)
    assert shown() == second[1:] and pager.get_by_text("Showing 51–61 of 61").is_visible()
    assert page.evaluate("window.__sameDocument") is True and page.locator("#queue-page").input_value() == "2"

    pager.get_by_role("link", name="Previous").click()
    page.wait_for_url(f"{base}/?status=unresolved")
    assert shown() == first and pager.get_by_text("Showing 1–50 of 61").is_visible()


def test_a_content_security_policy_violation_fails_the_browser_tests(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: CspWatchedBrowser
) -> None:
    """The watch itself: an inline script and an inline style attribute on a dashboard page are
    blocked by the policy and recorded, so the fixture would fail the test."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, live_server.url, "nurse.nina")
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.body.appendChild(s);
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        }"""
    )
    wait_until(page, "window.__cspViolations.length >= 2")  # the events come asynchronously
    assert page.evaluate("() => window.injected === undefined")  # blocked, not run
    assert any("script-src" in v for v in browser.violations), browser.violations
    assert any("style-src" in v for v in browser.violations), browser.violations
    browser.violations.clear()  # seen: this test passes


def test_the_api_docs_and_the_django_admin_work_under_the_policy(
    live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: CspWatchedBrowser
) -> None:
    """The pages outside the dashboard run under the same policy without a violation: Swagger UI
    (its script from ?script), ReDoc, and the Django admin an engineer signs in to."""
    base = live_server.url
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{base}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI fetched the schema and drew it
    page.locator(".opblock").first.wait_for()
    shot(page, "16_api_docs")
    page.goto(f"{base}/api/redoc/")
    page.get_by_role("heading", name="CareLoop API").first.wait_for()
    shot(page, "17_api_redoc")

    off_loop(lambda: User.objects.create_superuser(username="root.engineer", password=PASSWORD))
    page.goto(f"{base}/admin/")  # the admin's sign-in is the dashboard's (lockout, second factor)
    page.get_by_label("Username").fill("root.engineer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}/admin/patients/patient/")
    page.get_by_role("link", name="Maria Lopez").first.wait_for()
    shot(page, "18_django_admin")


def fhir_get(base: str, path: str, token: str) -> int:
    """What the clinic's lab system does: a FHIR read with its integration credential's token."""
    request = urllib.request.Request(  # noqa: S310 - the live test server
        f"{base}{path}", headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert json.loads(response.read())["resourceType"] == "Patient"
            return int(response.status)
    except urllib.error.HTTPError as refused:
        assert json.loads(refused.read())["resourceType"] == "OperationOutcome"
        return refused.code


def test_the_admin_creates_an_integration_credential_the_lab_system_uses_it_and_she_revokes_it(
    live_server: Any, browser: Any
) -> None:
    base = live_server.url

    def world() -> EnrolledPatient:
        make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN)
        return make_patient(make_nurse(), name="Maria Lopez")

    maria = off_loop(world)
    page = browser.new_context(viewport=VIEWPORT).new_page()
    sign_in(page, base, "admin.ada")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.get_by_role("heading", name="Integrations").wait_for()
    page.get_by_label("Name").fill("Riverside lab system")
    page.get_by_role("button", name="Create credential").click()
    page.wait_for_url(f"{base}/clinic/integrations/")  # post/redirect/get
    token = page.get_by_role("textbox", name="Token", exact=True).input_value()
    assert token.startswith("clfhir_")
    assert "Copy it now: it is shown only this once." in page.get_by_role("alert").inner_text()
    shot(page, "19_integration_token")

    patient_path = f"/fhir/Patient/{maria.patient.pk}"
    assert fhir_get(base, patient_path, token) == 200
    page.reload()  # the token is gone, and no second credential was made
    assert page.get_by_role("textbox", name="Token", exact=True).count() == 0
    row = page.locator("tbody tr", has_text="Riverside lab system")
    assert row.count() == 1 and "ACTIVE" in row.inner_text().upper() and "Never" not in row.inner_text()  # used

    row.get_by_role("button", name="Revoke Riverside lab system").click()
    page.get_by_text("Riverside lab system is revoked").wait_for()
    assert "REVOKED" in page.locator("tbody tr", has_text="Riverside lab system").inner_text().upper()
    shot(page, "20_integration_revoked")
    assert fhir_get(base, patient_path, token) == 401
