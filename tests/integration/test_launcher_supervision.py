"""Fault injection under `make run`'s supervision (backend/respawn.py): a worker killed outright
is started again alone, while the web server, notifier and beat keep running; Ctrl-C still stops
everything. Real processes: the launcher, honcho, gunicorn, Celery, on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.core.management import call_command
from django.db import connection

from tests.integration.stack import REPO, RedisServer, database_url, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


class Launcher:
    """`make run` (python -m backend.launcher) on the test database and a Redis of its own."""

    def __init__(self, log_dir: Path, db_url: str, redis: RedisServer) -> None:
        self.port = free_port()
        self.log_path = log_dir / "launcher.log"
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": db_url,
                "REDIS_URL": redis.url,
                "BIND": f"127.0.0.1:{self.port}",
                "CARELOOP_VAR_DIR": str(log_dir),
                "WEB_CONCURRENCY": "1",
                "CELERY_CONCURRENCY": "1",
                "NOTIFY_CONCURRENCY": "1",
            }
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.launcher"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def processes(self) -> dict[str, int]:
        """Procfile name → pid of the process running that line (not its pool or sh parent)."""
        kinds = {"gunicorn": "web", "-Q celery": "worker", "-Q notify": "notifier", "backend.config beat": "beat"}
        found = {}
        for proc in psutil.Process(self.process.pid).children(recursive=True):
            try:
                command, parent = " ".join(proc.cmdline()), " ".join(proc.parent().cmdline())
            except (psutil.NoSuchProcess, AttributeError):
                continue
            if command.startswith("python -m ") and command != parent:  # pool processes copy their parent's
                found.update({name: proc.pid for marker, name in kinds.items() if marker in command})
        return found

    def ready_count(self, name: str) -> int:
        return sum(1 for line in self.log().splitlines() if f" {name}.1 " in line and " ready." in line)


@pytest.fixture
def launcher(django_db_blocker: Any, tmp_path: Path) -> Iterator[Launcher]:
    with django_db_blocker.unblock():
        db_url = database_url(connection.settings_dict)
    redis = RedisServer(tmp_path)
    redis.start()
    running = Launcher(tmp_path, db_url, redis)
    try:
        wait_until(
            lambda: "Ctrl-C stops everything." in running.log() or running.process.poll() is not None, 90, "the banner"
        )
        wait_until(lambda: running.ready_count("worker") and running.ready_count("notifier"), 60, "the workers")
        yield running
    finally:
        if running.process.poll() is None:  # the test failed before its own Ctrl-C
            everything = [running.process, *psutil.Process(running.process.pid).children(recursive=True)]
            running.process.send_signal(signal.SIGTERM)  # honcho has its own session: only the launcher stops it
            _, alive = psutil.wait_procs(everything, timeout=60)
            for proc in alive:
                proc.kill()
        redis.stop()
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)  # seed_demo's clinic


def test_under_make_run_a_killed_worker_is_started_again_alone_and_ctrl_c_still_stops_everything(
    launcher: Launcher,
) -> None:
    before = launcher.processes()
    assert set(before) == {"web", "worker", "notifier", "beat"}, launcher.log()[-3000:]

    os.kill(before["worker"], signal.SIGKILL)
    restarted = wait_until(
        lambda: launcher.ready_count("worker") == 2 or launcher.process.poll() is not None, 60, "a new worker"
    )
    assert launcher.process.poll() is None, f"make run stopped everything: {launcher.log()[-2000:]}"
    assert restarted

    after = launcher.processes()
    assert after["worker"] != before["worker"]
    assert {name: after[name] for name in ("web", "notifier", "beat")} == {
        name: before[name] for name in ("web", "notifier", "beat")
    }, "the others kept running, untouched"

    everything = psutil.Process(launcher.process.pid).children(recursive=True)
    launcher.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert launcher.process.wait(60) == 0
    _, alive = psutil.wait_procs(everything, timeout=10)
    assert alive == [], [p.cmdline() for p in alive]
