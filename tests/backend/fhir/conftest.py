"""Fixtures of the FHIR specifications: the grading hand-off recorded (tests grade directly)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def fhir_enqueued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        "backend.fhir.ingest.grading_enqueue_on_commit", lambda **kwargs: calls.append(kwargs), raising=True
    )
    yield calls
