"""Inviting caregivers, accepting an invite, revoking a caregiver, and the daily summary.

Invite codes follow the enrollment codes' rules (backend.patients.services): only a digest is
stored, a code works once and expires, and it is claimed with a conditional UPDATE so two people
racing with one code cannot both win.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import Role, User, code_digests, hash_code
from backend.accounts.services import token_issue
from backend.caregivers.events import link_revoked
from backend.caregivers.models import CaregiverInvite, CaregiverLink, Scope
from backend.core.errors import ApplicationError, NotFound
from backend.patients.models import Patient
from backend.patients.services import format_code, normalize_code

logger = logging.getLogger(__name__)

CODE_INVALID = "This invitation code is not valid. Check it, or ask for a new one."
CODE_USED = "This invitation code has already been used. Ask for a new one."
CODE_EXPIRED = "This invitation code has expired. Ask for a new one."
USERNAME_TAKEN = "This username is already taken. Choose another one."
USERNAME_RESERVED = "This username is reserved. Choose another one."
SIGNED_IN_NOT_CAREGIVER = "Only a caregiver can accept an invitation while signed in. Sign out, or use a new username."
SCOPES_HELP = f"Choose one or more of: {', '.join(Scope.values)}."
TOO_MANY_PENDING = "You have too many open invitations. Wait for them to be used or withdraw some."
MAX_PENDING_INVITES = 10
MAX_USERNAME_REFUSALS = 5
USERNAME_TAKEN_CODE_SPENT = (
    "This username is already taken, and this code has been tried with too many taken usernames. "
    "Ask for a new code and choose a name of your own."
)
# The enrollment codes' alphabet and length: no 0/O or 1/I/L to confuse when read out.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def scopes_validate(scopes: object) -> list[str]:
    """A non-empty subset of the four scopes, in canonical order."""
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise ApplicationError({"scopes": [SCOPES_HELP]})
    unknown = sorted({s for s in scopes if s not in Scope.values})
    if unknown:
        raise ApplicationError({"scopes": [f"Unknown scope {', '.join(unknown)}. {SCOPES_HELP}"]})
    return [s for s in Scope.values if s in scopes]


def invite_create(*, patient: Patient, scopes: object, now: datetime | None = None) -> tuple[CaregiverInvite, str]:
    """A new single-use code carrying `scopes`; returns the invite and the code (shown once)."""
    chosen = scopes_validate(scopes)
    now = now or timezone.now()
    if CaregiverInvite.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).count() >= (
        MAX_PENDING_INVITES
    ):
        raise ApplicationError({"scopes": [TOO_MANY_PENDING]})
    code = _new_code()
    invite = CaregiverInvite.objects.create(
        patient=patient,
        scopes=chosen,
        code_hash=hash_code(code),
        created_at=now,
        expires_at=now + timedelta(hours=settings.CAREGIVER_INVITE_TTL_HOURS),
    )
    return invite, format_code(code)


def invite_withdraw(*, patient: Patient, invite_id: object, now: datetime | None = None) -> None:
    """The patient takes back an unused invite; its code stops working."""
    found = CaregiverInvite.objects.filter(patient=patient, pk=invite_id).first()
    if found is None:
        raise NotFound()
    CaregiverInvite.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now or timezone.now())


@dataclass(frozen=True)
class Accepted:
    token: str
    link: CaregiverLink
    created_account: bool


def _text(value: object, field: str, errors: dict[str, list[str]]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors[field] = ["This field is required."]
        return ""
    return value


def _username_errors(username: str) -> list[str]:
    if len(username) > 150:
        return ["At most 150 characters."]
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        return list(exc.messages)
    if username.lower().startswith("patient-"):
        return [USERNAME_RESERVED]
    return []


def invite_accept(
    *,
    code: object,
    username: object = None,
    password: object = None,
    display_name: object = None,
    device_name: object = None,
    caregiver: User | None = None,
) -> Accepted:
    """Trade an invite code for a new caregiver account and a token, or, for a caregiver already
    signed in (`caregiver`, from their own token), for a further link.

    An existing account is never reached with a password from the body: that was a way to guess
    any caregiver's password outside the sign-in lockout and take over their account. Every
    password check goes through the token sign-in, which the lockout counts.

    1. Check the input: nothing is consumed by a request that fails validation.
    2. Find the invite: invalid, used and expired codes each say so.
    3. Check the username is free (one answer, whoever holds it) and the password.
    4. Claim it with a conditional UPDATE, make the account (if new) and write the link, in one
       transaction: if any step fails, the code still works.
    """
    if caregiver is not None and caregiver.role != Role.CAREGIVER:
        raise ApplicationError({"detail": [SIGNED_IN_NOT_CAREGIVER]}, status=403)
    errors: dict[str, list[str]] = {}
    raw_code = _text(code, "code", errors)
    if display_name is not None and not isinstance(display_name, str):
        errors["display_name"] = ["Must be text."]
    if device_name is not None and not isinstance(device_name, str):
        errors["device_name"] = ["Must be text."]
    name = secret = ""
    if caregiver is None:
        name = _text(username, "username", errors).strip()
        secret = password if isinstance(password, str) and password else ""
        if not secret:
            errors["password"] = ["This field is required."]
        if name and (problems := _username_errors(name)):
            errors["username"] = problems
    if errors:
        raise ApplicationError(errors)
    shown_name = (display_name or "").strip()[:150] if isinstance(display_name, str) else ""

    # The code first: without a valid one, nobody learns which usernames are taken.
    now = timezone.now()
    found = _invite_by_code(raw_code)
    if found is None:
        raise ApplicationError({"code": [CODE_INVALID]})
    if found.used_at is not None:
        raise ApplicationError({"code": [CODE_USED]})
    if found.expires_at <= now:
        raise ApplicationError({"code": [CODE_EXPIRED]})

    if caregiver is None:
        # Taken is taken, whoever holds the name and whatever the password: the answer does not
        # depend on either.
        if User.objects.filter(username__iexact=name).exists():
            _username_refused(found, now)
        try:
            validate_password(secret, user=User(username=name, first_name=shown_name, role=Role.CAREGIVER))
        except ValidationError as exc:
            raise ApplicationError({"password": list(exc.messages)}) from exc

    with transaction.atomic():
        claimed = CaregiverInvite.objects.filter(pk=found.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        if claimed != 1:
            raise ApplicationError({"code": [CODE_USED]})
        if caregiver is not None:
            user = caregiver
        else:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        username=name,
                        password=secret,
                        role=Role.CAREGIVER,
                        clinic_id=found.patient.clinic_id,
                        first_name=shown_name,
                    )
            except IntegrityError as exc:  # someone took the name a moment ago
                raise ApplicationError({"username": [USERNAME_TAKEN]}) from exc
        CaregiverInvite.objects.filter(pk=found.pk).update(accepted_by=user)
        link = CaregiverLink.objects.filter(caregiver=user, patient=found.patient, revoked_at__isnull=True).first()
        if link is not None:  # a second invite from the same patient: its scopes replace the old ones
            link.scopes, link.invite = found.scopes, found
            link.save(update_fields=["scopes", "invite"])
        else:
            link = CaregiverLink.objects.create(
                caregiver=user, patient=found.patient, scopes=found.scopes, invite=found, created_at=now
            )
        device = (device_name or "").strip() if isinstance(device_name, str) else ""
        token = token_issue(user=user, device_name=device or "caregiver")
    return Accepted(token, link, created_account=caregiver is None)


def _username_refused(invite: CaregiverInvite, now: datetime) -> NoReturn:
    """Say the name is taken, and count it against the code: after MAX_USERNAME_REFUSALS the code
    is spent, so a code (and the patient who made it) cannot list which usernames exist."""
    CaregiverInvite.objects.filter(pk=invite.pk).update(username_refusals=F("username_refusals") + 1)
    spent = CaregiverInvite.objects.filter(
        pk=invite.pk, used_at__isnull=True, username_refusals__gte=MAX_USERNAME_REFUSALS
    ).update(used_at=now)
    raise ApplicationError({"username": [USERNAME_TAKEN_CODE_SPENT if spent else USERNAME_TAKEN]})


def _invite_by_code(raw_code: str) -> CaregiverInvite | None:
    digests = code_digests(normalize_code(raw_code))
    return CaregiverInvite.objects.select_related("patient").filter(code_hash__in=digests).first()


def caregiver_revoke(*, patient: Patient, link_id: object, now: datetime | None = None) -> CaregiverLink:
    """Idempotent. Access ends with this transaction: every read checks the link, and whatever was
    still waiting to be sent to this caregiver about this patient is cancelled."""
    link = CaregiverLink.objects.select_related("caregiver").filter(patient=patient, pk=link_id).first()
    if link is None:
        raise NotFound()
    with transaction.atomic():
        if CaregiverLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now()):
            link_revoked.send(sender=CaregiverLink, caregiver_id=link.caregiver_id, patient_id=patient.pk)
    link.refresh_from_db()
    return link
