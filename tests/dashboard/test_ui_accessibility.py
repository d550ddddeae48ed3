"""Every dashboard page on a desktop (1440 px), a tablet (768 px) and a phone (390 px), in Debian's
Chromium: axe-core (the npm package, tests/dashboard/node, `npm ci`) finds no violation of WCAG 2.0,
2.1 and 2.2 at levels A and AA; no page scrolls sideways; every queue action is on screen. From the
keyboard, the focused control shows an outline of at least 3:1 and nothing covers it. Screenshots
of every page at every width land in tests/artifacts/dashboard/a11y/ (full page)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Clinic, Role
from backend.alerts.models import Alert, Status
from backend.fhir.credentials import credential_create
from backend.notifications.models import Delivery, DeliveryStatus
from backend.notifications.services import contact_notify
from tests.dashboard.test_ui import ARTIFACTS, CHROMIUM, browser, clinic, off_loop, sign_in, sync_api
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse
from tests.second_factor import authenticator_for

__all__ = ["browser", "clinic"]  # the Chromium fixture and the seeded clinic, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]
assert sync_api is not None

AXE = Path(__file__).resolve().parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ARTIFACTS / "a11y"
WIDTHS = {"desktop": (1440, 900), "tablet": (768, 1024), "phone": (390, 844)}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN_AXE = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
# The page is as wide as the window: nothing sticks out past its right edge. If something does, the
# outermost elements that do, to name in the failure.
PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
STICKING_OUT = """() => {
  const edge = document.documentElement.clientWidth;
  const clipped = el => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > edge + 1 && !clipped(el));
  return out.filter(el => !out.includes(el.parentElement)).slice(0, 4)
    .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
}"""


@dataclass
class Seen:
    """What the walk found: each axe violation and each page wider than the window."""

    violations: list[str]
    overflows: list[str]
    unreachable: list[str]
    unfocused: list[str]

    def check(self, page: Any, name: str, width: str) -> None:
        page.wait_for_load_state("load")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}_{width}.png"), full_page=True)
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE.read_text())  # through DevTools: the page's script-src does not apply
        result = page.evaluate(RUN_AXE, WCAG_AA)
        for violation in result["violations"]:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
            self.violations.append(f"{name} @ {width}: {violation['id']} ({violation['impact']}) at {targets}")
        overflow = page.evaluate(PAGE_OVERFLOW)
        if overflow > 0:
            where = ", ".join(page.evaluate(STICKING_OUT))
            self.overflows.append(f"{name} @ {width}: {overflow} px wider than the window ({where})")


def _seed(nurse: Person) -> dict[str, Any]:
    """The admin's pages with something on them: a failed delivery, an integration, and two people
    half way through signing in (one with an authenticator app, one whose clinic requires a factor)."""
    admin = make_nurse("admin.ada", clinic="Riverside Oncology", role=Role.ADMIN)
    clinic_row = admin.user.clinic
    assert clinic_row is not None
    contact_notify(clinic=clinic_row, contact_key="ui-on-call", kind="escalation", addresses={"sms": "+15550100199"})
    Delivery.objects.filter(contact_key="ui-on-call").update(
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="Twilio 21614: not a mobile number",
        sent_at=None,
        attempted_at=timezone.now(),
    )
    credential_create(admin=admin.user, name="Riverside lab system")
    authenticator_for(make_nurse("nurse.vera").user)
    make_nurse("nurse.tess", clinic="Hillside Hematology")
    Clinic.objects.filter(name="Hillside Hematology").update(require_second_factor=True)
    alert = Alert.objects.filter(status=Status.OPEN).order_by("created_at").first()
    assert alert is not None
    return {"alert": alert.pk}


def _password_step(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def _queue_actions_off_screen(page: Any, width: str) -> list[str]:
    """Each of the first alert's actions (Acknowledge, Resolve) that is not wholly inside the window,
    or smaller than WCAG 2.2's 24 px target."""
    window = page.viewport_size["width"]
    missed = []
    for button in page.locator("#queue-table tbody tr").first.locator("button, a.btn").all():
        box = button.bounding_box()
        name = button.inner_text().split("\n")[0]
        if box is None or box["x"] < 0 or box["x"] + box["width"] > window:
            missed.append(f"queue @ {width}: {name} is off screen ({box})")
        elif box["height"] < 24 or box["width"] < 24:
            missed.append(f"queue @ {width}: {name} is smaller than 24 px ({box})")
    return missed


# The focused element as the person sees it: its outline, the colour behind that outline (the
# nearest opaque background around it), and whether anything is drawn over its centre.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  // What the outline is drawn over: whatever lies just below the box (past the outline's offset),
  // or else the nearest ancestor with a background.
  const gap = (parseFloat(style.outlineOffset) || 0) + (parseFloat(style.outlineWidth) || 0) / 2;
  const under = document.elementFromPoint(x, box.bottom + gap) || el.parentElement;
  let behind = "rgb(255, 255, 255)";
  for (let a = under === el || el.contains(under) ? el.parentElement : under; a; a = a.parentElement) {
    const bg = getComputedStyle(a).backgroundColor;
    if (bg.startsWith("rgb(")) { behind = bg; break; }  // opaque: a translucent one shows what is below
  }
  const name = (el.getAttribute("aria-label") || el.innerText || el.name || el.id || el.tagName).trim().split("\\n")[0];
  return {
    name: el.tagName.toLowerCase() + " " + name.slice(0, 40),
    outline: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor, behind,
    onScreen: y >= 0 && y <= innerHeight && x >= 0 && x <= innerWidth,
    covered: !(hit && (hit === el || el.contains(hit) || (el.labels && [...el.labels].some(l => l.contains(hit))))),
  };
}"""


def _luminance(css: str) -> float:
    red, green, blue = (int(c) / 255 for c in re.findall(r"[\d.]+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tab_through(page: Any, where: str, *, until: Callable[[dict[str, Any]], bool], limit: int = 60) -> list[str]:
    """Presses Tab until `until` holds for the focused element (or `limit` presses): each element
    focused must show an outline of at least 2 px at 3:1 against what is behind it, be on screen,
    and have nothing drawn over it."""
    wrong: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        what = f"{where}: {focused['name']!r}"
        if focused["outline"] == "none" or focused["width"] < 2:
            wrong.append(f"{what} shows no focus outline")
        elif contrast(focused["color"], focused["behind"]) < 3:
            wrong.append(f"{what}: outline {focused['color']} on {focused['behind']} is under 3:1")
        if not focused["onScreen"] or focused["covered"]:
            wrong.append(f"{what} is hidden (off screen or covered)")
        if until(focused):
            return wrong
    return [*wrong, f"{where}: the end of the walk was never reached"]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_and_fits_the_window(
    width: str, live_server: Any, clinic: tuple[Person, EnrolledPatient], browser: Any
) -> None:
    """One width a test (each within the suite's time limit on a busy machine): every page, signed in
    as the clinic's admin, then signed out and half way through signing in."""
    assert AXE.exists(), f"{AXE} is missing: npm ci --prefix tests/dashboard/node (make test does it)"
    nurse, maria = clinic
    base = live_server.url
    ids = off_loop(lambda: _seed(nurse))
    patient = f"{base}/patients/{maria.patient.pk}/"
    pages: list[tuple[str, str]] = [
        ("queue", f"{base}/"),
        ("patient", patient),
        ("patients", f"{base}/patients/"),
        ("cycle_start", f"{base}/cycle-start/"),
        ("enroll", f"{base}/patients/new/"),
        ("code_page", f"{patient}enrollment-code/"),
        ("resolve_page", f"{base}/alerts/{ids['alert']}/resolve/"),
        ("clinic_settings", f"{base}/clinic/settings/"),
        ("audit", f"{base}/clinic/audit/"),
        ("outcomes", f"{base}/clinic/outcomes/"),
        ("metrics", f"{base}/clinic/metrics/"),
        ("staff", f"{base}/clinic/staff/"),
        ("deliveries", f"{base}/clinic/deliveries/"),
        ("integrations", f"{base}/clinic/integrations/"),
        ("security", f"{base}/account/security/"),
        ("security_authenticator", f"{base}/account/security/authenticator/"),
    ]
    seen = Seen([], [], [], [])
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    page.goto(f"{base}/signin/")
    seen.check(page, "signin", width)
    sign_in(page, base, "admin.ada")
    for name, where in pages:
        page.goto(where)
        seen.check(page, name, width)
        if name == "queue":
            page.wait_for_selector("#queue-table tbody tr")
            seen.unreachable += _queue_actions_off_screen(page, width)
            page.locator("#queue-table tbody tr").first.get_by_role("link", name=re.compile("^Resolve")).click()
            page.locator("#dialog").get_by_role("heading", name="Resolve alert").wait_for()
            seen.check(page, "queue_resolve_dialog", width)
            page.keyboard.press("Escape")
            # From the keyboard: the queue up to the first alert's Resolve, the dialog it opens.
            page.goto(where)
            page.wait_for_selector("#queue-table tbody tr")
            seen.unfocused += _tab_through(page, f"queue @ {width}", until=lambda f: f["name"].startswith("a Resolve"))
            page.keyboard.press("Enter")
            page.locator("#dialog").get_by_role("heading", name="Resolve alert").wait_for()
            seen.unfocused += _tab_through(
                page, f"resolve dialog @ {width}", until=lambda f: f["name"] == "button Resolve alert"
            )
        if name == "clinic_settings":  # a long form above a sticky Save bar
            seen.unfocused += _tab_through(
                page, f"clinic settings @ {width}", until=lambda f: f["name"] == "button Save settings"
            )
    # Enrolling shows the code once, with its QR code.
    page.goto(f"{base}/patients/new/")
    page.get_by_label("Name").fill(f"Ada Newcomer {width}")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_role("button", name="Enroll and show the code").click()
    page.wait_for_selector(".qr")
    seen.check(page, "enrolled", width)
    context.close()

    # The second sign-in step, and setting a factor up where the clinic requires one.
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    _password_step(page, base, "nurse.vera")
    assert page.url.startswith(f"{base}/signin/verify/")
    seen.check(page, "signin_verify", width)
    context.close()
    context = browser.new_context(viewport={"width": w, "height": h})
    page = context.new_page()
    _password_step(page, base, "nurse.tess")
    assert page.url.startswith(f"{base}/signin/second-factor/")
    seen.check(page, "signin_second_factor", width)
    page.goto(f"{base}/account/security/authenticator/")
    seen.check(page, "signin_authenticator", width)
    context.close()

    problems = [
        *(["axe-core (WCAG 2.2 AA) found:", *seen.violations] if seen.violations else []),
        *(["pages that scroll sideways:", *seen.overflows] if seen.overflows else []),
        *(["queue actions out of reach:", *seen.unreachable] if seen.unreachable else []),
        *(["focus not visible:", *seen.unfocused] if seen.unfocused else []),
    ]
    assert not problems, "\n".join(problems)
