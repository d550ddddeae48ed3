"""Which transport serves each channel: settings.CARELOOP_TRANSPORTS maps a channel to a dotted
class path, or to "dev" for the recording transport (the default until a provider is configured)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from backend.notifications.transports.base import Transport
from backend.notifications.transports.dev import RecordingTransport

# Short names for the bundled adapters; any other value is a dotted Transport class path.
ALIASES = {
    "smtp": "backend.notifications.transports.email.EmailTransport",
    "twilio": "backend.notifications.transports.sms.TwilioSms",
    "fcm": "backend.notifications.transports.push.FcmPush",
}


def _transport_class(channel: str) -> type[Transport]:
    path = settings.CARELOOP_TRANSPORTS.get(channel, "dev")
    if path == "dev":
        return RecordingTransport
    transport_class: type[Transport] = import_string(ALIASES.get(path, path))
    return transport_class


@cache
def transport_for(channel: str) -> Transport:
    transport_class = _transport_class(channel)
    if transport_class is RecordingTransport:
        return RecordingTransport(channel)
    return transport_class()


def repeat_is_harmless(channel: str) -> bool:
    """Whether the channel's provider drops a repeat of the same message by its idempotency key.
    Read off the class, so a provider whose credentials are missing still answers (False)."""
    return _transport_class(channel).idempotent
