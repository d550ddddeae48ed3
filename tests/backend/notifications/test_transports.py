"""The provider adapters' error mapping, with each library patched at its single choke point (the
Twilio client, firebase_admin.messaging.send, Django's mail backend): permanent errors disable the
channel, everything else is retried."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import exceptions as fcm_exceptions
from firebase_admin import messaging
from twilio.base.exceptions import TwilioRestException

from backend.notifications.transports import push, sms
from backend.notifications.transports.base import TransportError
from backend.notifications.transports.dev import RecordingTransport
from backend.notifications.transports.email import EmailTransport
from backend.notifications.transports.registry import transport_for

MESSAGE = {"address": "+15550100123", "subject": "CareLoop", "body": "Open CareLoop.", "dedupe_key": "careloop-1-sms"}

# --- Twilio -------------------------------------------------------------------------------------------


class FakeTwilio:
    """Stands in for twilio.rest.Client: records messages.create calls, or raises what it is told."""

    raises: BaseException | None = None
    created: list[dict[str, Any]] = []

    def __init__(self, sid: str, token: str, http_client: Any = None) -> None:
        self.credentials = (sid, token)
        self.messages = self

    def create(self, **kwargs: Any) -> object:
        if self.raises is not None:
            raise self.raises
        self.created.append(kwargs)
        return object()


@pytest.fixture
def twilio(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeTwilio]]:
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "secret"
    settings.TWILIO_FROM_NUMBER, settings.TWILIO_MESSAGING_SERVICE_SID = "+15550009999", ""
    monkeypatch.setattr(sms, "Client", FakeTwilio)
    FakeTwilio.raises, FakeTwilio.created = None, []
    yield FakeTwilio


def _twilio_error(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json", "no", code)


def test_twilio_sends_the_generic_body_from_the_configured_number(twilio: type[FakeTwilio]) -> None:
    sms.TwilioSms().send(**MESSAGE)

    assert twilio.created == [{"to": "+15550100123", "body": "Open CareLoop.", "from_": "+15550009999"}]


def test_twilio_can_send_through_a_messaging_service(twilio: type[FakeTwilio], settings: Any) -> None:
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG123"

    sms.TwilioSms().send(**MESSAGE)

    assert twilio.created[0]["messaging_service_sid"] == "MG123" and "from_" not in twilio.created[0]


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 21211), (400, 21614), (400, 21610), (401, 20003), (403, None)],
    ids=["invalid-to", "not-mobile", "unsubscribed", "auth", "forbidden"],
)
def test_twilio_errors_that_no_retry_can_fix_are_permanent(twilio: type[FakeTwilio], status: int, code: int) -> None:
    twilio.raises = _twilio_error(status, code)

    with pytest.raises(TransportError) as raised:
        sms.TwilioSms().send(**MESSAGE)

    assert raised.value.permanent is True


@pytest.mark.parametrize(
    "error",
    [
        _twilio_error(500, None),
        _twilio_error(503, 20500),
        _twilio_error(429, 20429),
        _twilio_error(400, 30001),  # an unclassified 4xx: retried a bounded number of times
        requests.ConnectionError("reset"),
        requests.Timeout("slow"),
    ],
    ids=["500", "503", "429", "unknown-4xx", "network", "timeout"],
)
def test_twilio_server_side_and_network_errors_are_transient(twilio: type[FakeTwilio], error: Exception) -> None:
    twilio.raises = error

    with pytest.raises(TransportError) as raised:
        sms.TwilioSms().send(**MESSAGE)

    assert raised.value.permanent is False


def test_twilio_is_off_until_configured(settings: Any) -> None:
    settings.TWILIO_ACCOUNT_SID = ""

    with pytest.raises(ImproperlyConfigured):
        sms.TwilioSms()


# --- Firebase Cloud Messaging -------------------------------------------------------------------------


@pytest.fixture
def fcm(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """messaging.send records the message, or raises what the test puts in the list first."""
    sent: list[Any] = []

    def send(message: messaging.Message, dry_run: bool = False, app: Any = None) -> str:
        if sent and isinstance(sent[0], BaseException):
            raise sent.pop(0)
        sent.append(message)
        return "projects/p/messages/1"

    monkeypatch.setattr(push, "_app", lambda: object())
    monkeypatch.setattr(push.messaging, "send", send)
    yield sent


def test_fcm_sends_a_notification_to_the_installation_id(fcm: list[Any]) -> None:
    push.FcmPush().send(address="cL2xZ3hB4k9s7dE1fG5hJ2", subject="CareLoop", body="Open CareLoop.", dedupe_key="k")

    [message] = fcm
    assert (message.fid, message.token) == ("cL2xZ3hB4k9s7dE1fG5hJ2", None)
    assert (message.notification.title, message.notification.body) == ("CareLoop", "Open CareLoop.")
    assert message.android.priority == "high"


def test_fcm_still_sends_to_a_legacy_registration_token(fcm: list[Any]) -> None:
    token = "dGVzdA:APA91b" + "x" * 140

    push.FcmPush().send(address=token, subject="CareLoop", body="Open CareLoop.", dedupe_key="k")

    assert (fcm[0].token, fcm[0].fid) == (token, None)


@pytest.mark.parametrize(
    "error",
    [
        messaging.UnregisteredError("gone"),
        messaging.SenderIdMismatchError("other project"),
        fcm_exceptions.InvalidArgumentError("bad token"),
        fcm_exceptions.UnauthenticatedError("bad key"),
    ],
    ids=["unregistered", "sender-mismatch", "invalid-argument", "unauthenticated"],
)
def test_fcm_errors_about_the_token_or_credentials_are_permanent(fcm: list[Any], error: Exception) -> None:
    fcm.append(error)

    with pytest.raises(TransportError) as raised:
        push.FcmPush().send(address="device-token", subject="s", body="b", dedupe_key="k")

    assert raised.value.permanent is True


@pytest.mark.parametrize(
    "error",
    [
        fcm_exceptions.UnavailableError("later"),
        fcm_exceptions.InternalError("oops"),
        messaging.QuotaExceededError("slow down"),
        fcm_exceptions.DeadlineExceededError("slow"),
        fcm_exceptions.UnknownError("?"),
    ],
    ids=["unavailable", "internal", "quota", "deadline", "unknown"],
)
def test_fcm_server_side_errors_are_transient(fcm: list[Any], error: Exception) -> None:
    fcm.append(error)

    with pytest.raises(TransportError) as raised:
        push.FcmPush().send(address="device-token", subject="s", body="b", dedupe_key="k")

    assert raised.value.permanent is False


def test_fcm_credentials_that_cannot_be_read_are_not_the_persons_fault(settings: Any, tmp_path: Any) -> None:
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "missing.json")

    # Whatever the SDK raises here, it must not be a TransportError: that could disable the person's channel.
    with pytest.raises(Exception) as raised:
        push.FcmPush().send(address="device-token", subject="s", body="b", dedupe_key="k")

    assert not isinstance(raised.value, TransportError)


# --- Email (Django's mail framework) -------------------------------------------------------------------


def test_email_goes_through_djangos_mail_framework(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    EmailTransport().send(address="nina@clinic.example", subject="CareLoop", body="Open CareLoop.", dedupe_key="k")

    [sent] = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["nina@clinic.example"], "CareLoop", "Open CareLoop.")


class _Refusing:
    error: Exception = smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")})

    def __init__(self, **_: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise self.error


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y": (550, b"no such user")}), True),
        (smtplib.SMTPServerDisconnected("bye"), False),
        (ConnectionRefusedError(), False),
    ],
)
def test_email_errors_are_mapped(settings: Any, error: Exception, permanent: bool) -> None:
    _Refusing.error = error
    settings.EMAIL_BACKEND = f"{__name__}._Refusing"

    with pytest.raises(TransportError) as raised:
        EmailTransport().send(address="x@y", subject="s", body="b", dedupe_key="k")

    assert raised.value.permanent is permanent


# --- Choosing a transport --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("twilio", sms.TwilioSms),
        ("backend.notifications.transports.sms.TwilioSms", sms.TwilioSms),
        ("fcm", push.FcmPush),
    ],
)
def test_short_names_and_dotted_paths_pick_the_adapter(
    settings: Any, twilio: type[FakeTwilio], setting: str, expected: type
) -> None:
    settings.CARELOOP_TRANSPORTS = {"sms": setting, "push": setting}
    transport_for.cache_clear()
    try:
        assert isinstance(transport_for("sms" if expected is sms.TwilioSms else "push"), expected)
    finally:
        transport_for.cache_clear()


def test_every_channel_records_in_development_until_configured(settings: Any) -> None:
    settings.CARELOOP_TRANSPORTS = {"email": "dev", "sms": "dev", "push": "dev"}
    transport_for.cache_clear()
    try:
        assert all(isinstance(transport_for(c), RecordingTransport) for c in ("email", "sms", "push"))
    finally:
        transport_for.cache_clear()
