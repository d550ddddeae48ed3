"""Staff second factor in the dashboard: an authenticator app (TOTP) or a passkey after the password,
single-use recovery codes, removing a factor only after confirming with one, and a clinic that
requires a second factor of every nurse and admin."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts.models import Clinic, DeviceToken, RecoveryCode, recovery_code_digest
from backend.accounts.second_factor import STILL_REQUIRED, WAIT, WRONG_CODE, factors_of
from backend.audit.models import AuditEvent
from backend.dashboard.lockout import LOCKED_OUT
from backend.dashboard.services import SET_UP_YOURS_FIRST
from tests.dashboard.support import text
from tests.factories import PASSWORD, Person
from tests.second_factor import authenticator_for, code_now, with_recovery_codes

pytestmark = pytest.mark.django_db
ADDRESS = {"REMOTE_ADDR": "10.0.0.7"}


def password_step(client: Client, username: str = "nurse.nina", password: str = PASSWORD, next_url: str = "") -> str:
    url = "/signin/" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, {"username": username, "password": password}, **ADDRESS)
    assert response.status_code == 302, text(response)
    return str(response["Location"])


def code_step(client: Client, code: str) -> object:
    return client.post("/signin/verify/", {"code": code}, **ADDRESS)


def signed_in(client: Client) -> bool:
    return client.get("/patients/").status_code == 200


def require_second_factor(clinic_name: str = "Riverside Oncology") -> None:
    Clinic.objects.filter(name=clinic_name).update(require_second_factor=True)


# --- Optional: the demo and any clinic that has not turned it on ----------------------------------


def test_without_a_factor_the_password_alone_signs_in_where_the_clinic_does_not_require_one(nurse: Person) -> None:
    client = Client()
    assert password_step(client) == "/"
    assert signed_in(client)
    assert "You sign in with a password only" in text(client.get("/account/security/"))


# --- Setting up an authenticator app -------------------------------------------------------------


def test_she_sets_up_an_authenticator_app_from_a_qr_code_and_confirms_it_with_a_code(
    nurse: Person, nurse_browser: Client
) -> None:
    page = nurse_browser.get("/account/security/authenticator/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=nurse.user, confirmed=False)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.content.decode()  # the QR code, drawn inline
    key = page.context["key"].replace(" ", "")
    assert len(key) == 32 and device.config_url.startswith("otpauth://totp/CareLoop%3Anurse.nina?secret=" + key)
    # A reload shows the same secret: what she scanned still works.
    assert nurse_browser.get("/account/security/authenticator/").context["key"].replace(" ", "") == key

    wrong = nurse_browser.post("/account/security/authenticator/", {"code": "000000"})
    assert wrong.status_code == 400 and WRONG_CODE in text(wrong)
    assert not factors_of(nurse.user).any

    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):  # past the 1 s back-off
        confirmed = nurse_browser.post("/account/security/authenticator/", {"code": code_now(device)})
    assert confirmed.status_code == 200
    codes = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", text(confirmed))
    assert len(codes) == 10 and len(set(codes)) == 10  # her first factor comes with its recovery codes, once
    assert factors_of(nurse.user).authenticator is not None and factors_of(nurse.user).recovery_codes_left == 10
    audited = AuditEvent.objects.filter(actor=nurse.user, resource="second-factor").order_by("id")
    assert list(audited.values_list("detail", flat=True)) == ["added authenticator app", "new recovery codes"]


def test_recovery_codes_are_stored_as_keyed_digests_never_as_themselves(nurse: Person) -> None:
    authenticator_for(nurse.user)
    codes = with_recovery_codes(nurse.user)
    stored = set(RecoveryCode.objects.filter(device__user=nurse.user).values_list("digest", flat=True))
    assert stored == {recovery_code_digest(c) for c in codes}
    for code in codes:
        assert code not in str(stored) and code.replace("-", "") not in str(stored)
        assert hashlib.sha256(code.replace("-", "").encode()).hexdigest() not in stored  # keyed, not bare


# --- Signing in with the second factor -----------------------------------------------------------


def test_with_an_app_the_password_only_leads_to_the_second_step_and_nothing_else(nurse: Person) -> None:
    authenticator_for(nurse.user)
    client = Client()
    assert password_step(client, next_url="/patients/") == "/signin/verify/"
    step = client.get("/signin/verify/")
    assert step.status_code == 200 and "Code from your authenticator app, or a recovery code" in text(step)
    # Half way in is not signed in: the dashboard, the admin and the API see nobody.
    assert client.get("/").status_code == 302 and client.get("/patients/")["Location"].startswith("/signin/")
    assert client.get("/account/security/").status_code == 302
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/patients/").status_code == 401


def test_the_code_from_the_app_finishes_signing_in_and_goes_where_she_was_going(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    client = Client()
    password_step(client, next_url="/patients/")
    response = code_step(client, code_now(device))
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert signed_in(client)
    # The same code cannot be used twice (django-otp remembers the last time step).
    other = Client()
    password_step(other)
    assert code_step(other, code_now(device)).status_code == 400


def test_a_recovery_code_signs_in_once(nurse: Person) -> None:
    authenticator_for(nurse.user)
    codes = with_recovery_codes(nurse.user)
    client = Client()
    password_step(client)
    response = code_step(client, codes[3].upper().replace("-", " "))  # typed loosely
    assert response.status_code == 302
    assert "recovery code: 9 left" in text(client.get("/"))  # and signed in: the queue
    again = Client()
    password_step(again)
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        refused = code_step(again, codes[3])
    assert refused.status_code == 400 and WRONG_CODE in text(refused)
    assert not signed_in(again)


def test_a_wrong_code_slows_the_next_try_down(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    client = Client()
    password_step(client)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert code_step(client, "123456").status_code == 400
        hurried = code_step(client, code_now(device))
        assert hurried.status_code == 429 and WAIT in text(hurried)
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        assert code_step(client, code_now(device)).status_code == 302


def test_wrong_codes_count_toward_the_lockout_with_wrong_passwords(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    client = Client()
    for _ in range(2):
        assert client.post("/signin/", {"username": "nurse.nina", "password": "nope"}, **ADDRESS).status_code == 400
    password_step(client)
    start = timezone.now()
    for i in range(2):
        with time_machine.travel(start + timedelta(minutes=i), tick=False):
            assert code_step(client, "000000").status_code == 400
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        locked = code_step(client, "000000")  # the fifth failure for this username and address
        assert locked.status_code == 429 and str(LOCKED_OUT) in text(locked)
        # The password step is over; the right password and code are refused until the pause ends.
        assert client.get("/signin/verify/")["Location"] == "/signin/"
        assert client.post("/signin/", {"username": "nurse.nina", "password": PASSWORD}, **ADDRESS).status_code == 429
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        password_step(client)
        assert code_step(client, code_now(device)).status_code == 302


def test_the_password_step_lasts_ten_minutes(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_step(client)
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert code_step(client, code_now(device))["Location"] == "/signin/"
        assert not signed_in(client)


def test_passkey_ceremonies_answer_nobody_who_has_not_given_the_password(nurse: Person) -> None:
    for url in ("/signin/passkey/begin/", "/account/security/passkey/begin/"):
        response = Client().post(url)
        assert response.status_code in (401, 403) and "detail" in response.json()


def test_a_passkey_sign_in_offers_only_her_own_passkeys(nurse: Person) -> None:
    from django_otp_webauthn.models import WebAuthnCredential

    WebAuthnCredential.objects.create(
        user=nurse.user, name="Passkey", credential_id=b"nina-key", public_key=b"k", sign_count=0, confirmed=True
    )
    client = Client()
    assert password_step(client) == "/signin/verify/"
    assert "Use your passkey" in client.get("/signin/verify/").content.decode()
    options = client.post("/signin/passkey/begin/").json()
    assert options["rpId"] == "localhost" and options["userVerification"] == "discouraged"
    assert [c["id"] for c in options["allowCredentials"]] == ["bmluYS1rZXk"]  # base64url of b"nina-key"
    # A forged answer is refused and counts toward the lockout like a wrong code.
    forged = client.post("/signin/passkey/complete/", {"id": "bmluYS1rZXk"}, content_type="application/json")
    assert forged.status_code in (400, 422) and not signed_in(client)
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username="nurse.nina").failures_since_start == 1


# --- Changing factors: confirm first -------------------------------------------------------------


def test_removing_a_factor_needs_a_second_factor_from_the_last_five_minutes(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    with_recovery_codes(nurse.user)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_step(client)
        code_step(client, code_now(device))
    url = f"/account/security/authenticator/{device.pk}/remove/"
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        asked = client.post(url)
        assert asked["Location"] == "/signin/verify/?next=%2Faccount%2Fsecurity%2F"
        assert TOTPDevice.objects.filter(pk=device.pk).exists()
        confirm = client.get(asked["Location"])
        assert "Confirm it is you" in text(confirm)
        assert client.post(asked["Location"], {"code": code_now(device)})["Location"] == "/account/security/"
        removed = client.post(url)
    assert removed["Location"] == "/account/security/"
    assert not TOTPDevice.objects.filter(user=nurse.user).exists()
    assert not RecoveryCode.objects.filter(device__user=nurse.user).exists()  # they went with the last factor
    assert AuditEvent.objects.filter(actor=nurse.user, detail="removed authenticator app").count() == 1


def test_new_recovery_codes_replace_the_old_ones_after_confirming(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    old = with_recovery_codes(nurse.user)
    client = Client()
    password_step(client)
    code_step(client, code_now(device))
    page = client.post("/account/security/recovery-codes/")
    new = re.findall(r"\b[a-z2-9]{5}-[a-z2-9]{5}\b", text(page))
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    password_step(other)
    assert code_step(other, old[0]).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        assert code_step(other, new[0]).status_code == 302


def test_nobody_removes_someone_elses_factor(nurse: Person, clinic_admin: Person, admin_browser: Client) -> None:
    device = authenticator_for(nurse.user)
    session = admin_browser.session
    session["careloop_second_factor_at"] = int(timezone.now().timestamp())
    session.save()
    assert admin_browser.post(f"/account/security/authenticator/{device.pk}/remove/").status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


# --- A clinic that requires a second factor ------------------------------------------------------


def _settings_form(admin_browser: Client) -> dict[str, object]:
    form = admin_browser.get("/clinic/settings/").context["form"]
    return {name: form[name].value() for name in form.fields}


def test_the_admin_turns_the_requirement_on_only_with_her_own_factor_and_it_is_audited(
    nurse: Person, clinic_admin: Person, admin_browser: Client
) -> None:
    refused = admin_browser.post("/clinic/settings/", _settings_form(admin_browser) | {"require_second_factor": "on"})
    assert refused.status_code == 200 and str(SET_UP_YOURS_FIRST) in text(refused)
    assert not Clinic.objects.get(name="Riverside Oncology").require_second_factor

    authenticator_for(clinic_admin.user)
    session = admin_browser.session
    session["careloop_second_factor_at"] = int(timezone.now().timestamp())
    session.save()
    saved = admin_browser.post("/clinic/settings/", _settings_form(admin_browser) | {"require_second_factor": "on"})
    assert saved.status_code == 302
    assert Clinic.objects.get(name="Riverside Oncology").require_second_factor
    event = AuditEvent.objects.get(actor=clinic_admin.user, resource="clinic")
    assert event.detail == "settings: require_second_factor (second factor required; 2 staff API tokens signed out)"
    # Tokens got with a password alone end: nurse and admin sign in again, with a code.
    assert not DeviceToken.objects.filter(user__in=[nurse.user, clinic_admin.user], revoked_at__isnull=True).exists()
    assert nurse.client().get("/api/v1/patients/").status_code == 401


def test_a_nurse_signed_in_before_the_rule_is_sent_back_to_sign_in(nurse: Person, nurse_browser: Client) -> None:
    assert nurse_browser.get("/patients/").status_code == 200
    require_second_factor()
    response = nurse_browser.get("/patients/")
    assert response.status_code == 302 and response["Location"] == "/signin/?next=%2Fpatients%2F&second_factor=1"
    assert "Your clinic now requires a second factor" in text(nurse_browser.get(response["Location"]))
    assert nurse_browser.get("/").status_code == 302


def test_where_required_a_nurse_without_a_factor_sets_one_up_before_anything_else(nurse: Person) -> None:
    require_second_factor()
    client = Client()
    assert password_step(client, next_url="/patients/") == "/signin/second-factor/"
    page = client.get("/signin/second-factor/")
    assert page.status_code == 200 and "Your clinic requires a second step" in text(page)
    for elsewhere in ("/", "/patients/", "/account/security/", "/clinic/settings/"):
        assert client.get(elsewhere)["Location"].startswith("/signin/"), elsewhere
    assert client.get("/api/v1/patients/").status_code == 401

    setup = client.get("/account/security/authenticator/")
    assert setup.status_code == 200 and "this finishes signing in" in text(setup)
    device = TOTPDevice.objects.get(user=nurse.user, confirmed=False)
    done = client.post("/account/security/authenticator/", {"code": code_now(device)})
    assert done.status_code == 200 and len(done.context["codes"]) == 10
    assert done.context["then"] == "/patients/"
    assert signed_in(client)


def test_where_required_the_last_factor_stays(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    require_second_factor()
    client = Client()
    password_step(client)
    code_step(client, code_now(device))
    response = client.post(f"/account/security/authenticator/{device.pk}/remove/", follow=True)
    assert STILL_REQUIRED in text(response)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


# --- The Django admin's own sign-in goes through both steps ----------------------------------------


def test_the_admin_sign_in_is_the_dashboards(nurse: Person) -> None:
    response = Client().get("/admin/login/?next=/admin/accounts/")
    assert response.status_code == 302 and response["Location"] == "/signin/?next=%2Fadmin%2Faccounts%2F"
    posted = Client().post("/admin/login/", {"username": "nurse.nina", "password": PASSWORD})
    assert posted["Location"].startswith("/signin/")  # the password-only form is not there to post to


def test_removing_a_passkey_keeps_the_app_and_the_recovery_codes(nurse: Person) -> None:
    from django_otp_webauthn.models import WebAuthnCredential

    device = authenticator_for(nurse.user)
    passkey = WebAuthnCredential.objects.create(
        user=nurse.user, name="Passkey", credential_id=b"nina-key", public_key=b"k", sign_count=0, confirmed=True
    )
    with_recovery_codes(nurse.user)
    client = Client()
    password_step(client)
    code_step(client, code_now(device))
    assert client.post(f"/account/security/passkey/{passkey.pk}/remove/")["Location"] == "/account/security/"
    factors = factors_of(nurse.user)
    assert factors.passkeys == [] and factors.authenticator is not None and factors.recovery_codes_left == 10


# --- Lost phone and codes: the clinic admin resets the factor on the Staff page ---------------------


def test_the_clinic_admin_resets_a_nurses_lost_second_factor(
    nurse: Person, clinic_admin: Person, admin_browser: Client, nurse_browser: Client
) -> None:
    authenticator_for(nurse.user)
    with_recovery_codes(nurse.user)
    assert "second factor" in text(admin_browser.get("/clinic/staff/"))
    url = f"/clinic/staff/{nurse.user.pk}/second-factor/reset/"
    assert nurse_browser.post(url).status_code == 403  # nurses do not reset anyone's
    response = admin_browser.post(url, follow=True)
    assert "nurse.nina's second factor and recovery codes are removed" in text(response)
    assert not factors_of(nurse.user).any and factors_of(nurse.user).recovery_codes_left == 0
    assert nurse.client().get("/api/v1/patients/").status_code == 401  # her API tokens are signed out
    event = AuditEvent.objects.get(actor=clinic_admin.user, resource="user", object_id=str(nurse.user.pk))
    assert event.detail == "second factor reset: nurse.nina; API tokens signed out"
    # The password alone again (her clinic does not require a factor); nothing more to reset.
    assert password_step(Client()) == "/"
    assert "had no second factor to reset" in text(admin_browser.post(url, follow=True))
    assert AuditEvent.objects.filter(actor=clinic_admin.user, detail__startswith="second factor reset").count() == 1


def test_an_admin_resets_neither_her_own_factor_nor_another_clinics(
    clinic_admin: Person, admin_browser: Client, other_clinic_nurse: Person
) -> None:
    authenticator_for(clinic_admin.user)
    authenticator_for(other_clinic_nurse.user)
    own = admin_browser.post(f"/clinic/staff/{clinic_admin.user.pk}/second-factor/reset/", follow=True)
    assert "Your own second factors are on your Security page." in text(own)
    other = admin_browser.post(f"/clinic/staff/{other_clinic_nurse.user.pk}/second-factor/reset/")
    assert other.status_code == 404
    assert factors_of(clinic_admin.user).any and factors_of(other_clinic_nurse.user).any


def test_confirming_again_never_leads_to_another_site(nurse: Person) -> None:
    device = authenticator_for(nurse.user)
    client = Client()
    password_step(client)
    code_step(client, code_now(device))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        page = client.get(f"/signin/verify/?next={target}")
        assert page.context["next"] == "/account/security/", target
