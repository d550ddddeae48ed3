"""Specification: the account services behind a clinic admin's staff page (backend.accounts.services):
adding staff never touches an existing account, deactivating ends every token and session of that
person only, unlocking lifts django-axes' lockout of one username."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from backend.accounts import services
from backend.accounts.models import DeviceToken, Role, User
from backend.core.errors import ApplicationError
from tests.factories import PASSWORD, Person, make_nurse

pytestmark = pytest.mark.django_db


def test_staff_create_no_longer_marks_clinic_admins_as_django_admin_staff() -> None:
    user, _ = services.staff_create(username="admin.ada", password=PASSWORD, role=Role.ADMIN, clinic_name="C")
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_staff_add_puts_a_nurse_in_the_given_clinic(nurse: Person) -> None:
    clinic = nurse.user.clinic
    assert clinic is not None
    user = services.staff_add(clinic=clinic, username=" nurse.noor ", password="plum-kettle-harbour-92", role="nurse")
    assert (user.username, user.clinic_id, user.role, user.is_active) == ("nurse.noor", clinic.pk, Role.NURSE, True)
    assert user.check_password("plum-kettle-harbour-92")


@pytest.mark.parametrize(
    ("username", "role", "password", "field"),
    [
        ("nurse noor", "nurse", "plum-kettle-harbour-92", "username"),  # a space
        ("", "nurse", "plum-kettle-harbour-92", "username"),
        ("n" * 151, "nurse", "plum-kettle-harbour-92", "username"),
        ("nurse.nina", "nurse", "plum-kettle-harbour-92", "username"),  # taken
        ("nurse.noor", "patient", "plum-kettle-harbour-92", "role"),
        ("nurse.noor", "nurse", "eleven-char", "password"),  # 11: staff need 12
    ],
)
def test_staff_add_refuses_and_stores_nothing(
    nurse: Person, username: str, role: str, password: str, field: str
) -> None:
    clinic = nurse.user.clinic
    assert clinic is not None
    before = User.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.staff_add(clinic=clinic, username=username, password=password, role=role)
    assert field in refused.value.errors
    assert User.objects.count() == before


def test_deactivating_ends_that_persons_tokens_and_sessions_only(nurse: Person) -> None:
    colleague = make_nurse("nurse.nora")
    for person in (nurse, colleague):
        Client().force_login(person.user)
    assert services.user_deactivate(user=nurse.user)
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert sessions == [str(colleague.user.pk)]
    assert not DeviceToken.objects.filter(user=nurse.user, revoked_at__isnull=True).exists()
    assert DeviceToken.objects.filter(user=colleague.user, revoked_at__isnull=True).exists()
    assert not services.user_deactivate(user=nurse.user)  # already inactive


def test_reactivating_changes_only_an_inactive_account(nurse: Person) -> None:
    assert not services.user_reactivate(user=nurse.user)
    services.user_deactivate(user=nurse.user)
    assert services.user_reactivate(user=nurse.user)
    nurse.user.refresh_from_db()
    assert nurse.user.is_active


def test_unlocking_removes_the_usernames_failures_from_every_address(nurse: Person) -> None:
    for username, ip in (("nurse.nina", "10.0.0.1"), ("nurse.nina", "10.0.0.2"), ("nurse.nora", "10.0.0.1")):
        AccessAttempt.objects.create(
            username=username,
            ip_address=ip,
            user_agent="t",
            http_accept="*/*",
            path_info="/signin/",
            attempt_time=timezone.now(),
            failures_since_start=5,
        )
    assert services.sign_in_unlock(username="nurse.nina") == 2
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["nurse.nora"]
    assert services.sign_in_unlock(username="nurse.nina") == 0
