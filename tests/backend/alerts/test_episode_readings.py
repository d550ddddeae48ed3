"""An episode's readings as grading lists them: on PostgreSQL appended in SQL (backend.alerts.episodes),
on SQLite read and rewritten. Both must list the same readings, in time order, each once, and leave
the same alerts as the read-and-rewrite path did, whatever the order and repetition of readings."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from backend.alerts import episodes
from backend.alerts.grading import readings_grade
from backend.alerts.models import Alert, Status
from backend.records.models import LabResult
from tests.backend.support import sync
from tests.factories import EnrolledPatient, lab_item

START = datetime.fromisoformat("2026-11-18T08:00:00+00:00")


def _lab(analyte: str, value: float, hours: float) -> dict[str, Any]:
    return lab_item(analyte, value, collected_at=(START + timedelta(hours=hours)).isoformat())


def _grade(items: list[dict[str, Any]]) -> None:
    readings_grade(lab_ids=[uuid.UUID(i["id"]) for i in items])


def _graded_again(item: dict[str, Any]) -> None:
    """As if a second grader claimed the reading after the first committed (a task run twice)."""
    LabResult.objects.filter(pk=item["id"]).update(graded_at=None, grade=None)
    _grade([item])


def _alerts(patient: EnrolledPatient) -> list[tuple[Any, ...]]:
    return [
        (
            a.kind,
            a.superseded,
            a.status,
            a.grade,
            a.severity,
            a.hold_drugs,
            a.title,
            str(a.source_id),
            a.readings,
            a.holds,
            a.holds_in_force,
            a.worsened,
            a.announced_at is None,
            a.escalation_level,
        )
        for a in Alert.objects.filter(patient=patient.patient).order_by("observed_at", "kind", "superseded")
    ]


def test_a_reading_graded_twice_is_listed_once_and_raises_nothing_more(patient: EnrolledPatient) -> None:
    first, second = _lab("platelets", 20, 0), _lab("platelets", 22, 1)
    sync(patient, lab_results=[first, second])
    _grade([first])
    _grade([second])
    before = _alerts(patient)

    _graded_again(second)
    _graded_again(first)

    (alert,) = Alert.objects.filter(patient=patient.patient)
    assert [e["id"] for e in alert.readings] == [first["id"], second["id"]]
    assert _alerts(patient) == before


def test_a_backlog_reading_joins_in_time_order(patient: EnrolledPatient) -> None:
    """A reading older than the episode's last is placed by its time, not at the end."""
    late, early, middle = _lab("platelets", 20, 10), _lab("platelets", 24, 0), _lab("platelets", 22, 5)
    for item in (late, early, middle):
        sync(patient, lab_results=[item])
        _grade([item])

    (alert,) = Alert.objects.filter(patient=patient.patient, superseded=False)
    assert [e["id"] for e in alert.readings] == [early["id"], middle["id"], late["id"]]


def test_several_readings_of_one_batch_join_in_time_order(patient: EnrolledPatient) -> None:
    first = _lab("platelets", 20, 0)
    sync(patient, lab_results=[first])
    _grade([first])
    batch = [_lab("platelets", 21, 3), _lab("platelets", 22, 2), _lab("platelets", 23, 4)]
    sync(patient, lab_results=batch)
    _grade(batch)

    (alert,) = Alert.objects.filter(patient=patient.patient, superseded=False)
    assert [e["id"] for e in alert.readings] == [first["id"], batch[1]["id"], batch[0]["id"], batch[2]["id"]]


class _Undo(Exception):
    pass


def _run(patient: EnrolledPatient, steps: list[tuple[str, list[dict[str, Any]]]]) -> list[tuple[Any, ...]]:
    """Play the steps, read the alerts, undo it all (so the same readings can be played again)."""
    found: list[tuple[Any, ...]] = []
    try:
        with transaction.atomic():
            for step, items in steps:
                if step == "sync":
                    assert sync(patient, lab_results=items).json()["rejected"] == []
                    _grade(items)
                elif step == "again":
                    _graded_again(items[0])
                else:  # a nurse resolves the open episodes: the next reading starts a new one
                    Alert.objects.filter(patient=patient.patient).update(status=Status.RESOLVED)
            found = _alerts(patient)
            raise _Undo
    except _Undo:
        pass
    return found


def _steps(seed: int) -> list[tuple[str, list[dict[str, Any]]]]:
    rng = random.Random(seed)
    synced: list[dict[str, Any]] = []
    steps: list[tuple[str, list[dict[str, Any]]]] = []
    for _ in range(14):
        roll = rng.random()
        if synced and roll < 0.15:
            steps.append(("again", [rng.choice(synced)]))
        elif roll < 0.22:
            steps.append(("resolve", []))
        else:
            batch = [
                _lab("platelets", rng.choice([20, 24, 28, 40, 60, 200]), rng.uniform(0, 96))
                if rng.random() < 0.7
                else _lab("anc", rng.choice([0.3, 0.8, 1.5]), rng.uniform(0, 96))
                for _ in range(rng.randint(1, 3))
            ]
            synced.extend(batch)
            steps.append(("sync", batch))
    return steps


@pytest.mark.parametrize("seed", range(6))
def test_appending_in_sql_leaves_the_alerts_the_read_and_rewrite_path_leaves(
    patient: EnrolledPatient, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Random readings (out of order, some graded twice, episodes resolved in between): the same
    alerts, readings, holds and announcements either way (on SQLite both runs take the same path)."""
    steps = _steps(seed)

    appended = _run(patient, steps)
    monkeypatch.setattr(episodes, "appends_in_sql", lambda: False)
    rewritten = _run(patient, steps)

    assert appended, "the sequence raised no alert"
    assert appended == rewritten
    for alert in appended:
        ids = [e["id"] for e in alert[8]]
        assert len(ids) == len(set(ids))
        times = [datetime.fromisoformat(e["observed_at"]) for e in alert[8]]
        assert times == sorted(times)
