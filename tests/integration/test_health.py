"""/healthz against the real processes: beat's heartbeats reach a worker and a notifier through
Redis, beat records its own, and a notifier that dies shows up as a failing check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import running_stack
from tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def split_stack(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A grading worker and a notifier, as the Procfile runs them, with a heartbeat every second."""
    fast = {"CARELOOP_HEARTBEAT_EVERY_SECONDS": "1", "CARELOOP_HEARTBEAT_STALE_SECONDS": "4"}
    with running_stack(django_db_blocker, tmp_path_factory, "health", notifier=True, extra_env=fast) as running:
        yield running


def test_healthz_is_200_once_every_process_has_beaten_and_503_when_the_notifier_dies(split_stack: Stack) -> None:
    def healthy() -> bool:
        status, body = split_stack.call("GET", "/healthz")
        return status == 200 and body["status"] == "ok"

    wait_until(healthy, 30, "every process's heartbeat")

    notifier = next(w for w in split_stack.workers if w.name == "notifier")
    notifier.stop()

    def notifier_failing() -> dict[str, Any] | None:
        status, body = split_stack.call("GET", "/healthz")
        return body if status == 503 else None

    body = wait_until(notifier_failing, 30, "the notifier's heartbeat to go stale")
    assert body["failing"] == ["notifier"]
    assert body["checks"]["worker"] == "ok" and body["checks"]["beat"] == "ok"
