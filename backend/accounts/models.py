"""Clinics, the people who sign in (staff, patients' devices, caregivers) and their device tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy
from django_otp.models import Device, ThrottlingMixin


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    phone = models.CharField(max_length=40, blank=True, help_text="Shown to patients: 'call your care team'.")
    # Stricter-only overrides of shared.alert_policy.DEFAULT_POLICY (see shared.alert_policy.with_overrides).
    alert_policy = models.JSONField(default=dict, blank=True)
    # Escalation: an open alert nobody acknowledged within its target goes to every nurse of the
    # clinic, then to the on-call contact.
    escalation_critical_minutes = models.PositiveIntegerField(default=15)
    escalation_urgent_minutes = models.PositiveIntegerField(default=120)
    on_call_name = models.CharField(max_length=120, blank=True)
    on_call_phone = models.CharField(max_length=40, blank=True)
    on_call_email = models.EmailField(blank=True)
    # Antiviral prophylaxis default for new patients (NINLARO USPI: consider antiviral prophylaxis
    # against herpes zoster reactivation), e.g. acyclovir 400 mg twice daily or valacyclovir once.
    antiviral_drug = models.CharField(max_length=60, default="acyclovir 400 mg")
    antiviral_times = models.JSONField(default=list, blank=True, help_text='Local times, e.g. ["08:00", "20:00"].')
    # Every nurse and admin signs in to the dashboard with a second factor (an authenticator app or a
    # passkey) after the password; staff without one are sent to set one up (backend.dashboard.signin_steps).
    require_second_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from shared.alert_policy import DEFAULT_POLICY, PolicyError, with_overrides

        if not isinstance(self.alert_policy, dict):
            raise ValidationError({"alert_policy": "Must be an object."})
        try:
            with_overrides(DEFAULT_POLICY, self.alert_policy)
        except (PolicyError, ValueError, ArithmeticError) as exc:
            raise ValidationError({"alert_policy": str(exc)}) from exc


class Role(models.TextChoices):
    NURSE = "nurse", gettext_lazy("Nurse")
    ADMIN = "admin", gettext_lazy("Clinic admin")
    PATIENT = "patient", gettext_lazy("Patient")
    CAREGIVER = "caregiver", gettext_lazy("Caregiver")


STAFF_ROLES = (Role.NURSE, Role.ADMIN)


class _AuthStateQuerySet(models.QuerySet[Any]):
    """Every bulk update or delete that may end or change what a Bearer token stands for tells the
    token cache (backend.accounts.token_cache), as saves and deletes do through signals
    (AccountsConfig.ready). `harmless` fields change nothing a token check reads back."""

    harmless: frozenset[str] = frozenset()

    def update(self, **kwargs: Any) -> int:
        changed = super().update(**kwargs)
        if changed and not set(kwargs) <= self.harmless:
            from backend.accounts.token_cache import auth_state_changed

            auth_state_changed()
        return changed

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        if deleted[0]:
            from backend.accounts.token_cache import auth_state_changed

            auth_state_changed()
        return deleted


class UserQuerySet(_AuthStateQuerySet):
    harmless = frozenset({"last_login"})


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    """Django's, with the queryset that keeps the token cache honest."""


class User(AbstractUser):
    objects = UserManager()

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.NURSE)
    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    # The person's own language for pages and messages (settings.LANGUAGES); blank follows the browser
    # on the dashboard and English elsewhere.
    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256 digests: a leaked table does not sign anyone in. A token has 256
    random bits, so its bare digest cannot be reversed by trying every token (codes can: below)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def hash_code(code: str) -> str:
    """Enrollment and invitation codes (8 characters of 30, about 2^39) are stored as an HMAC-SHA256
    keyed with the secret key: from a bare SHA-256, a leaked table would give every outstanding
    code back by trying them all. Rotating the key ends the codes not yet used."""
    return salted_hmac("careloop.codes", code, algorithm="sha256").hexdigest()


def code_digests(code: str) -> list[str]:
    """The digests a stored code may have: the keyed one, and the bare SHA-256 of codes issued
    before keyed digests (they expire within CARELOOP_*_TTL_HOURS; new codes never use it)."""
    return [hash_code(code), hash_token(code)]


class DeviceTokenQuerySet(_AuthStateQuerySet):
    harmless = frozenset({"last_used_at"})


class DeviceToken(models.Model):
    """One Bearer token per signed-in device; revoking it signs out that device only."""

    objects = DeviceTokenQuerySet.as_manager()

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_tokens")
    device_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the token last signed a request in, to within TOKEN_TOUCH_SECONDS: staff and caregiver
    # tokens end after an idle time (backend.accounts.authentication); null = never since created.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.device_name or 'device'}"


def recovery_code_digest(code: str) -> str:
    """Recovery codes (10 characters of 31, about 2^49) are stored as an HMAC-SHA256 keyed with the
    secret key, like enrollment codes (`hash_code`): a leaked table gives none of them back. Spaces,
    dashes and case do not matter when a person types one."""
    normalized = "".join(code.split()).replace("-", "").lower()
    return salted_hmac("careloop.recovery-codes", normalized, algorithm="sha256").hexdigest()


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A staff member's set of single-use recovery codes, as a django-otp device: one code signs in
    once when the phone or passkey is lost. Wrong codes slow down like a TOTP device's (1, 2, 4 s ...)."""

    def verify_token(self, token: object) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        # A delete both checks and spends the code: two requests racing with one code cannot both win.
        used, _ = RecoveryCode.objects.filter(device=self, digest=recovery_code_digest(token)).delete()
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_once_per_device")]
