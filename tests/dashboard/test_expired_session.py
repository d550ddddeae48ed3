"""A form sent after the session ended: what was typed is kept and offered again, filled in, after
sign-in (with a fresh CSRF token), or the page says what was not saved; never a 405."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from backend.alerts.models import Alert, Status
from backend.dashboard import pending
from backend.patients.models import EnrollmentCode, Patient
from tests.dashboard.support import HTMX, raise_alerts, text
from tests.factories import PASSWORD, EnrolledPatient, Person
from tests.second_factor import authenticator_for, code_now

pytestmark = pytest.mark.django_db


def csrf_of(response: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert found, "no CSRF token on the page"
    return found.group(1)


def signed_in_browser(username: str = "nurse.nina") -> Client:
    """A browser that checks CSRF like a real one, signed in through the form."""
    client = Client(enforce_csrf_checks=True)
    token = csrf_of(client.get("/signin/"))
    response = client.post("/signin/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    return client


def session_ends() -> None:
    """The 30 minutes pass (the stored session is gone; the browser still has its cookies)."""
    Session.objects.all().delete()


def sign_in_again(client: Client, signin_url: str) -> Any:
    page = client.get(signin_url)
    next_url = re.search(r"next=([^&]+)", signin_url)
    body = {"username": "nurse.nina", "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(page)}
    return client.post(signin_url, body | ({"next": unquote(next_url.group(1))} if next_url else {}))


def test_a_resolve_note_typed_as_the_session_ended_is_offered_again_after_sign_in_and_saved(
    nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    browser = signed_in_browser()
    form = browser.get(f"/alerts/{alert.pk}/resolve/?next=/")
    session_ends()

    sent = browser.post(
        f"/alerts/{alert.pk}/resolve/",
        {
            "outcome": "dose_held",
            "note": "Held both; recheck Friday.",
            "next": "/",
            "csrfmiddlewaretoken": csrf_of(form),
        },
    )

    assert sent.status_code == 302
    assert sent["Location"] == f"/signin/?next=%2Falerts%2F{alert.pk}%2Fresolve%2F&expired=1"
    assert Alert.objects.get(pk=alert.pk).status == Status.OPEN
    signin = browser.get(sent["Location"])
    assert "Not saved yet: the resolve note." in text(signin) and "30 minutes without activity" in text(signin)
    back = sign_in_again(browser, sent["Location"])
    assert back["Location"] == f"/alerts/{alert.pk}/resolve/"
    offered = browser.get(back["Location"])
    assert offered.status_code == 200
    assert "Your session had ended before this was saved" in text(offered)
    assert "Held both; recheck Friday.</textarea>" in offered.content.decode()
    assert re.search(r'value="dose_held"[^>]*checked', offered.content.decode())

    done = browser.post(
        f"/alerts/{alert.pk}/resolve/",
        {
            "outcome": "dose_held",
            "note": "Held both; recheck Friday.",
            "next": "/",
            "csrfmiddlewaretoken": csrf_of(offered),
        },
    )

    assert done.status_code == 302 and done["Location"] == "/"
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note) == (Status.RESOLVED, "Held both; recheck Friday.")
    assert "offered again" not in text(browser.get(f"/alerts/{alert.pk}/resolve/"))  # offered once


def test_from_the_dialog_the_whole_page_goes_to_sign_in_and_back_to_the_kept_form(
    nurse: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    browser = signed_in_browser()
    token = csrf_of(browser.get("/"))
    session_ends()

    sent = browser.post(
        f"/alerts/{alert.pk}/resolve/",
        {"outcome": "other", "note": "Typed in the dialog.", "csrfmiddlewaretoken": token},
        HTTP_HX_CURRENT_URL="http://testserver/",
        **HTMX,
    )

    assert sent.status_code == 204
    assert sent["HX-Redirect"] == f"/signin/?next=%2Falerts%2F{alert.pk}%2Fresolve%2F&expired=1"
    sign_in_again(browser, sent["HX-Redirect"])
    assert "Typed in the dialog.</textarea>" in browser.get(f"/alerts/{alert.pk}/resolve/").content.decode()


def test_a_time_zone_change_is_offered_again_on_the_patient_page(nurse: Person, patient: EnrolledPatient) -> None:
    browser = signed_in_browser()
    url = f"/patients/{patient.patient.pk}/"
    token = csrf_of(browser.get(url))
    session_ends()

    sent = browser.post(f"{url}timezone/", {"timezone": "Europe/Madrid", "csrfmiddlewaretoken": token})

    assert sent["Location"] == f"/signin/?next=%2Fpatients%2F{patient.patient.pk}%2F&expired=1"
    assert sign_in_again(browser, sent["Location"])["Location"] == url
    page = browser.get(url)
    body = page.content.decode()
    assert '<details class="tz-change" open>' in body and 'value="Europe/Madrid"' in body
    assert "Not saved yet: your session had ended. Check the zone and press Change time zone." in text(page)
    assert Patient.objects.get(pk=patient.patient.pk).timezone != "Europe/Madrid"
    browser.post(f"{url}timezone/", {"timezone": "Europe/Madrid", "csrfmiddlewaretoken": csrf_of(page)})
    assert Patient.objects.get(pk=patient.patient.pk).timezone == "Europe/Madrid"


def test_a_new_code_asked_for_as_the_session_ended_is_offered_with_one_button(
    nurse: Person, patient: EnrolledPatient
) -> None:
    browser = signed_in_browser()
    url = f"/patients/{patient.patient.pk}/"
    token = csrf_of(browser.get(url))
    codes = EnrollmentCode.objects.filter(patient=patient.patient).count()
    session_ends()

    sent = browser.post(f"{url}enrollment-code/", {"csrfmiddlewaretoken": token})
    sign_in_again(browser, sent["Location"])
    page = browser.get(url)

    assert "A new enrollment code was not issued: your session had ended first." in text(page)
    assert EnrollmentCode.objects.filter(patient=patient.patient).count() == codes
    issued = browser.post(f"{url}enrollment-code/", {"csrfmiddlewaretoken": csrf_of(page)}, follow=True)
    assert EnrollmentCode.objects.filter(patient=patient.patient).count() == codes + 1
    assert re.search(r'<p class="code"[^>]*>[A-Z0-9]{4}-[A-Z0-9]{4}</p>', issued.content.decode())


def test_a_form_not_offered_again_is_named_as_not_saved(nurse: Person, patient: EnrolledPatient) -> None:
    browser = signed_in_browser()
    url = f"/patients/{patient.patient.pk}/"
    token = csrf_of(browser.get(url))
    session_ends()

    sent = browser.post(f"{url}sex/", {"sex": "male", "csrfmiddlewaretoken": token})
    sign_in_again(browser, sent["Location"])

    said = text(browser.get(url))
    assert (
        "Not saved: the sex for reference limits. Your session had ended before it arrived; please do it again." in said
    )
    assert "Not saved: the sex" not in text(browser.get(url))  # said once


def test_a_kept_form_is_not_offered_after_two_hours(nurse: Person, patient: EnrolledPatient) -> None:
    (alert,) = raise_alerts(patient, [20])
    browser = signed_in_browser()
    token = csrf_of(browser.get("/"))
    session_ends()
    sent = browser.post(
        f"/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "Old.", "csrfmiddlewaretoken": token}
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=pending.KEEP_SECONDS + 1), tick=False):
        sign_in_again(browser, sent["Location"])
        assert "Old.</textarea>" not in browser.get(f"/alerts/{alert.pk}/resolve/").content.decode()


def _dashboard_routes() -> list[tuple[str, str]]:
    resolver = get_resolver()
    (dashboard,) = [p for p in resolver.url_patterns if getattr(p, "namespace", None) == "dashboard"]
    return [(p.name, str(p.pattern)) for p in dashboard.url_patterns if isinstance(p, URLPattern) and p.name]


def _kwargs(route: str, patient: EnrolledPatient, alert: Alert, user_id: int) -> dict[str, Any]:
    values = {
        "patient_id": patient.patient.pk,
        "alert_id": alert.pk,
        "user_id": user_id,
        "device_id": 1,
        "delivery_id": 1,
        "analyte": "creatinine",
        "channel": "sms",
        "kind": "totp",
        "credential_id": "00000000-0000-4000-8000-000000000001",
    }
    return {name: values[name] for name in re.findall(r"<(?:\w+:)?(\w+)>", route)}


def test_every_post_only_page_is_kept_and_a_sign_in_towards_it_lands_on_its_page_not_a_405(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    (alert,) = raise_alerts(patient, [20])
    post_only = []
    for name, route in _dashboard_routes():
        if name in ("signout", "signin") or name in pending.NOT_FORMS:
            continue
        path = reverse(f"dashboard:{name}", kwargs=_kwargs(route, patient, alert, clinic_admin.user.pk))
        if admin_browser.get(path).status_code == 405:
            post_only.append(name)
            assert name in pending.FORMS, f"{name}: a form posted to it after the session ended would be lost"
            landing = pending.landing(path)
            assert landing != path and admin_browser.get(landing).status_code == 200, name
    assert {"alert-acknowledge", "patient-timezone", "patient-sex"} <= set(post_only)


def test_a_sign_in_whose_next_is_a_post_only_url_lands_on_its_page(nurse: Person, patient: EnrolledPatient) -> None:
    client = Client()
    target = f"/patients/{patient.patient.pk}/timezone/"
    response = client.post(f"/signin/?next={target}", {"username": "nurse.nina", "password": PASSWORD, "next": target})
    assert response["Location"] == f"/patients/{patient.patient.pk}/"


def test_signing_in_leads_to_the_kept_form_whatever_next_the_polling_asked_for(
    nurse: Person, patient: EnrolledPatient
) -> None:
    """The queue's polling, answered after the session ended, sends the page to sign in with
    `next=/`; the form posted at the same moment is kept, and signing in leads to it."""
    (alert,) = raise_alerts(patient, [20])
    browser = signed_in_browser()
    token = csrf_of(browser.get("/"))
    session_ends()
    browser.post(f"/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "Kept.", "csrfmiddlewaretoken": token})

    back = sign_in_again(browser, "/signin/?next=/&expired=1")

    assert back["Location"] == f"/alerts/{alert.pk}/resolve/"


def test_a_password_typed_as_the_session_ended_is_not_kept(clinic_admin: Person) -> None:
    browser = Client()
    browser.force_login(clinic_admin.user)
    session_ends()
    body = {"username": "nurse.new", "role": "nurse", "password": "plum-kettle-harbour-92"}
    browser.post("/clinic/staff/", body)
    kept = browser.session[pending.KEY]
    assert kept["fields"] == {"username": ["nurse.new"], "role": ["nurse"]} and kept["what"] == "the new staff member"


def test_with_a_second_factor_the_kept_form_survives_both_steps_and_is_where_signing_in_leads(
    nurse: Person, patient: EnrolledPatient
) -> None:
    """The password step and the code step keep the session's data (signing in cycles its key,
    never empties it): the kept note is offered after the code, not lost between the steps."""
    (alert,) = raise_alerts(patient, [20])
    device = authenticator_for(nurse.user)
    browser = Client(enforce_csrf_checks=True)
    token = csrf_of(browser.get("/signin/"))
    browser.post("/signin/", {"username": "nurse.nina", "password": PASSWORD, "csrfmiddlewaretoken": token})
    browser.post("/signin/verify/", {"code": code_now(device), "csrfmiddlewaretoken": token})
    token = csrf_of(browser.get("/"))
    session_ends()
    sent = browser.post(
        f"/alerts/{alert.pk}/resolve/", {"outcome": "other", "note": "Kept.", "csrfmiddlewaretoken": token}
    )

    page = browser.get(sent["Location"])
    step = browser.post(
        sent["Location"], {"username": "nurse.nina", "password": PASSWORD, "csrfmiddlewaretoken": csrf_of(page)}
    )
    assert step["Location"] == "/signin/verify/"
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):  # the next code
        done = browser.post("/signin/verify/", {"code": code_now(device), "csrfmiddlewaretoken": csrf_of(page)})
        assert done["Location"] == f"/alerts/{alert.pk}/resolve/"
        assert "Kept.</textarea>" in browser.get(done["Location"]).content.decode()
