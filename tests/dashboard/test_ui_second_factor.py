"""The staff second factor in a real browser (Debian's Chromium, headless, under the dashboard's
Content-Security-Policy): a nurse sets up an authenticator app from the page's key and signs in with
its code; an admin adds a passkey on Chromium's virtual authenticator (DevTools' WebAuthn domain:
CTAP2, built in, resident keys, user verification) and signs in with it; where the clinic requires
a second factor, a nurse without one sets a passkey up before she reaches the queue. Screenshots in
tests/artifacts/dashboard/ (2fa_*.png)."""

from __future__ import annotations

import re
from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import totp

from backend.accounts.models import Clinic, Role
from backend.accounts.second_factor import factors_of
from tests.dashboard.test_ui import CHROMIUM, VIEWPORT, browser, off_loop, shot, sync_api
from tests.factories import PASSWORD, Person, make_nurse

__all__ = ["browser"]  # the fixture, shared with test_ui

pytestmark = [
    pytest.mark.ui,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]
assert sync_api is not None


@pytest.fixture
def passkey_site(live_server: Any, settings: Any) -> str:
    """Passkeys are bound to a host name, never an IP address: the live server's http://localhost:port
    is this test's relying party (production: CARELOOP_WEBAUTHN_RP_ID and _ORIGINS)."""
    assert live_server.url.startswith("http://localhost:")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    return str(live_server.url)


def app_code(key: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key the page printed (RFC 6238: 30 s steps, 6 digits).
    A code already used cannot be used again, so a second sign-in within the same 30 s uses the next
    step's code, which the server accepts (one step of clock tolerance)."""
    secret = b32decode(key.replace(" ", ""))
    return f"{totp(secret, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def password_step(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/signin/$"))


def virtual_authenticator(context: Any, page: Any) -> Any:
    """Chromium's built-in virtual authenticator, as a laptop's fingerprint reader would be."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, authenticator["authenticatorId"]


@pytest.fixture
def nurse_without_factor(passkey_site: str) -> Person:
    return make_nurse()


def test_a_nurse_sets_up_an_authenticator_app_and_signs_in_with_its_code(
    passkey_site: str, nurse_without_factor: Person, browser: Any
) -> None:
    base = passkey_site
    page = browser.new_context(viewport=VIEWPORT).new_page()
    password_step(page, base, "nurse.nina")
    page.wait_for_url(f"{base}/")  # her clinic does not require one: the password alone

    page.locator(".who-link").click()  # her name: her account's Security page
    page.wait_for_url(f"{base}/account/security/")
    shot(page, "2fa_01_security_none")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_selector("svg.qr")
    shot(page, "2fa_02_authenticator_qr")
    key = page.locator(".totp-key").inner_text()

    page.get_by_label("Six-digit code").fill(app_code(key))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector(".recovery-codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    shot(page, "2fa_03_recovery_codes")
    page.get_by_role("link", name="I have saved them").click()
    page.wait_for_url(f"{base}/account/security/")
    assert "set up" in page.locator("#app-title + .factor-list").inner_text()

    sign_out(page)
    password_step(page, base, "nurse.nina")
    page.wait_for_url(f"{base}/signin/verify/")
    shot(page, "2fa_04_second_step_code")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(app_code(key, steps_ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", name=re.compile("Triage queue")).is_visible()


def test_an_admin_adds_a_passkey_and_signs_in_with_it(passkey_site: str, browser: Any) -> None:
    base = passkey_site
    off_loop(lambda: make_nurse("admin.ada", role=Role.ADMIN))
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    cdp, authenticator_id = virtual_authenticator(context, page)

    password_step(page, base, "admin.ada")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/account/security/")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(".recovery-codes")  # a first factor: its recovery codes, once
    shot(page, "2fa_05_passkey_recovery_codes")
    page.get_by_role("link", name="I have saved them").click()
    page.wait_for_url(f"{base}/account/security/")
    assert "Passkey" in page.locator("#passkeys-title + .factor-list").inner_text()
    shot(page, "2fa_06_security_passkey")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    # With a factor of her own, she requires one of every nurse and admin of the clinic.
    page.get_by_role("link", name="Clinic settings").click()
    page.get_by_label("Require a second factor for every nurse and admin").check()
    shot(page, "2fa_09_clinic_settings", full_page=True)
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Clinic settings saved.").wait_for()
    assert off_loop(lambda: Clinic.objects.get(name="Riverside Oncology").require_second_factor)

    sign_out(page)
    password_step(page, base, "admin.ada")
    page.wait_for_url(f"{base}/signin/verify/")
    shot(page, "2fa_07_second_step_passkey")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(f"{base}/")
    sign_count = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"][0]
    assert sign_count["signCount"] >= 1  # the authenticator signed the sign-in


def test_where_required_a_nurse_sets_up_a_passkey_before_she_reaches_the_queue(
    passkey_site: str, nurse_without_factor: Person, browser: Any
) -> None:
    base = passkey_site
    off_loop(lambda: Clinic.objects.update(require_second_factor=True))
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    virtual_authenticator(context, page)

    page.goto(f"{base}/patients/")  # asked for sign-in on the way to the patient list
    page.get_by_label("Username").fill("nurse.nina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/signin/second-factor/")
    shot(page, "2fa_08_required_setup")
    page.goto(f"{base}/patients/")  # nothing else until a factor is set up
    page.wait_for_url(re.compile(r"/signin/\?next="))
    page.go_back()
    page.wait_for_url(f"{base}/signin/second-factor/")

    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector(".recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    page.wait_for_url(f"{base}/patients/")
    assert off_loop(lambda: len(factors_of(nurse_without_factor.user).passkeys)) == 1
