"""Staff second factor: an authenticator app (TOTP) or passkeys (WebAuthn), and single-use recovery codes.

The devices are django-otp's (TOTPDevice, with its replay protection and back-off after wrong codes),
django-otp-webauthn's (WebAuthnCredential) and ours (RecoveryCodeDevice, codes stored as keyed
digests). A recovery code is a way back in, not a factor of its own: "has a second factor" means a
confirmed authenticator app or passkey, and removing the last of those removes the codes too.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from backend.accounts.models import RecoveryCode, RecoveryCodeDevice, User, recovery_code_digest
from backend.core.errors import ApplicationError, NotFound

RECOVERY_CODE_COUNT = 10
# 31 letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_LENGTH = 10
# django-otp doubles the wait after each wrong code in a row (1, 2, 4 s ...) with no practical
# ceiling: thirty wrong tries by anyone would keep the nurse out for years. Counted no further than
# this, the wait stops at 2^9 = 512 s (under nine minutes), still about 170 guesses a day at most of
# a million codes, and the sign-in lockout counts every wrong code beside it.
BACKOFF_FAILURES_CAP = 10

WRONG_CODE = "That code did not work. Check the time on your phone, or use a recovery code."
WAIT = "Too many wrong codes in a row: wait a few seconds before the next try."
STILL_REQUIRED = (
    "Your clinic requires a second factor: add another authenticator app or passkey before removing this one."
)
TOTP_KIND, PASSKEY_KIND = "authenticator", "passkey"


@dataclass(frozen=True)
class Factors:
    """What a person has set up, for the security page and the sign-in step."""

    authenticator: TOTPDevice | None
    passkeys: list[WebAuthnCredential]
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return self.authenticator is not None or bool(self.passkeys)


def factors_of(user: User) -> Factors:
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    passkeys = list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at"))
    left = RecoveryCode.objects.filter(device__user=user).count()
    return Factors(authenticator=totp, passkeys=passkeys, recovery_codes_left=left)


def has_second_factor(user: User) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def users_with_second_factor(user_ids: list[int]) -> set[int]:
    """Which of these people have an authenticator app or a passkey (two queries)."""
    with_app = TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
    with_key = WebAuthnCredential.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
    return set(with_app) | set(with_key)


def second_factor_required(user: User) -> bool:
    """The clinic's rule (Clinic.require_second_factor); staff without a clinic follow none."""
    clinic = user.clinic
    return clinic is not None and clinic.require_second_factor


def authenticator_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app secret for `user` to scan; an earlier unconfirmed one is
    dropped. It signs nobody in until confirmed with a code computed from it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def authenticator_pending(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def authenticator_confirm(*, user: User, code: str) -> TOTPDevice:
    """Confirm the scanned secret with a code from the app; it then replaces an earlier app."""
    with transaction.atomic():  # a wrong code's back-off is committed before the error is raised
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise ApplicationError({"code": ["Start again: scan the new QR code first."]})
        allowed, _ = device.verify_is_allowed()
        confirmed = allowed and device.verify_token(_digits(code))
        if confirmed:
            TOTPDevice.objects.filter(user=user, confirmed=True).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if not allowed:
        raise ApplicationError({"code": [WAIT]}, status=429)
    if not confirmed:
        raise ApplicationError({"code": [WRONG_CODE]})
    return device


def _digits(code: str) -> str:
    return "".join(code.split())


def recovery_codes_issue(*, user: User) -> list[str]:
    """Ten new single-use codes, shown once; the earlier ones stop working. Only digests are stored."""
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH)) for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes")
        RecoveryCode.objects.bulk_create(RecoveryCode(device=device, digest=recovery_code_digest(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@dataclass(frozen=True)
class CodeCheck:
    """The answer to a typed code: which kind signed the person in, or why not."""

    kind: str = ""  # "authenticator" or "recovery code"; empty when the code did not work
    retry_after: int = 0  # seconds until the device takes another code (django-otp's back-off)

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0

    @property
    def ok(self) -> bool:
        return bool(self.kind)


@transaction.atomic
def code_verify(*, user: User, code: object) -> CodeCheck:
    """A six-digit code from the authenticator app, or a recovery code (spent by using it). Wrong
    codes slow the device down (django-otp's back-off); callers also count them toward the
    sign-in lockout."""
    if not isinstance(code, str) or not code.strip():
        return CodeCheck()
    typed = _digits(code)
    if typed.isdigit():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        kind = "authenticator"
    else:
        device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).first()
        kind = "recovery code"
    if device is None:
        return CodeCheck()
    # Capped in memory before the check; a further wrong code saves cap + 1, capped again next time.
    device.throttling_failure_count = min(device.throttling_failure_count, BACKOFF_FAILURES_CAP)
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until")
        wait = (until - timezone.now()).total_seconds() if until else 1
        return CodeCheck(retry_after=max(1, math.ceil(wait)))
    return CodeCheck(kind=kind) if device.verify_token(typed) else CodeCheck()


@transaction.atomic
def factor_remove(*, user: User, kind: str, device_id: int) -> None:
    """Remove one of one's own authenticator app or passkeys. The last one goes only where the
    clinic does not require a second factor, and takes the recovery codes with it."""
    model = {TOTP_KIND: TOTPDevice, PASSKEY_KIND: WebAuthnCredential}.get(kind)
    if model is None:
        raise NotFound()
    device = model.objects.filter(user=user, pk=device_id, confirmed=True).first()
    if device is None:
        raise NotFound()
    left = (
        TOTPDevice.objects.filter(user=user, confirmed=True).count()
        + WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
        - 1
    )
    if left == 0 and second_factor_required(user):
        raise ApplicationError({"non_field_errors": [STILL_REQUIRED]})
    device.delete()
    if left == 0:
        RecoveryCodeDevice.objects.filter(user=user).delete()


def passkey_name(*, user: User) -> str:
    """A name for a new passkey, so a list of several can be told apart."""
    n = WebAuthnCredential.objects.filter(user=user).count()
    return f"Passkey {n}" if n > 1 else "Passkey"


@transaction.atomic
def second_factors_reset(*, user: User) -> int:
    """Remove every factor and recovery code of `user` (lost phone and codes, proven in person):
    the next sign-in is by password, then setting a factor up where the clinic requires one.
    How many devices went."""
    removed = 0
    for model in (TOTPDevice, WebAuthnCredential, RecoveryCodeDevice):
        _, deleted = model.objects.filter(user=user).delete()
        removed += deleted.get(model._meta.label, 0)  # devices, not the codes that went with them
    return removed
