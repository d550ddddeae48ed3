"""Every Celery task lands on a queue some Procfile process serves, and grading never shares a queue
with the tasks that talk to people (a burst of messages must not delay the next alert)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from backend.config.celery import app

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def served_queues() -> dict[str, set[str]]:
    """Per Procfile worker line: the queues its `-Q` names."""
    served: dict[str, set[str]] = {}
    for line in PROCFILE.read_text().splitlines():
        match = re.match(r"^(\w+):\s*(.*)$", line)
        if not match or " worker " not in f" {match.group(2)} ":
            continue
        words = shlex.split(match.group(2))
        served[match.group(1)] = set(words[words.index("-Q") + 1].split(","))
    return served


def queue_of(task_name: str) -> str:
    app.loader.import_default_modules()
    route = app.amqp.router.route({}, task_name)
    return str(route["queue"].name)


def careloop_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith("careloop."))


def test_the_procfile_runs_a_grading_worker_and_a_notifier_on_separate_queues() -> None:
    served = served_queues()
    assert served["worker"] == {"celery"}
    assert served["notifier"] == {"notify"}


@pytest.mark.parametrize("task_name", careloop_tasks())
def test_every_task_is_served_by_a_procfile_worker(task_name: str) -> None:
    everything_served = set().union(*served_queues().values())
    assert queue_of(task_name) in everything_served


@pytest.mark.parametrize(
    "task_name",
    [
        "careloop.alerts.grade_readings",
        "careloop.alerts.sweep_ungraded",
        "careloop.alerts.escalate",
        "careloop.alerts.fold_tally",  # the queue header's tally: maintenance beside escalation
    ],
)
def test_grading_and_escalation_stay_on_the_grading_queue(task_name: str) -> None:
    assert queue_of(task_name) == "celery"


@pytest.mark.parametrize(
    "task_name",
    [
        "careloop.alerts.announce",
        "careloop.notifications.send_due",
        "careloop.notifications.reap_stale",
        "careloop.reminders.tick",
        "careloop.reminders.dispatch_due",
        "careloop.reminders.missed_doses",
        "careloop.caregivers.daily_summaries",
    ],
)
def test_messages_and_reminders_go_to_the_notify_queue(task_name: str) -> None:
    assert queue_of(task_name) == "notify"


def test_a_worker_started_without_a_queue_list_serves_both_queues() -> None:
    """One bare `celery worker` (a quick trial, or a deployment that never split them) still sends
    messages and reminders: with no -Q, Celery consumes every queue in task_queues."""
    assert {queue.name for queue in app.conf.task_queues} == {"celery", "notify"}
