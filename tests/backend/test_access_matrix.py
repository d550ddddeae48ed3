"""Specification: who gets what, for every URL pattern and every kind of caller.

Generated from the URL configuration (tests/backend/world.py walks it as the audit walk does): each
endpoint is asked, as the audit walk asks it, by Maria (a patient of clinic A), Otto (a patient of
clinic B), a nurse and an admin of clinic A, a nurse of clinic B, Maria's caregiver with the alert
scope and one without, a revoked token and nobody. Each answer must be of the class `MATRIX` says,
and no answer may carry another party's data: the names and ids of the patient (and their alert)
that the caller has no business with. A new URL fails here until it is classified in `MATRIX`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from backend.accounts.models import DeviceToken
from backend.accounts.services import token_issue, token_revoke
from tests.backend.world import QUERY, World, ask, build_world, endpoints
from tests.factories import Person

ROLES = (
    "patient",
    "other patient",
    "nurse",
    "other clinic's nurse",
    "admin",
    "caregiver with scope",
    "caregiver without scope",
    "revoked token",
    "anonymous",
)

# The class of each answer, in the order of ROLES: ok (2xx), go (3xx: the dashboard's sign-in or the
# page after a change), bad (400: the walk's empty body), who (401), no (403 or 404: not yours, never
# its content), nope (405); * for any (/healthz answers as the machine is, and shows no one's data).
# Columns: patient, other patient, nurse, other clinic's nurse, admin, caregiver with scope, caregiver
# without scope, revoked token, anonymous.
MATRIX: dict[str, str] = {
    "adherence": "ok ok no no no no no who who",
    "admin-signin": "no no no no no no no go go",
    "alert-acknowledge": "no no ok no ok no no who who",
    "alert-resolve": "no no ok no ok no no who who",
    "alerts": "ok ok ok ok ok ok ok who who",
    "api-docs": "ok ok ok ok ok ok ok ok ok",
    "api-index": "ok ok ok ok ok ok ok ok ok",
    "api-redoc": "ok ok ok ok ok ok ok ok ok",
    "auth-enroll": "bad bad bad bad bad bad bad bad bad",
    "auth-logout": "ok ok ok ok ok ok ok who who",
    "auth-session": "no no ok no no no no who who",
    "auth-sessions": "ok ok ok ok ok ok ok who who",
    "auth-token": "bad bad bad bad bad bad bad bad bad",
    "caregiver-invite": "ok no no no no no no who who",
    "caregiver-invite-accept": "no no no no no bad bad who bad",
    "caregiver-invites": "ok ok no no no no no who who",
    "caregiver-revoke": "ok no no no no no no who who",
    "caregivers": "ok ok no no no no no who who",
    "clinic-response-settings": "no no ok ok ok no no who who",
    "dashboard:alert-acknowledge": "no no go no go no no go go",
    "dashboard:alert-assign": "no no go no go no no go go",
    "dashboard:alert-decision": "no no ok no ok no no go go",
    "dashboard:alert-note": "no no go no go no no go go",
    "dashboard:alert-resolve": "no no ok no ok no no go go",
    "dashboard:alerts-announce": "no no ok ok ok no no go go",
    "dashboard:audit": "no no no no ok no no go go",
    "dashboard:channel-resume": "no no no no go no no go go",
    "dashboard:clinic-settings": "no no no no ok no no go go",
    "dashboard:cycle-start": "no no ok ok ok no no go go",
    "dashboard:deliveries": "no no no no ok no no go go",
    "dashboard:deliveries-retry-failed": "no no no no go no no go go",
    "dashboard:delivery-retry": "no no no no go no no go go",
    "dashboard:enroll": "no no ok ok ok no no go go",
    "dashboard:integration-revoke": "no no no no go no no go go",
    "dashboard:integrations": "no no no no ok no no go go",
    "dashboard:metrics": "no no ok ok ok no no go go",
    "dashboard:outcomes": "no no ok ok ok no no go go",
    "dashboard:patient": "no no ok no ok no no go go",
    "dashboard:patient-baseline": "no no ok no ok no no go go",
    "dashboard:patient-alerts-resolve": "no no ok no ok no no go go",
    "dashboard:patient-baseline-clear": "no no go no go no no go go",
    "dashboard:patient-code": "no no ok no ok no no go go",
    "dashboard:patient-device-signout": "no no go no go no no go go",
    "dashboard:patient-details": "no no ok no ok no no go go",
    "dashboard:patient-dose-decision": "no no ok no ok no no go go",
    "dashboard:patient-markers": "no no go no go no no go go",
    "dashboard:patient-profile": "no no go no go no no go go",
    "dashboard:patient-reminder-plan": "no no ok no ok no no go go",
    "dashboard:patient-sex": "no no go no go no no go go",
    "dashboard:patient-status": "no no ok no ok no no go go",
    "dashboard:patient-summary": "no no ok no ok no no go go",
    "dashboard:patient-timezone": "no no ok no ok no no go go",
    "dashboard:patients": "no no ok ok ok no no go go",
    "dashboard:patients-search": "no no go go go no no go go",
    "dashboard:queue": "no no ok ok ok no no go go",
    "dashboard:account-language": "no no go go go no no go go",
    "dashboard:security": "no no ok ok ok no no go go",
    "dashboard:security-authenticator": "go go ok ok ok go go go go",
    "dashboard:security-passkey-added": "go go go go go go go go go",
    "dashboard:security-passkey-begin": "no no ok ok ok no no no no",
    "dashboard:security-passkey-complete": "no no bad bad bad no no no no",
    "dashboard:security-recovery-codes": "no no go go go no no go go",
    "dashboard:security-remove": "no no go go go no no go go",
    "dashboard:signin": "ok ok go go go ok ok ok ok",
    "dashboard:signin-passkey-begin": "no no ok ok ok no no no no",
    "dashboard:signin-passkey-complete": "no no bad bad bad no no no no",
    "dashboard:signin-passkey-messages": "ok ok ok ok ok ok ok ok ok",
    "dashboard:signin-setup": "go go go go go go go go go",
    "dashboard:signin-verify": "go go go go go go go go go",
    "dashboard:signout": "go go go go go go go go go",
    "dashboard:staff": "no no no no ok no no go go",
    "dashboard:staff-deactivate": "no no no no go no no go go",
    "dashboard:staff-reactivate": "no no no no go no no go go",
    "dashboard:staff-second-factor-reset": "no no no no go no no go go",
    "dashboard:staff-unlock": "no no no no go no no go go",
    "fhir-everything": "no no ok no ok no no who who",
    "fhir-medication-administrations": "no no ok no ok no no who who",
    "fhir-metadata": "ok ok ok ok ok ok ok ok ok",
    "fhir-observations": "no no ok no ok no no who who",
    "fhir-patient": "no no ok no ok no no who who",
    "fhir-system": "no no bad bad bad no no who who",
    "healthz": "* * * * * * * * *",
    "me": "ok ok no no no no no who who",
    "metrics": "no no ok ok ok no no who who",
    "notification-preferences": "ok ok ok ok ok ok ok who who",
    "notification-read": "no no ok no no no no who who",
    "notifications": "ok ok ok ok ok ok ok who who",
    "notifications-read-all": "ok ok ok ok ok ok ok who who",
    "patient-adherence": "no no ok no ok no no who who",
    "patient-baseline": "no no ok no ok no no who who",
    "patient-baselines": "no no ok no ok no no who who",
    "patient-clinical-profile": "no no ok no ok no no who who",
    "patient-detail": "no no ok no ok no no who who",
    "patient-dose-decisions": "no no ok no ok no no who who",
    "patient-enrollment-code": "no no ok no ok no no who who",
    "patient-markers": "no no ok no ok no no who who",
    "patient-response": "ok no ok no ok no no who who",
    "patients": "no no ok ok ok no no who who",
    "readings": "ok ok no no no no no who who",
    "reminder-plan": "ok ok bad bad bad no no who who",
    "reminders": "ok ok bad bad bad no no who who",
    "schema": "ok ok ok ok ok ok ok ok ok",
    "schema-yaml": "ok ok ok ok ok ok ok ok ok",
    "sync": "ok ok no no no no no who who",
}


def outcome(status: int) -> str:
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        return "go"
    return {400: "bad", 401: "who", 403: "no", 404: "no", 405: "nope"}.get(status, str(status))


@pytest.fixture
def world(db: None, settings: Any) -> World:
    settings.CARELOOP_THROTTLE_RATES = {}  # each caller's answer, not the order they asked in
    world = build_world()
    revoked = Person(world.maria.user, token_issue(user=world.maria.user, device_name="lost phone"))  # type: ignore[union-attr]
    token_revoke(token=DeviceToken.objects.filter(user=revoked.user).order_by("-id").first())  # type: ignore[arg-type]
    world.people["revoked token"] = revoked
    return world


def foreign(world: World, role: str) -> dict[str, str]:
    """What `role` must never see: the other clinic's patient for clinic A's people, clinic A's for
    clinic B's, and both for those who are nobody."""
    marias = {
        "Maria's name": "Maria Lopez",
        "Maria's id": world.ids["patient_id"],
        "Maria's alert": world.ids["alert_id"],
    }
    ottos = {
        "Otto's name": "Otto Other",
        "Otto's id": world.ids["other_patient_id"],
        "Otto's alert": world.ids["other_alert_id"],
    }
    if role in ("other patient", "other clinic's nurse"):
        return marias
    if role in ("revoked token", "anonymous"):
        return marias | ottos
    if role == "caregiver without scope":
        return ottos | {"Maria's alert": world.ids["alert_id"]}
    return ottos


def _body(response: Any) -> str:
    content = getattr(response, "content", b"")
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else ""


def observe(world: World, name: str, route: str) -> tuple[list[str], list[str]]:
    path = reverse(name, kwargs=world.kwargs(name, route)) + QUERY.get(name, "").format(**world.ids)
    outcomes, leaks = [], []
    for role in ROLES:
        response = ask(path, world.people[role], session=role != "revoked token")
        outcomes.append(outcome(response.status_code))
        body = _body(response)
        # An id the caller sent (in the path or query) may come back in a refusal; nothing else may.
        unseen = {what: marker for what, marker in foreign(world, role).items() if marker not in path}
        leaks += [f"{role} saw {what}" for what, marker in unseen.items() if marker in body]
    return outcomes, leaks


def test_every_url_pattern_is_classified() -> None:
    names = {name for name, _ in endpoints()}

    assert sorted(names - MATRIX.keys()) == [], "classify these in MATRIX"
    assert sorted(MATRIX.keys() - names) == [], "these are no longer routed: remove them from MATRIX"


@pytest.mark.parametrize(("name", "route"), endpoints(), ids=[name for name, _ in endpoints()])
def test_every_endpoint_answers_each_caller_as_classified_and_shows_no_one_else(
    world: World, name: str, route: str
) -> None:
    outcomes, leaks = observe(world, name, route)

    assert name in MATRIX, f"{name} is not classified: add it to MATRIX ({' '.join(outcomes)} today)"
    wanted = {role: want for role, want in zip(ROLES, MATRIX[name].split(), strict=True) if want != "*"}
    answered = {role: got for role, got in zip(ROLES, outcomes, strict=True) if role in wanted}
    assert answered == wanted
    assert leaks == []
