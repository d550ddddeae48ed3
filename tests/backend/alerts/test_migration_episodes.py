"""The migration to episodes (alerts 0006) keeps every alert: each lists its reading, its hold follows
the latest reading of its analyte, and a patient's several unresolved alerts of one kind become one
episode (the oldest), the others resolved saying which alert they joined."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import EnrolledPatient

BEFORE = [("alerts", "0005_api_newest_index")]
AFTER = [("alerts", "0006_episodes")]


@pytest.fixture
def migrator() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(connection)
    yield executor
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())  # leave the schema whole


def _apps_at(executor: MigrationExecutor, alerts_at: list[tuple[str, str]]) -> Any:
    """Every app at its latest migration but alerts, at `alerts_at`."""
    target = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "alerts"] + alerts_at
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_unresolved_alerts_of_one_kind_become_one_episode_and_nothing_is_lost(
    migrator: MigrationExecutor, patient: EnrolledPatient
) -> None:
    old = _apps_at(migrator, BEFORE)
    Alert, LabResult = old.get_model("alerts", "Alert"), old.get_model("records", "LabResult")
    now = timezone.now()

    def lab(value: str, hours_ago: int, grade: int) -> Any:
        at = now - timedelta(hours=hours_ago)
        return LabResult.objects.create(
            id=uuid.uuid4(),
            patient_id=patient.patient.pk,
            received_at=at,
            fingerprint="x",
            analyte="platelets",
            value=Decimal(value),
            unit="10^9/L",
            canonical_value=Decimal(value),
            collected_at=at,
            grade=grade,
            graded_at=at,
        )

    def alert(reading: Any, grade: int, severity: str, hold: list[str], status: str = "open") -> Any:
        return Alert.objects.create(
            patient_id=patient.patient.pk,
            kind="thrombocytopenia",
            grade=grade,
            severity=severity,
            hold_drugs=hold,
            status=status,
            title=f"Grade {grade} thrombocytopenia",
            message=f"Platelets grade {grade}.",
            patient_advice="Call.",
            rule_source="test",
            source_type="lab_result",
            source_id=reading.id,
            observed_at=reading.collected_at,
            created_at=reading.collected_at,
            updated_at=reading.collected_at,
        )

    both = ["ixazomib", "lenalidomide"]
    first = alert(lab("45", 30, 3), 3, "urgent", [])
    second = alert(lab("22", 20, 4), 4, "critical", both, status="acknowledged")
    resolved = alert(lab("20", 50, 4), 4, "critical", both, status="resolved")
    lab("35", 2, 3)  # the latest count: no longer holds

    new = _apps_at(migrator, AFTER)
    Alert = new.get_model("alerts", "Alert")

    episode, joined, past = (Alert.objects.get(pk=a.pk) for a in (first, second, resolved))
    assert Alert.objects.count() == 3
    assert (episode.status, episode.grade, episode.severity, episode.hold_drugs) == ("open", 4, "critical", both)
    assert episode.title == "Grade 4 thrombocytopenia"
    assert [r["value"] for r in episode.readings] == ["Platelets 45 ×10⁹/L", "Platelets 22 ×10⁹/L"]
    assert episode.holds_in_force == [] and episode.holds["platelets"]["value"] == "Platelets 35 ×10⁹/L"
    assert (joined.status, joined.resolution_note) == (
        "resolved",
        f"Joined alert {episode.pk}: alerts became one episode per problem.",
    )
    assert (past.status, [r["value"] for r in past.readings], past.holds_in_force) == (
        "resolved",
        ["Platelets 20 ×10⁹/L"],
        [],
    )
