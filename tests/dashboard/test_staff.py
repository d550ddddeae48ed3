"""Specification: a clinic admin manages the clinic's staff in the dashboard (the Django admin is for
engineers): lists them, adds a nurse or admin under the staff password rules, deactivates one (out
of every device and browser at once) and reactivates them, and lifts a sign-in lockout. Nurses
cannot; another clinic's accounts are the same 404 as none; every change is on the audit trail."""

from __future__ import annotations

import html
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import DeviceToken, Role, User
from backend.audit.models import AuditEvent
from backend.dashboard import staff
from tests.backend.caregivers.support import make_caregiver
from tests.dashboard.conftest import signed_in
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "plum-kettle-harbour-92"


def lock_out(username: str, failures: int = 5, ip: str = "10.0.0.7") -> None:
    """What django-axes leaves after `failures` wrong passwords for `username` from one address."""
    AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="test",
        http_accept="*/*",
        path_info="/signin/",
        attempt_time=timezone.now(),
        failures_since_start=failures,
    )


def wrong_passwords(username: str, times: int) -> Any:
    client = Client(REMOTE_ADDR="10.0.0.7")
    response = None
    for _ in range(times):
        response = client.post("/signin/", {"username": username, "password": "not-the-password"})
    return response


def add(browser: Client, **fields: str) -> Any:
    data = {"username": "nurse.noor", "first_name": "Noor", "last_name": "Haddad", "role": "nurse"}
    return browser.post("/clinic/staff/", data | {"password": GOOD_PASSWORD} | fields)


# --- Who may open it ---------------------------------------------------------------------------


def test_it_is_for_clinic_admins_only(nurse_browser: Client, admin_browser: Client) -> None:
    assert admin_browser.get("/clinic/staff/").status_code == 200
    assert nurse_browser.get("/clinic/staff/").status_code == 403
    assert Client().get("/clinic/staff/").status_code == 302  # to the sign-in page


def test_the_nav_links_it_and_the_deliveries_for_admins_only(nurse_browser: Client, admin_browser: Client) -> None:
    assert 'href="/clinic/staff/"' in admin_browser.get("/").content.decode()
    assert 'href="/clinic/deliveries/"' in admin_browser.get("/").content.decode()
    assert 'href="/clinic/staff/"' not in nurse_browser.get("/").content.decode()


def test_it_lists_this_clinics_staff_and_no_one_else(
    admin_browser: Client, nurse: Person, other_clinic_nurse: Person, patient: EnrolledPatient
) -> None:
    page = admin_browser.get("/clinic/staff/").content.decode()
    assert nurse.user.username in page and "admin.ada" in page
    assert other_clinic_nurse.user.username not in page
    assert patient.user.username not in page


# --- Adding ------------------------------------------------------------------------------------


def test_an_admin_adds_a_nurse_who_can_then_sign_in(admin_browser: Client, clinic_admin: Person) -> None:
    response = add(admin_browser)
    assert response.status_code == 302 and response["Location"] == "/clinic/staff/"
    user = User.objects.get(username="nurse.noor")
    assert (user.role, user.clinic_id, user.is_staff, user.is_superuser) == (
        Role.NURSE,
        clinic_admin.user.clinic_id,
        False,
        False,
    )
    assert Client().post("/signin/", {"username": "nurse.noor", "password": GOOD_PASSWORD}).status_code == 302
    event = AuditEvent.objects.get(resource="user", action="create")
    assert (event.actor_id, event.object_id) == (clinic_admin.user.pk, str(user.pk))


def test_a_reload_after_adding_adds_nothing(admin_browser: Client) -> None:
    first = add(admin_browser)
    page = admin_browser.get(first["Location"])  # post-redirect-get: a reload is this GET
    assert "Noor Haddad can now sign in as Nurse" in page.content.decode()
    assert User.objects.filter(username="nurse.noor").count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass1", "at least 12 characters"),
        ("nurse.noor.1", "too similar"),
        ("123456789012345", "entirely numeric"),
        ("qwerty123456", "too common"),
    ],
)
def test_a_password_the_api_refuses_is_refused_and_nothing_is_stored(
    admin_browser: Client, password: str, reason: str
) -> None:
    response = add(admin_browser, password=password)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not User.objects.filter(username="nurse.noor").exists()
    assert not AuditEvent.objects.filter(resource="user").exists()


def test_a_taken_username_is_refused_even_in_another_clinic_and_its_password_is_untouched(
    admin_browser: Client, other_clinic_nurse: Person
) -> None:
    taken = other_clinic_nurse.user.username.upper()
    response = add(admin_browser, username=taken)
    assert response.status_code == 400 and "That username is taken" in response.content.decode()
    other_clinic_nurse.user.refresh_from_db()
    assert other_clinic_nurse.user.check_password(PASSWORD)


def test_an_admin_may_add_another_admin_but_nobody_else(admin_browser: Client) -> None:
    assert add(admin_browser, username="admin.abe", role="admin").status_code == 302
    assert User.objects.get(username="admin.abe").role == Role.ADMIN
    assert add(admin_browser, username="cg.carl", role="caregiver").status_code == 400
    assert not User.objects.filter(username="cg.carl").exists()


def test_the_password_never_comes_back_in_the_page(admin_browser: Client) -> None:
    response = add(admin_browser, password="short-pass1")
    assert "short-pass1" not in response.content.decode()


def test_a_nurse_cannot_add_staff(nurse_browser: Client) -> None:
    assert add(nurse_browser).status_code == 403
    assert not User.objects.filter(username="nurse.noor").exists()


# --- Deactivating and reactivating -------------------------------------------------------------


def test_deactivating_a_nurse_signs_her_out_everywhere(admin_browser: Client, nurse: Person) -> None:
    her_browser = signed_in(nurse)
    assert her_browser.get("/").status_code == 200
    response = admin_browser.post(f"/clinic/staff/{nurse.user.pk}/deactivate/")
    assert response.status_code == 302
    nurse.user.refresh_from_db()
    assert not nurse.user.is_active
    assert not DeviceToken.objects.filter(user=nurse.user, revoked_at__isnull=True).exists()
    assert all(s.get_decoded().get("_auth_user_id") != str(nurse.user.pk) for s in Session.objects.all())
    assert her_browser.get("/").status_code == 302  # to the sign-in page
    assert nurse.client().get("/api/v1/alerts/").status_code == 401
    event = AuditEvent.objects.get(resource="user", action="update")
    assert event.object_id == str(nurse.user.pk) and "deactivated" in event.detail


def test_a_reactivated_nurse_signs_in_again_but_her_old_tokens_stay_revoked(
    admin_browser: Client, nurse: Person
) -> None:
    admin_browser.post(f"/clinic/staff/{nurse.user.pk}/deactivate/")
    response = admin_browser.post(f"/clinic/staff/{nurse.user.pk}/reactivate/")
    assert response.status_code == 302
    nurse.user.refresh_from_db()
    assert nurse.user.is_active
    assert nurse.client().get("/api/v1/alerts/").status_code == 401
    credentials = {"username": nurse.user.username, "password": PASSWORD}
    token = APIClient().post("/api/v1/auth/token/", credentials, format="json")
    assert token.status_code == 200


def test_deactivating_twice_records_one_change(admin_browser: Client, nurse: Person) -> None:
    admin_browser.post(f"/clinic/staff/{nurse.user.pk}/deactivate/")
    admin_browser.post(f"/clinic/staff/{nurse.user.pk}/deactivate/")
    assert AuditEvent.objects.filter(resource="user", action="update").count() == 1


def test_an_admin_cannot_deactivate_herself(admin_browser: Client, clinic_admin: Person) -> None:
    response = admin_browser.post(f"/clinic/staff/{clinic_admin.user.pk}/deactivate/", follow=True)
    assert str(staff.NOT_YOURSELF) in response.content.decode()
    clinic_admin.user.refresh_from_db()
    assert clinic_admin.user.is_active


def test_an_engineers_superuser_account_in_the_clinic_is_not_the_admins_to_deactivate(
    admin_browser: Client, clinic_admin: Person
) -> None:
    engineer = User.objects.create_superuser(
        username="root.eng", password=PASSWORD, role=Role.ADMIN, clinic=clinic_admin.user.clinic
    )
    response = admin_browser.post(f"/clinic/staff/{engineer.pk}/deactivate/", follow=True)
    assert str(staff.ENGINEER_ACCOUNT) in html.unescape(response.content.decode())
    engineer.refresh_from_db()
    assert engineer.is_active


def test_another_clinics_nurse_is_not_found_and_untouched(admin_browser: Client, other_clinic_nurse: Person) -> None:
    for action in ("deactivate", "reactivate", "unlock"):
        response = admin_browser.post(f"/clinic/staff/{other_clinic_nurse.user.pk}/{action}/")
        assert response.status_code == 404, action
    other_clinic_nurse.user.refresh_from_db()
    assert other_clinic_nurse.user.is_active
    refused = AuditEvent.objects.filter(action="refused", resource="dashboard:staff-deactivate")
    assert refused.count() == 1


def test_patients_are_not_staff_to_deactivate(admin_browser: Client, patient: EnrolledPatient) -> None:
    assert admin_browser.post(f"/clinic/staff/{patient.user.pk}/deactivate/").status_code == 404
    patient.user.refresh_from_db()
    assert patient.user.is_active


def test_a_nurse_cannot_deactivate_a_colleague(nurse_browser: Client, clinic_admin: Person) -> None:
    assert nurse_browser.post(f"/clinic/staff/{clinic_admin.user.pk}/deactivate/").status_code == 403
    clinic_admin.user.refresh_from_db()
    assert clinic_admin.user.is_active


def test_the_actions_need_the_csrf_token(clinic_admin: Person, nurse: Person) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinic_admin.user)
    assert browser.post(f"/clinic/staff/{nurse.user.pk}/deactivate/").status_code == 403
    nurse.user.refresh_from_db()
    assert nurse.user.is_active


def test_the_actions_are_posts_only(admin_browser: Client, nurse: Person) -> None:
    assert admin_browser.get(f"/clinic/staff/{nurse.user.pk}/deactivate/").status_code == 405


# --- Unlocking ---------------------------------------------------------------------------------


def test_five_wrong_passwords_show_the_nurse_as_locked_out(admin_browser: Client, nurse: Person) -> None:
    assert wrong_passwords(nurse.user.username, 5).status_code == 429
    page = admin_browser.get("/clinic/staff/").content.decode()
    assert "Locked out" in page
    assert f"/clinic/staff/{nurse.user.pk}/unlock/" in page


def test_unlocking_lets_the_nurse_sign_in_at_once(admin_browser: Client, nurse: Person) -> None:
    wrong_passwords(nurse.user.username, 5)
    locked = Client(REMOTE_ADDR="10.0.0.7")
    assert locked.post("/signin/", {"username": nurse.user.username, "password": PASSWORD}).status_code == 429
    response = admin_browser.post(f"/clinic/staff/{nurse.user.pk}/unlock/", follow=True)
    assert "can sign in again now" in response.content.decode()
    assert locked.post("/signin/", {"username": nurse.user.username, "password": PASSWORD}).status_code == 302
    event = AuditEvent.objects.get(resource="user", action="update")
    assert event.detail == f"sign-in unlocked: {nurse.user.username}"


def test_unlocking_someone_not_locked_changes_and_records_nothing(admin_browser: Client, nurse: Person) -> None:
    response = admin_browser.post(f"/clinic/staff/{nurse.user.pk}/unlock/", follow=True)
    assert "had no failed sign-ins" in response.content.decode()
    assert not AuditEvent.objects.filter(resource="user").exists()


def test_unlocking_one_nurse_leaves_another_locked(admin_browser: Client, nurse: Person) -> None:
    colleague = make_nurse("nurse.nora")
    lock_out(nurse.user.username)
    lock_out(colleague.user.username)
    admin_browser.post(f"/clinic/staff/{nurse.user.pk}/unlock/")
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["nurse.nora"]


def test_a_locked_out_caregiver_of_the_clinic_is_listed_and_unlocked(
    admin_browser: Client, patient: EnrolledPatient
) -> None:
    carer = make_caregiver(patient, ["critical_alerts"], username="carla.care")
    lock_out("carla.care")
    page = admin_browser.get("/clinic/staff/").content.decode()
    assert "Caregivers with failed sign-ins" in page and "carla.care" in page
    assert admin_browser.post(f"/clinic/staff/{carer.user.pk}/unlock/").status_code == 302
    assert not AccessAttempt.objects.exists()


def test_another_clinics_locked_out_nurse_is_not_listed_nor_unlockable(
    admin_browser: Client, other_clinic_nurse: Person
) -> None:
    lock_out(other_clinic_nurse.user.username)
    assert other_clinic_nurse.user.username not in admin_browser.get("/clinic/staff/").content.decode()
    assert admin_browser.post(f"/clinic/staff/{other_clinic_nurse.user.pk}/unlock/").status_code == 404
    assert AccessAttempt.objects.count() == 1


def test_failures_older_than_the_cool_off_do_not_show(admin_browser: Client, nurse: Person) -> None:
    lock_out(nurse.user.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert "Locked out" not in admin_browser.get("/clinic/staff/").content.decode()
