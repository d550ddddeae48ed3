"""The development transport: records what would be sent, sends nothing."""

from __future__ import annotations

import logging

from django.utils import timezone

from backend.notifications.transports.base import Transport

logger = logging.getLogger(__name__)


class RecordingTransport(Transport):
    idempotent = True  # one RecordedMessage per dedupe_key: a repeat records nothing new

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        from backend.notifications.models import RecordedMessage

        RecordedMessage.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "channel": self.channel,
                "address": address,
                "subject": subject,
                "body": body,
                "at": timezone.now(),
            },
        )
        # Bodies are generic by construction, so this line holds no patient data.
        logger.info("dev transport: %s to %s: %s", self.channel, _mask(address), body)


def _mask(address: str) -> str:
    return address[:2] + "…" + address[-2:] if len(address) > 6 else "…"
