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


@cache
def transport_for(channel: str) -> Transport:
    path = settings.CARELOOP_TRANSPORTS.get(channel, "dev")
    if path == "dev":
        return RecordingTransport(channel)
    path = ALIASES.get(path, path)
    transport: Transport = import_string(path)()
    return transport
