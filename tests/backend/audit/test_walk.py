"""Specification: every URL pattern, asked by every role, leaves the audit trail it owes.

Generated from the URL resolver, so a new endpoint is walked the day it is added: each successful
request for patient data leaves at least one row for its actor, each refusal (403/404 to someone
signed in) leaves a `refused` row, and every endpoint that is not exempt (settings.
CARELOOP_AUDIT_EXEMPT_VIEWS) must be reached successfully by some role, so that the walk proves
something about it. A URL parameter the walk cannot fill fails the test: teach `World.kwargs` it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from backend.accounts.models import DeviceToken, Role, User
from backend.alerts.models import Alert
from backend.audit.models import AuditEvent
from backend.caregivers.models import CaregiverInvite, CaregiverLink
from backend.caregivers.services import invite_create
from backend.fhir.credentials import credential_create
from backend.notifications.models import Delivery
from backend.notifications.services import contact_notify, notify
from tests.backend.caregivers.support import make_caregiver, raise_alert
from tests.factories import PASSWORD, EnrolledPatient, Person, make_nurse, make_patient

# Endpoints no role can use successfully with an empty body: each records its own success, and its
# own specification says so (file named beside each).
NO_SUCCESS_IN_WALK = {
    "auth-enroll": "a one-time enrollment code (tests/backend/patients/test_apis.py)",
    "caregiver-invite-accept": "a one-time invitation code (tests/backend/caregivers/test_invites_api.py)",
    "fhir-system": "a FHIR transaction or batch Bundle (tests/backend/fhir/test_apis.py)",
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry


def endpoints() -> list[tuple[str, str]]:
    """(view name, route) of every named URL pattern except the Django admin's, walked separately."""
    walked = _walk(get_resolver().url_patterns)
    return sorted({(name, route) for name, route, _ in walked if not name.startswith("admin:")})


# Query parameters an endpoint needs to answer at all.
QUERY = {
    "readings": "?kind=lab",
    "fhir-observations": "?patient={patient_id}",
    "fhir-medication-administrations": "?patient={patient_id}",
}


def _shows_nothing(response: Any) -> bool:
    """An empty page of a list: a success that showed no one's data, so it owes no row."""
    data = getattr(response, "data", None)
    return data == [] or (isinstance(data, dict) and data.get("results") == [])


def exempt(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in settings.CARELOOP_AUDIT_EXEMPT_VIEWS)


@dataclass
class World:
    """Two clinics: Maria (clinic A) with an alert, a caregiver with the alert scope and one without,
    an open invitation, an integration credential of its admin; Otto in clinic B."""

    people: dict[str, Person | None] = field(default_factory=dict)
    maria: EnrolledPatient | None = None
    ids: dict[str, str] = field(default_factory=dict)

    def kwargs(self, name: str, route: str) -> dict[str, str]:
        wanted = re.findall(r"<(?:\w+:)?(\w+)>", route)
        missing = [w for w in wanted if w not in self.ids]
        assert not missing, f"{name}: the walk cannot fill {missing}; add them to World.ids"
        return {w: self.ids[w] for w in wanted}


@pytest.fixture
def world(db: None) -> World:
    nurse = make_nurse()
    other_nurse = make_nurse("nurse.olga", clinic="Hillside Hematology")
    clinic_admin = make_nurse("admin.ada", role=Role.ADMIN)
    maria = make_patient(nurse, name="Maria Lopez")
    otto = make_patient(other_nurse, name="Otto Other", tz="Europe/Berlin")
    with_scope = make_caregiver(maria, ["all_alerts", "missed_doses"], username="carla.care")
    without_scope = make_caregiver(maria, ["daily_summary"], username="dan.daily")
    alert = raise_alert(maria)
    raise_alert(otto)  # every clinic's queue shows someone
    invite, _ = invite_create(patient=maria.patient, scopes=["critical_alerts"])
    credential, _ = credential_create(admin=clinic_admin.user, name="Riverside lab system")
    notification = notify(
        recipient=nurse.user, kind="alert", title="Grade 4 platelets", body="Maria Lopez", dedupe_key="walk",
        patient_id=maria.patient.pk,
    )
    assert notification is not None
    # A delivery to the clinic's on-call contact, for the clinic admin's delivery log.
    contact_notify(clinic=nurse.user.clinic, contact_key="walk-on-call", kind="escalation",  # type: ignore[arg-type]
                   addresses={"sms": "+15550100199"})
    people: dict[str, Person | None] = {
        "patient": maria,
        "other patient": otto,
        "nurse": nurse,
        "other clinic's nurse": other_nurse,
        "admin": clinic_admin,
        "caregiver with scope": with_scope,
        "caregiver without scope": without_scope,
        "anonymous": None,
    }
    ids = {
        "patient_id": str(maria.patient.pk),
        "alert_id": str(alert.pk),
        "notification_id": str(notification.pk),
        "invite_id": str(invite.pk),
        "link_id": str(CaregiverLink.objects.get(caregiver=with_scope.user).pk),
        "session_id": str(DeviceToken.objects.filter(user=nurse.user).first().pk),  # type: ignore[union-attr]
        "device_id": str(DeviceToken.objects.filter(user=maria.user).first().pk),  # type: ignore[union-attr]
        "analyte": "creatinine",
        "user_id": str(nurse.user.pk),  # a colleague the clinic admin may deactivate or unlock
        "delivery_id": str(Delivery.objects.get(contact_key="walk-on-call").pk),
        "channel": "sms",
        "kind": "authenticator",  # a second factor's kind (dashboard:security-remove)
        "credential_id": str(credential.pk),
    }
    assert Alert.objects.filter(pk=alert.pk).exists() and CaregiverInvite.objects.filter(pk=invite.pk).exists()
    return World(people, maria, ids)


TOKEN_PATHS = ("/api/", "/fhir/")  # Bearer tokens; elsewhere the dashboard's session


def _client(path: str, person: Person | None) -> Any:
    if path.startswith(TOKEN_PATHS):
        return person.client() if person else APIClient()
    client = Client()
    if person is not None:
        client.force_login(person.user)
    return client


def _ask(path: str, person: Person | None) -> Any:
    """GET, or POST with an empty body where the endpoint takes no GET."""
    client = _client(path, person)
    response = client.get(path)
    if response.status_code == 405:
        client = _client(path, person)
        response = client.post(path, {}, format="json") if path.startswith(TOKEN_PATHS) else client.post(path, {})
    if response.status_code == 405:
        response = _client(path, person).delete(path)
    return response


@pytest.mark.parametrize(("name", "route"), endpoints(), ids=[name for name, _ in endpoints()])
def test_every_endpoint_as_every_role_leaves_its_audit_trail(world: World, name: str, route: str) -> None:
    path = reverse(name, kwargs=world.kwargs(name, route)) + QUERY.get(name, "").format(**world.ids)
    successes, problems = [], []
    for role, person in world.people.items():
        before = AuditEvent.objects.count()
        response = _ask(path, person)
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
