"""Second factors for tests: an authenticator app set up a while ago, and the code it shows now."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts.models import User
from backend.accounts.second_factor import recovery_codes_issue


def authenticator_for(user: User) -> TOTPDevice:
    """A confirmed authenticator app (its secret made by django-otp, as when a person scans it)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_now(device: TOTPDevice) -> str:
    """What the phone's app shows at this moment: RFC 6238 from the shared secret (django-otp's own
    implementation, the same arithmetic as any authenticator app)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def with_recovery_codes(user: User) -> list[str]:
    return recovery_codes_issue(user=user)
