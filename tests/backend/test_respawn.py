"""backend/respawn.py: `make run` starts a process that exits again, alone, and gives up only on one
that keeps failing as soon as it starts."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from backend import respawn
from backend.respawn import Respawner, describe


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(respawn, "FIRST_DELAY", 0.01)


def test_a_process_that_exits_is_started_again_until_it_has_failed_quickly_five_times(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    returncode = Respawner("flaky", f"sh -c 'echo start >> {starts}; exit 3'").run()
    assert starts.read_text().count("start") == respawn.GIVE_UP_AFTER
    assert returncode == 3


def test_a_stop_ends_the_loop_with_the_process_instead_of_starting_it_again(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    respawner = Respawner("web", f"sh -c 'echo start >> {starts}; exec sleep 30'")
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(respawner.run()))
    thread.start()
    deadline = time.monotonic() + 10
    while not starts.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    respawner.on_signal(signal.SIGTERM, None)  # what honcho sends on Ctrl-C
    thread.join(10)
    assert result == [-signal.SIGTERM]
    assert starts.read_text().count("start") == 1


def test_it_says_how_the_process_ended() -> None:
    assert describe(-9) == "signal SIGKILL"
    assert describe(1) == "exit status 1"
