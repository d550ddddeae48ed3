from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.notifications.transports.registry import transport_for
from tests.backend.notifications.fakes import ScriptedTransport


@pytest.fixture
def scripted(settings: Any) -> Iterator[type[ScriptedTransport]]:
    """Every outside channel goes through ScriptedTransport."""
    path = "tests.backend.notifications.fakes.ScriptedTransport"
    settings.CARELOOP_TRANSPORTS = {"email": path, "sms": path, "push": path}
    transport_for.cache_clear()
    ScriptedTransport.reset()
    yield ScriptedTransport
    ScriptedTransport.reset()
    transport_for.cache_clear()


@pytest.fixture
def dev_transports(settings: Any) -> Iterator[None]:
    """The development transport on every channel, whatever the environment says."""
    settings.CARELOOP_TRANSPORTS = {"email": "dev", "sms": "dev", "push": "dev"}
    transport_for.cache_clear()
    yield
    transport_for.cache_clear()
