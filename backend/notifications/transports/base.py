"""The one interface every outside channel implements, with explicit error semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod


class TransportError(Exception):
    """`permanent=True`: retrying cannot help (bad number, unsubscribed token, rejected credentials);
    the channel is disabled for that person and the clinic is told. Otherwise the send is retried
    with backoff a bounded number of times."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport(ABC):
    channel: str = ""
    # True only if the provider itself drops a repeat carrying the same `dedupe_key`, so sending a
    # message again after a crash cannot reach the person twice. None of the bundled providers
    # can promise that (README, "Notifications": Twilio's Messages API, FCM HTTP v1 and SMTP take
    # no idempotency key); the development transport can (it stores one row per key).
    idempotent: bool = False

    @abstractmethod
    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        """Send one message or raise TransportError. `dedupe_key` is passed to providers that
        support idempotent requests."""
