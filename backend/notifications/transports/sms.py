"""SMS through Twilio's REST API (the `twilio` library).

Off until configured: select it with `CARELOOP_SMS_TRANSPORT=backend.notifications.transports.sms.TwilioSms`
and set `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN` and either `TWILIO_FROM_NUMBER` (E.164) or
`TWILIO_MESSAGING_SERVICE_SID` (README, "Notifications: configuring real SMS, push and email providers").

Error mapping (https://www.twilio.com/docs/api/errors): a number that can never receive our texts is
permanent, so the channel is disabled for that person and the clinic is told; so are rejected
credentials, which no retry can fix. Rate limits, Twilio's 5xx and network failures are transient
and retried with backoff.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from backend.notifications.transports.base import Transport, TransportError

# Twilio error codes after which the same message to the same number can never succeed.
PERMANENT_CODES = {
    20003: "Twilio rejected the credentials",
    21211: "invalid 'To' phone number",
    21408: "sending to this region is not enabled on the Twilio account",
    21610: "the recipient replied STOP (unsubscribed)",
    21612: "the 'To' number cannot be reached by SMS",
    21614: "the 'To' number is not a mobile number",
}
TRANSIENT_CODES = {20429: "Twilio rate limit"}
TIMEOUT_SECONDS = 10


class TwilioSms(Transport):
    channel = "sms"

    def __init__(self) -> None:
        sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
        self.from_number = settings.TWILIO_FROM_NUMBER
        self.messaging_service_sid = settings.TWILIO_MESSAGING_SERVICE_SID
        if not (sid and token and (self.from_number or self.messaging_service_sid)):
            raise ImproperlyConfigured(
                "TwilioSms needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER "
                "(or TWILIO_MESSAGING_SERVICE_SID)."
            )
        # The single choke point with Twilio: everything goes through this client.
        self.client: Any = Client(sid, token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS))

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        try:
            self.client.messages.create(to=address, body=body, **sender)
        except TwilioRestException as exc:
            raise classify(exc) from exc
        except (requests.RequestException, OSError) as exc:
            raise TransportError(f"Twilio unreachable: {type(exc).__name__}") from exc
        except TwilioException as exc:  # the library's own non-HTTP failures (e.g. bad configuration)
            raise TransportError(f"Twilio client error: {type(exc).__name__}") from exc


def classify(exc: TwilioRestException) -> TransportError:
    """Twilio's answer as a TransportError: permanent or transient."""
    code = exc.code
    if code in PERMANENT_CODES:
        return TransportError(f"Twilio {code}: {PERMANENT_CODES[code]}", permanent=True)
    if code in TRANSIENT_CODES:
        return TransportError(f"Twilio {code}: {TRANSIENT_CODES[code]}")
    if exc.status in (401, 403):
        return TransportError(f"Twilio HTTP {exc.status}: credentials rejected", permanent=True)
    # 429 and 5xx are Twilio's side; an unknown 4xx is retried a bounded number of times, then
    # logged as failed, rather than disabling someone's phone on a code we have not classified.
    return TransportError(f"Twilio HTTP {exc.status} (code {code})")
