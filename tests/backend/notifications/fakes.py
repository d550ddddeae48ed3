"""A transport whose outcomes a test scripts, to exercise the delivery log's rules (claiming,
retries, backoff, permanent errors, crashes) without any provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from backend.notifications.transports.base import Transport


class WorkerKilled(BaseException):
    """Stands for SIGKILL during a provider call: the provider has the message, the worker never
    hears back, and nothing after this line of the worker runs (no `except Exception` catches it)."""


class ScriptedTransport(Transport):
    """Each send takes the next scripted outcome: None sends, an exception is raised, a callable
    runs in the middle of the call (time passing, another worker) and then the send succeeds.
    `handed` lists the dedupe key of every call, whatever came of it: what the provider got."""

    outcomes: ClassVar[list[BaseException | Callable[[], object] | None]] = []
    sent: ClassVar[list[dict[str, Any]]] = []
    handed: ClassVar[list[str]] = []
    calls: ClassVar[int] = 0

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        type(self).calls += 1
        self.handed.append(dedupe_key)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, BaseException):
            raise outcome
        if outcome is not None:
            outcome()
        self.sent.append({"address": address, "subject": subject, "body": body, "dedupe_key": dedupe_key})

    @classmethod
    def reset(cls) -> None:
        cls.outcomes.clear()
        cls.sent.clear()
        cls.handed.clear()
        cls.calls = 0


class IdempotentScriptedTransport(ScriptedTransport):
    """A provider that drops a repeat of the same dedupe key (as an idempotency key would)."""

    idempotent = True
