"""Email through Django's mail framework (EMAIL_BACKEND / EMAIL_HOST* settings)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from backend.notifications.transports.base import Transport, TransportError


class EmailTransport(Transport):
    channel = "email"

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        message = EmailMessage(
            subject, body, settings.DEFAULT_FROM_EMAIL, [address], headers={"X-CareLoop-Dedupe": dedupe_key}
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError("recipient refused", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"email failed: {type(exc).__name__}") from exc
