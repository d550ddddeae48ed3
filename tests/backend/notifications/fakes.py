"""A transport whose outcomes a test scripts, to exercise the delivery log's rules (claiming,
retries, backoff, permanent errors) without any provider."""

from __future__ import annotations

from typing import Any, ClassVar

from backend.notifications.transports.base import Transport


class ScriptedTransport(Transport):
    """Each send takes the next scripted outcome: None sends, an exception is raised."""

    outcomes: ClassVar[list[BaseException | None]] = []
    sent: ClassVar[list[dict[str, Any]]] = []
    calls: ClassVar[int] = 0

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        type(self).calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.sent.append({"address": address, "subject": subject, "body": body, "dedupe_key": dedupe_key})

    @classmethod
    def reset(cls) -> None:
        cls.outcomes.clear()
        cls.sent.clear()
        cls.calls = 0
