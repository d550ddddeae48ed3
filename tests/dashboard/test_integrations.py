"""Integrations, for the clinic's admin: FHIR credentials for the lab system or EHR, made and revoked
from the dashboard as with `manage.py fhir_credential` (the same service), the token shown once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.fhir.credentials import TOKEN_PREFIX, credential_create
from backend.fhir.models import IntegrationCredential
from tests.dashboard.conftest import signed_in
from tests.dashboard.support import text
from tests.factories import EnrolledPatient, Person, make_nurse

pytestmark = pytest.mark.django_db

PAGE = "/clinic/integrations/"


def shown_token(response: object) -> str | None:
    found = re.search(rf'id="new-token" type="text" value="({TOKEN_PREFIX}[^"]+)"', response.content.decode())  # type: ignore[attr-defined]
    return found.group(1) if found else None


def fhir_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_only_the_admin_opens_integrations_and_the_navigation_shows_it_to_her_only(
    nurse_browser: Client, admin_browser: Client
) -> None:
    refused = nurse_browser.get(PAGE)
    assert refused.status_code == 403 and "Only your clinic's admin" in text(refused)
    assert nurse_browser.post(PAGE, {"name": "Lab"}).status_code == 403
    assert IntegrationCredential.objects.count() == 0
    assert 'href="/clinic/integrations/"' not in nurse_browser.get("/").content.decode()
    assert 'href="/clinic/integrations/"' in admin_browser.get("/").content.decode()
    page = admin_browser.get(PAGE)
    assert page.status_code == 200 and "No integration credentials yet." in text(page)


def test_a_new_credential_shows_its_token_once_and_a_reload_makes_no_second(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    created = admin_browser.post(PAGE, {"name": "Riverside lab system"})
    assert created.status_code == 302 and created["Location"] == PAGE  # post/redirect/get
    page = admin_browser.get(PAGE)
    token = shown_token(page)
    assert token is not None and "shown only this once" in text(page)
    reloaded = admin_browser.get(PAGE)
    assert shown_token(reloaded) is None and token not in reloaded.content.decode()
    credential = IntegrationCredential.objects.get()
    assert (credential.name, credential.created_by_id, credential.clinic_id) == (
        "Riverside lab system",
        clinic_admin.user.pk,
        clinic_admin.user.clinic_id,
    )
    assert token not in credential.key_hash  # only its digest is kept
    assert "Riverside lab system" in text(reloaded) and "Active" in text(reloaded) and "Never" in text(reloaded)

    answer = fhir_client(token).get(f"/fhir/Patient/{patient.patient.pk}")
    assert answer.status_code == 200 and answer.json()["resourceType"] == "Patient"
    assert "Never" not in text(admin_browser.get(PAGE))  # last used, now
    created_rows = AuditEvent.objects.filter(resource="fhir_credential", action="create")
    assert list(created_rows.values_list("actor", "object_id")) == [(clinic_admin.user.pk, str(credential.pk))]


def test_a_credential_needs_a_name(admin_browser: Client) -> None:
    for name in ("", "   ", "x" * 121):
        answer = admin_browser.post(PAGE, {"name": name})
        assert answer.status_code == 400 and shown_token(answer) is None
        assert answer.context["form"].errors["name"]
    assert IntegrationCredential.objects.count() == 0


def test_revoked_it_stops_at_its_next_request_and_is_on_the_record(
    admin_browser: Client, clinic_admin: Person, patient: EnrolledPatient
) -> None:
    credential, token = credential_create(admin=clinic_admin.user, name="Riverside lab system")
    lab = fhir_client(token)
    assert lab.get(f"/fhir/Patient/{patient.patient.pk}").status_code == 200

    answer = admin_browser.post(f"{PAGE}{credential.pk}/revoke/")
    assert answer.status_code == 302 and answer["Location"] == PAGE
    page = admin_browser.get(PAGE)
    assert "Riverside lab system is revoked" in text(page) and "Revoked" in text(page)
    assert f'action="{PAGE}{credential.pk}/revoke/"' not in page.content.decode()  # no second button

    refused = lab.get(f"/fhir/Patient/{patient.patient.pk}")
    assert refused.status_code == 401 and refused.json()["resourceType"] == "OperationOutcome"
    revoked = AuditEvent.objects.filter(resource="fhir_credential", action="revoke")
    assert list(revoked.values_list("actor", "object_id")) == [(clinic_admin.user.pk, str(credential.pk))]
    assert admin_browser.post(f"{PAGE}{credential.pk}/revoke/").status_code == 302  # again: nothing changes
    assert revoked.count() == 1


def test_revoking_is_a_post_of_an_admin_of_the_same_clinic(
    admin_browser: Client, nurse_browser: Client, clinic_admin: Person
) -> None:
    credential, _ = credential_create(admin=clinic_admin.user, name="Riverside lab system")
    path = f"{PAGE}{credential.pk}/revoke/"
    other_admin = signed_in(make_nurse("admin.hana", clinic="Hillside Hematology", role=Role.ADMIN))
    assert admin_browser.get(path).status_code == 405
    assert nurse_browser.post(path).status_code == 403
    gone = other_admin.post(path)
    assert gone.status_code == 404 and "Riverside" not in text(gone)
    assert other_admin.post(f"{PAGE}00000000-0000-0000-0000-000000000000/revoke/").status_code == 404
    assert IntegrationCredential.objects.get().revoked_at is None
    assert "Riverside" not in text(other_admin.get(PAGE))  # another clinic's credentials are not listed


def test_a_form_without_its_csrf_token_is_refused(clinic_admin: Person) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinic_admin.user)
    assert browser.post(PAGE, {"name": "Riverside lab system"}).status_code == 403
    credential, _ = credential_create(admin=clinic_admin.user, name="Riverside lab system")
    assert browser.post(f"{PAGE}{credential.pk}/revoke/").status_code == 403
    assert IntegrationCredential.objects.get().revoked_at is None
