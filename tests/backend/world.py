"""The URL walk's world and tools, shared by the specifications generated from the URL configuration
(tests/backend/audit/test_walk.py: the audit trail; tests/backend/api/test_access_matrix.py: who gets
what) and by the API fuzzing (tests/backend/api/test_fuzz.py), so that each knows the same people.

Two clinics: Maria (clinic A) with an alert, a caregiver with the alert scope and one without, an open
invitation; Otto in clinic B with an alert of his own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from backend.accounts.models import DeviceToken, Role
from backend.alerts.models import Alert
from backend.caregivers.models import CaregiverInvite, CaregiverLink
from backend.caregivers.services import invite_create
from backend.fhir.credentials import credential_create
from backend.notifications.models import Delivery
from backend.notifications.services import contact_notify, notify
from tests.backend.caregivers.support import make_caregiver, raise_alert
from tests.factories import EnrolledPatient, Person, make_nurse, make_patient


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


@dataclass
class World:
    people: dict[str, Person | None] = field(default_factory=dict)
    maria: EnrolledPatient | None = None
    otto: EnrolledPatient | None = None
    ids: dict[str, str] = field(default_factory=dict)

    def kwargs(self, name: str, route: str) -> dict[str, str]:
        wanted = re.findall(r"<(?:\w+:)?(\w+)>", route)
        missing = [w for w in wanted if w not in self.ids]
        assert not missing, f"{name}: the walk cannot fill {missing}; add them to World.ids"
        return {w: self.ids[w] for w in wanted}


def build_world() -> World:
    nurse = make_nurse()
    other_nurse = make_nurse("nurse.olga", clinic="Hillside Hematology")
    clinic_admin = make_nurse("admin.ada", role=Role.ADMIN)
    maria = make_patient(nurse, name="Maria Lopez")
    otto = make_patient(other_nurse, name="Otto Other", tz="Europe/Berlin")
    with_scope = make_caregiver(maria, ["all_alerts", "missed_doses"], username="carla.care")
    without_scope = make_caregiver(maria, ["daily_summary"], username="dan.daily")
    alert = raise_alert(maria)
    otto_alert = raise_alert(otto)  # every clinic's queue shows someone
    invite, _ = invite_create(patient=maria.patient, scopes=["critical_alerts"])
    credential, _ = credential_create(admin=clinic_admin.user, name="Riverside lab system")
    notification = notify(
        recipient=nurse.user,
        kind="alert",
        title="Grade 4 platelets",
        body="Maria Lopez",
        dedupe_key="walk",
        patient_id=maria.patient.pk,
    )
    assert notification is not None
    # A delivery to the clinic's on-call contact, for the clinic admin's delivery log.
    contact_notify(
        clinic=nurse.user.clinic,
        contact_key="walk-on-call",
        kind="escalation",  # type: ignore[arg-type]
        addresses={"sms": "+15550100199"},
    )
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
        "other_patient_id": str(otto.patient.pk),
        "other_alert_id": str(otto_alert.pk),
    }
    assert Alert.objects.filter(pk=alert.pk).exists() and CaregiverInvite.objects.filter(pk=invite.pk).exists()
    return World(people, maria, otto, ids)


TOKEN_PATHS = ("/api/", "/fhir/")  # Bearer tokens; elsewhere the dashboard's session


def client_for(path: str, person: Person | None, *, session: bool = True) -> Any:
    """The person's Bearer token under TOKEN_PATHS, else (unless `session` is False: someone holding
    only a token) their dashboard session."""
    if path.startswith(TOKEN_PATHS) or not session:
        return person.client() if person else APIClient()
    client = Client()
    if person is not None:
        client.force_login(person.user)
    return client


def ask(path: str, person: Person | None, *, session: bool = True) -> Any:
    """GET, or POST with an empty body where the endpoint takes no GET, or DELETE where it takes neither."""
    client = client_for(path, person, session=session)
    response = client.get(path)
    if response.status_code == 405:
        client = client_for(path, person, session=session)
        response = client.post(path, {}, format="json") if path.startswith(TOKEN_PATHS) else client.post(path, {})
    if response.status_code == 405:
        response = client_for(path, person, session=session).delete(path)
    return response
