"""Push through Firebase Cloud Messaging's HTTP v1 API (the `firebase-admin` SDK, Google's own).

Off until configured: select it with `CARELOOP_PUSH_TRANSPORT=backend.notifications.transports.push.FcmPush`
and point `FCM_CREDENTIALS_FILE` at a service-account JSON key of the Firebase project (or leave it
empty to use Google's application default credentials, e.g. `GOOGLE_APPLICATION_CREDENTIALS`).
The address of a push delivery is what the app registered: a Firebase installation ID (FID, 22
characters), or a legacy FCM registration token (long, with a colon), which the SDK still sends.

Error mapping (https://firebase.google.com/docs/cloud-messaging/send/admin-sdk#admin_sdk_error_reference):
an unregistered or malformed token, a sender mismatch and rejected credentials are permanent;
quota, unavailable, internal and deadline errors are transient and retried with backoff.
"""

from __future__ import annotations

import threading
import warnings

import requests
from django.conf import settings
from firebase_admin import App, credentials, exceptions, get_app, initialize_app, messaging

from backend.notifications.transports.base import Transport, TransportError

APP_NAME = "careloop"
_lock = threading.Lock()

PERMANENT = (
    messaging.UnregisteredError,  # the app was uninstalled or the token expired
    messaging.SenderIdMismatchError,  # the token belongs to another Firebase project
    exceptions.InvalidArgumentError,  # a malformed token
    exceptions.NotFoundError,
    exceptions.UnauthenticatedError,  # our credentials were rejected
    exceptions.PermissionDeniedError,
)


def _app() -> App:
    """One Firebase app per process, made on first use."""
    with _lock:
        try:
            return get_app(APP_NAME)
        except ValueError:
            path = settings.FCM_CREDENTIALS_FILE
            credential = credentials.Certificate(path) if path else credentials.ApplicationDefault()
            options = {"projectId": settings.FCM_PROJECT_ID} if settings.FCM_PROJECT_ID else None
            return initialize_app(credential, options, name=APP_NAME)


def _recipient(address: str) -> dict[str, str]:
    """`fid=` for an installation ID, `token=` for a legacy registration token."""
    return {"token": address} if ":" in address or len(address) > 64 else {"fid": address}


class FcmPush(Transport):
    channel = "push"

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        # Outside the try: a credentials file that cannot be read is our configuration, not the
        # person's token; it must not disable their channel (it is retried, and logged, instead).
        app = _app()
        try:
            with warnings.catch_warnings():  # Message(token=...) is deprecated, and still works
                warnings.simplefilter("ignore", DeprecationWarning)
                message = messaging.Message(
                    notification=messaging.Notification(title=subject, body=body),
                    data={"dedupe_key": dedupe_key},
                    android=messaging.AndroidConfig(priority="high", collapse_key=dedupe_key[:64]),
                    **_recipient(address),
                )
            messaging.send(message, app=app)  # the single choke point
        except PERMANENT as exc:
            raise TransportError(f"FCM {type(exc).__name__}: {exc.code}", permanent=True) from exc
        except exceptions.FirebaseError as exc:  # unavailable, internal, quota, deadline, unknown
            raise TransportError(f"FCM {type(exc).__name__}: {exc.code}") from exc
        except ValueError as exc:  # the SDK refused the message itself, e.g. an empty token
            raise TransportError(f"FCM refused the message: {exc}"[:200], permanent=True) from exc
        except (requests.RequestException, OSError) as exc:
            raise TransportError(f"FCM unreachable: {type(exc).__name__}") from exc
