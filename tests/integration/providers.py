"""A stand-in provider for fault tests, loaded by the stack's worker processes: it answers slowly
(so a test can kill a worker while a message is in the provider's hands) and appends every message
it is handed to a log file, whatever becomes of the worker: the provider's own record of what it
sent. Like Twilio, SMTP or FCM, it takes no idempotency key: a repeat is a second message."""

from __future__ import annotations

import os
import time

from backend.notifications.transports.base import Transport

LOG = "CARELOOP_TEST_PROVIDER_LOG"
SECONDS = "CARELOOP_TEST_PROVIDER_SECONDS"


class SlowProvider(Transport):
    channel = "sms"

    def send(self, *, address: str, subject: str, body: str, dedupe_key: str) -> None:
        with open(os.environ[LOG], "a") as log:  # one short O_APPEND write per message
            log.write(dedupe_key + "\n")
        time.sleep(float(os.environ.get(SECONDS, "0.5")))  # the answer is on its way
