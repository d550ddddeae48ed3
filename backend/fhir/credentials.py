"""Create, list and revoke integration credentials (backend.fhir.models): a clinic admin's acts,
each audited. The token is shown once, at creation."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Role, User, hash_token
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError, NotFound
from backend.fhir.models import INTEGRATION_ROLE, IntegrationCredential

TOKEN_PREFIX = "clfhir_"  # noqa: S105 - not a secret: tells the FHIR authentication a credential from a device token at a glance
TOUCH_SECONDS = 300  # the last use is written at most this often


def _admin_clinic(admin: User) -> int:
    if admin.role != Role.ADMIN or admin.clinic_id is None:
        raise ApplicationError({"admin": ["Only a clinic admin manages integration credentials."]}, status=403)
    return admin.clinic_id


@transaction.atomic
def credential_create(*, admin: User, name: str, now: datetime | None = None) -> tuple[IntegrationCredential, str]:
    """A new credential for the admin's clinic, and its token (shown once; only its digest is kept)."""
    clinic_id = _admin_clinic(admin)
    name = name.strip()
    if not name or len(name) > 120:
        raise ApplicationError({"name": ["A name of 1-120 characters, e.g. the lab system's."]})
    now = now or timezone.now()
    credential_id = uuid.uuid4()
    user = User(username=f"integration-{credential_id}", role=INTEGRATION_ROLE, clinic_id=clinic_id)
    user.set_unusable_password()
    user.save()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    credential = IntegrationCredential.objects.create(
        id=credential_id,
        clinic_id=clinic_id,
        name=name,
        user=user,
        key_hash=hash_token(raw),
        created_by=admin,
        created_at=now,
    )
    audit_record(
        actor=admin,
        action="create",
        resource="fhir_credential",
        patient_ids=[None],
        object_id=str(credential.pk),
        detail=name,
    )
    return credential, raw


def credentials_of(admin: User) -> list[IntegrationCredential]:
    credentials = IntegrationCredential.objects.filter(clinic_id=_admin_clinic(admin))
    return list(credentials.select_related("created_by", "revoked_by").order_by("created_at"))


@transaction.atomic
def credential_revoke(*, admin: User, credential_id: str, now: datetime | None = None) -> IntegrationCredential:
    """The credential stops working at once; revoking it again changes nothing."""
    clinic_id = _admin_clinic(admin)
    try:
        pk = uuid.UUID(str(credential_id))
    except ValueError:
        raise NotFound("No such integration credential in your clinic.") from None
    credential = IntegrationCredential.objects.select_for_update().filter(pk=pk, clinic_id=clinic_id).first()
    if credential is None:
        raise NotFound("No such integration credential in your clinic.")
    if credential.revoked_at is None:
        credential.revoked_at, credential.revoked_by = now or timezone.now(), admin
        credential.save(update_fields=["revoked_at", "revoked_by"])
        User.objects.filter(pk=credential.user_id).update(is_active=False)
        audit_record(
            actor=admin,
            action="revoke",
            resource="fhir_credential",
            patient_ids=[None],
            object_id=str(credential.pk),
            detail=credential.name,
        )
    return credential


def credential_user(raw: str, now: datetime | None = None) -> User | None:
    """The user of the live credential behind `raw`, or None; its last use recorded now and then."""
    credential = (
        IntegrationCredential.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if credential is None:
        return None
    now = now or timezone.now()
    last = credential.last_used_at
    if last is None or (now - last).total_seconds() > TOUCH_SECONDS:
        IntegrationCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return credential.user
