"""deploy/systemd/: one unit per Procfile line, each running exactly that line, restarted alone
whenever it exits, with the environment file and the virtualenv's bin/ first on PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend.procfile import commands

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
UNIT_OF = {
    "web": "careloop-web.service",
    "worker": "careloop-worker@.service",
    "notifier": "careloop-notifier@.service",
    "beat": "careloop-beat.service",
}


def unit(name: str) -> dict[str, list[str]]:
    """ "Section.Key" → its values, in order (systemd allows a key more than once)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(f"{section}.{key}", []).append(value)
    return found


def test_every_procfile_line_has_a_unit_that_runs_that_line_and_there_are_no_others() -> None:
    assert set(commands()) == set(UNIT_OF)
    assert {path.name for path in UNITS.glob("*.service")} == set(UNIT_OF.values())
    for name, unit_name in UNIT_OF.items():
        (exec_start,) = unit(unit_name)["Service.ExecStart"]
        assert exec_start == f"/srv/careloop/.venv/bin/python -m backend.procfile {name}", unit_name


@pytest.mark.parametrize("unit_name", UNIT_OF.values())
def test_each_process_is_restarted_alone_whenever_it_exits_and_never_given_up_on(unit_name: str) -> None:
    settings = unit(unit_name)
    assert settings["Service.Restart"] == ["always"]
    assert int(settings["Service.RestartSec"][0]) > 0
    assert settings["Unit.StartLimitIntervalSec"] == ["0"]  # systemd's default stops after 5 starts in 10 s
    assert settings["Unit.PartOf"] == ["careloop.target"] and settings["Install.WantedBy"] == ["careloop.target"]


@pytest.mark.parametrize("unit_name", UNIT_OF.values())
def test_each_unit_reads_the_environment_file_and_puts_the_virtualenv_first_on_path(unit_name: str) -> None:
    settings = unit(unit_name)
    assert settings["Service.EnvironmentFile"] == ["/etc/careloop/careloop.env"]
    python = Path(settings["Service.ExecStart"][0].split()[0])
    (path,) = [value.removeprefix("PATH=") for value in settings["Service.Environment"] if value.startswith("PATH=")]
    assert path.split(":")[0] == str(python.parent)
    assert settings["Service.WorkingDirectory"] == [str(python.parent.parent.parent)]  # the checkout holding .venv


@pytest.mark.parametrize(("name", "prefix"), [("worker", "worker"), ("notifier", "notifier")])
def test_each_instance_of_a_worker_template_has_a_celery_node_name_of_its_own(name: str, prefix: str) -> None:
    assert "Environment=CARELOOP_INSTANCE=%i" in (UNITS / UNIT_OF[name]).read_text()
    words = commands()[name].split()
    hostname = words[words.index("--hostname") + 1]

    def expanded(instance: str | None) -> str:
        env = {} if instance is None else {"CARELOOP_INSTANCE": instance}
        return subprocess.run(
            ["/bin/sh", "-c", f"printf %s {hostname}"], env=env, capture_output=True, text=True
        ).stdout

    assert expanded("2") == f"{prefix}-2@%h"
    assert expanded(None) == f"{prefix}@%h"  # under honcho (make run)


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # systemd-analyze checks the executables exist: point the units at this checkout and its venv.
    venv_python = Path(sys.executable)
    for path in UNITS.iterdir():
        text = path.read_text()
        text = text.replace("/srv/careloop/.venv/bin/python", str(venv_python)).replace("/srv/careloop", str(REPO))
        text = text.replace("/etc/careloop/careloop.env", str(UNITS / "careloop.env.example"))
        text = text.replace("User=careloop", "User=root").replace("Group=careloop", "Group=root")
        (tmp_path / path.name).write_text(text)
    names = ["careloop-web.service", "careloop-worker@1.service", "careloop-notifier@2.service"]
    names += ["careloop-beat.service", "careloop.target"]
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / name) for name in names]],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
