"""Enrollment and invitation codes are short (8 characters of 30): a leaked table of bare SHA-256
digests gives every outstanding code back in seconds. They are stored as a keyed digest (HMAC
with the server's secret key); codes issued before, stored as bare SHA-256, keep working until
they are used or expire."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from backend.caregivers.models import CaregiverInvite
from backend.caregivers.services import invite_create
from backend.patients.models import EnrollmentCode
from backend.patients.services import enrollment_code_issue, normalize_code
from tests.factories import PASSWORD, EnrolledPatient, Person

ENROLL_URL = "/api/v1/auth/enroll/"
ACCEPT_URL = "/api/v1/caregiver-invites/accept/"


def _sha256(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def enroll(code: str) -> int:
    return APIClient().post(ENROLL_URL, {"code": code, "device_name": "phone"}, format="json").status_code


def accept(code: str, username: str = "maya.helper") -> int:
    body = {"code": code, "username": username, "password": PASSWORD}
    return APIClient().post(ACCEPT_URL, body, format="json").status_code


def test_an_enrollment_code_is_not_stored_as_a_bare_sha256(nurse: Person, patient: EnrolledPatient) -> None:
    code = enrollment_code_issue(patient=patient.patient, issued_by=nurse.user)

    stored = EnrollmentCode.objects.get(patient=patient.patient, used_at__isnull=True).code_hash

    assert stored != _sha256(code)
    assert code.replace("-", "") not in stored


def test_an_enrollment_code_needs_the_servers_key(nurse: Person, patient: EnrolledPatient) -> None:
    code = enrollment_code_issue(patient=patient.patient, issued_by=nurse.user)

    with override_settings(SECRET_KEY="another-deployments-key-entirely-different-0123456789"):
        assert enroll(code) == 400
    assert enroll(code) == 201


def test_an_invitation_code_is_not_stored_as_a_bare_sha256(patient: EnrolledPatient) -> None:
    invite, code = invite_create(patient=patient.patient, scopes=["all_alerts"])

    invite.refresh_from_db()

    assert invite.code_hash != _sha256(code)
    with override_settings(SECRET_KEY="another-deployments-key-entirely-different-0123456789"):
        assert accept(code) == 400
    assert accept(code) == 201


def test_an_enrollment_code_issued_before_as_sha256_still_works_once(nurse: Person, patient: EnrolledPatient) -> None:
    EnrollmentCode.objects.create(
        code_hash=_sha256("ABCD-EFGH"),
        patient=patient.patient,
        created_by=nurse.user,
        expires_at=timezone.now() + timedelta(hours=1),
    )

    assert enroll("abcd efgh") == 201
    assert enroll("ABCD-EFGH") == 400


def test_an_invitation_issued_before_as_sha256_still_works_once(patient: EnrolledPatient) -> None:
    now = timezone.now()
    CaregiverInvite.objects.create(
        patient=patient.patient,
        scopes=["all_alerts"],
        code_hash=_sha256("ABCD-EFGH"),
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )

    assert accept("ABCD-EFGH") == 201
    assert accept("ABCD-EFGH", username="someone.else") == 400
