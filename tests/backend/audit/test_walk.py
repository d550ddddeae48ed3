"""Specification: every URL pattern, asked by every role, leaves the audit trail it owes.

Generated from the URL resolver, so a new endpoint is walked the day it is added: each successful
request for patient data leaves at least one row for its actor, each refusal (403/404 to someone
signed in) leaves a `refused` row, and every endpoint that is not exempt (settings.
CARELOOP_AUDIT_EXEMPT_VIEWS) must be reached successfully by some role, so that the walk proves
something about it. A URL parameter the walk cannot fill fails the test: teach `World.kwargs` it
(tests/backend/world.py).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from backend.accounts.models import Role, User
from backend.audit.models import AuditEvent
from tests.backend.world import QUERY, World, ask, build_world, endpoints
from tests.factories import PASSWORD

# Endpoints no role can use successfully with an empty body: each records its own success, and its
# own specification says so (file named beside each).
NO_SUCCESS_IN_WALK = {
    "auth-enroll": "a one-time enrollment code (tests/backend/patients/test_apis.py)",
    "caregiver-invite-accept": "a one-time invitation code (tests/backend/caregivers/test_invites_api.py)",
    "fhir-system": "a FHIR transaction or batch Bundle (tests/backend/fhir/test_apis.py)",
}


def _shows_nothing(response: Any) -> bool:
    """An empty page of a list: a success that showed no one's data, so it owes no row."""
    data = getattr(response, "data", None)
    return data == [] or (isinstance(data, dict) and data.get("results") == [])


def exempt(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in settings.CARELOOP_AUDIT_EXEMPT_VIEWS)


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.mark.parametrize(("name", "route"), endpoints(), ids=[name for name, _ in endpoints()])
def test_every_endpoint_as_every_role_leaves_its_audit_trail(world: World, name: str, route: str) -> None:
    path = reverse(name, kwargs=world.kwargs(name, route)) + QUERY.get(name, "").format(**world.ids)
    successes, problems = [], []
    for role, person in world.people.items():
        before = AuditEvent.objects.count()
        response = ask(path, person)
        status = response.status_code
        rows = AuditEvent.objects.order_by("id")[before:]
        mine = [r for r in rows if person is not None and r.actor_id == person.user.pk]
        refused = [r for r in mine if r.action == "refused"]
        if person is None:
            continue  # 401 / sign-in page: nobody to put on the record
        if status in (403, 404):
            if len(refused) != 1:
                problems.append(f"{role}: {status} left {len(refused)} refused rows (want 1)")
        elif status < 400 and not (response.request["REQUEST_METHOD"] == "GET" and status in (204, 304)):
            successes.append(role)
            if not exempt(name) and not mine and not _shows_nothing(response):
                problems.append(f"{role}: {status} left no audit row")
            if refused:
                problems.append(f"{role}: a success recorded as refused")
    assert not problems, f"{name} {path}: " + "; ".join(problems)
    if not exempt(name) and name not in NO_SUCCESS_IN_WALK:
        assert successes, f"{name}: no role used it successfully, so the walk proves nothing; extend the World"


# Admin models the walk's world makes no row of: their list page is walked, their change and history
# pages (which need a row) are not. A model that gains rows in the world should leave this list.
NO_ROW_IN_WORLD = frozenset(
    {"group", "accessattempt", "accessfailurelog", "preference", "recordedmessage", "reminderoccurrence"}
)


def _admin_paths() -> list[str]:
    names = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        names.append("admin:{}_{}_changelist".format(*info))
        if model._meta.model_name not in NO_ROW_IN_WORLD:
            names.append("admin:{}_{}_change".format(*info))
            names.append("admin:{}_{}_history".format(*info))
    return sorted(names)


@pytest.mark.parametrize("name", _admin_paths())
def test_every_django_admin_page_a_superuser_opens_is_on_the_record(world: World, name: str) -> None:
    engineer = User.objects.create_superuser(username="root.engineer", password="x-very-long-password-123")
    client = Client()
    client.force_login(engineer)
    if name.endswith("_changelist"):
        path = reverse(name)
    else:
        app, model = name.split(":")[1].rsplit("_", 1)[0].split("_", 1)
        model_class = next(m for m in admin.site._registry if (m._meta.app_label, m._meta.model_name) == (app, model))
        obj = model_class._default_manager.first()
        assert obj is not None, f"no {model} in the walk's world: add it to NO_ROW_IN_WORLD or make one"
        path = reverse(name, args=[obj.pk])
    before = AuditEvent.objects.count()
    response = client.get(path)
    assert response.status_code == 200, path
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert [r for r in rows if r.actor_id == engineer.pk], f"{path} left no audit row"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE])
def test_clinic_staff_get_no_django_admin_page_even_marked_is_staff(world: World, role: str) -> None:
    """The Django admin shows every clinic's rows: it is for engineers (superusers). A clinic admin
    or nurse, even one an older version marked `is_staff`, is sent to the admin's sign-in page from
    every page of it, and that page does not sign them in."""
    person = world.people["admin" if role == Role.ADMIN else "nurse"]
    assert person is not None
    User.objects.filter(pk=person.user.pk).update(is_staff=True)
    client = Client()
    client.force_login(person.user)
    for name in ["admin:index", *_admin_paths()]:
        if name.endswith(("_change", "_history")):
            continue  # their objects' ids are the superuser test's business; the site refuses before any lookup
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("admin:login")), name
    anonymous = Client()
    # The admin's sign-in takes no password: it leads to the dashboard's (lockout, second factor).
    signin = anonymous.post(reverse("admin:login"), {"username": person.user.username, "password": PASSWORD})
    assert signin.status_code == 302 and signin["Location"].startswith(reverse("dashboard:signin"))
    assert "_auth_user_id" not in anonymous.session
    refused = client.get(reverse("admin:login"))
    assert refused.status_code == 403 and "Django admin is for CareLoop" in refused.content.decode()
