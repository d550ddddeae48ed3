"""backend/procfile.py: a Procfile line by its name, for systemd and `make run`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

from backend.procfile import commands, shell_args

REPO = Path(__file__).resolve().parents[2]


def test_the_procfile_names_its_four_processes_in_order() -> None:
    assert list(commands()) == ["web", "worker", "notifier", "beat"]
    assert commands()["notifier"].startswith("python -m celery -A backend.config worker ")


def test_comments_and_blank_lines_are_not_processes(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("# web: not this\n\nweb: python -m gunicorn app --bind ${BIND:-x}\n  \nbeat:   sleep 1\n")
    assert commands(procfile) == {"web": "python -m gunicorn app --bind ${BIND:-x}", "beat": "sleep 1"}


def test_sh_expands_the_line_and_the_process_takes_its_place() -> None:
    shell = subprocess.run(shell_args('echo "${MISSING:-default}"'), capture_output=True, text=True)
    assert shell.stdout == "default\n"
    # exec: the pid systemd started is the process itself, so signals and exit status are its own.
    probe = subprocess.Popen(shell_args("sleep 5"))
    try:
        deadline = time.monotonic() + 5
        while psutil.Process(probe.pid).cmdline()[:1] != ["sleep"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert psutil.Process(probe.pid).cmdline() == ["sleep", "5"]
    finally:
        probe.kill()
        probe.wait()


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backend.procfile", "wrker"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "{web,worker,notifier,beat}" in result.stderr
