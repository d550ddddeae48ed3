"""Integration credentials: a clinic admin makes one for the lab system (manage.py); it reads the
clinic's FHIR data and posts lab results, nothing else, is audited by name and stops when revoked."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.fhir.models import IntegrationCredential
from backend.records.models import LabResult
from tests.backend.fhir.bundles import bundle, lab_observation
from tests.factories import EnrolledPatient, Person
from tests.fhir.validator import assert_valid_fhir

pytestmark = pytest.mark.django_db


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("fhir_credential", *args, stdout=out)
    return out.getvalue()


def lab_system(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def token(clinic_admin: Person) -> str:
    printed = command("create", "--admin", clinic_admin.user.username, "--name", "Riverside lab system")
    found = re.search(r"Token \(shown once\): (\S+)", printed)
    assert found is not None, printed
    return found.group(1)


def test_it_reads_and_writes_its_clinics_fhir_data_audited_by_name(
    token: str, patient: EnrolledPatient, other_patient: EnrolledPatient
) -> None:
    client = lab_system(token)
    answer = client.post("/fhir/", bundle(lab_observation(patient.patient.pk)), format="json")
    assert answer.status_code == 200, answer.content
    everything = client.get(f"/fhir/Patient/{patient.patient.pk}/$everything")
    assert everything.status_code == 200
    assert_valid_fhir(everything.json())
    assert LabResult.objects.filter(patient=patient.patient).count() == 1
    credential = IntegrationCredential.objects.get()
    roles = set(AuditEvent.objects.filter(actor=credential.user).values_list("actor_role", "resource"))
    assert roles == {("integration", "lab_result"), ("integration", "fhir_everything")}
    assert client.get(f"/fhir/Patient/{other_patient.patient.pk}").status_code == 404
    assert credential.last_used_at is not None


def test_it_opens_nothing_but_fhir(token: str, patient: EnrolledPatient) -> None:
    client = lab_system(token)
    assert client.get("/api/v1/patients/").status_code == 401
    assert client.get("/api/v1/alerts/").status_code == 401
    assert client.get("/").status_code in (301, 302)  # the dashboard sends it to sign in


def test_revoked_it_stops_at_once(token: str, clinic_admin: Person, patient: EnrolledPatient) -> None:
    credential = IntegrationCredential.objects.get()
    printed = command("revoke", "--admin", clinic_admin.user.username, "--id", str(credential.pk))
    assert "Revoked" in printed
    answer = lab_system(token).get(f"/fhir/Patient/{patient.patient.pk}")
    assert answer.status_code == 401
    assert answer.json()["resourceType"] == "OperationOutcome"
    actions = list(AuditEvent.objects.filter(resource="fhir_credential").values_list("action", "actor"))
    assert actions == [("create", clinic_admin.user.pk), ("revoke", clinic_admin.user.pk)]
    assert "revoked" in command("list", "--admin", clinic_admin.user.username)


def test_only_a_clinic_admin_makes_one(nurse: Person) -> None:
    with pytest.raises(CommandError, match="Only a clinic admin"):
        command("create", "--admin", nurse.user.username, "--name", "Lab")
    assert not IntegrationCredential.objects.exists()


def test_a_wrong_credential_token_is_refused(patient: EnrolledPatient) -> None:
    answer = lab_system("clfhir_not-a-real-one").get(f"/fhir/Patient/{patient.patient.pk}")
    assert answer.status_code == 401
