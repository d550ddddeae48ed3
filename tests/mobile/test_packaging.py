"""The Android build: buildozer.spec asks for only what the app needs, and the staged sources hold
the app and shared/ (nothing of the server, no tests) with a main.py that starts the app."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

from mobile.packaging import REPO, stage


def _spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(REPO / "buildozer.spec")
    return parser["app"]


def test_the_spec_names_the_app_its_pinned_requirements_and_only_two_permissions() -> None:
    app = _spec()
    assert (app["package.name"], app["source.dir"]) == ("careloop", "build/apk")
    requirements = app["requirements"].split(",")
    phone_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["phone"]
    assert "python3" in requirements and "sqlite3" in requirements
    assert {r for r in requirements if "==" in r} <= set(phone_extra)  # the same pins as the desktop
    assert {"kivy==2.3.1", "plyer==2.1.0"} <= set(requirements)
    assert app["android.permissions"].split(",") == ["INTERNET", "POST_NOTIFICATIONS"]
    assert app["version"] == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_staging_copies_the_app_and_shared_with_a_main_that_starts_it(tmp_path: Path) -> None:
    staged = stage(tmp_path / "apk", api="https://careloop.example.org")
    assert "API = 'https://careloop.example.org'" in (staged / "mobile" / "_built.py").read_text()
    assert (staged / "main.py").read_text() == (REPO / "mobile" / "__main__.py").read_text()
    assert (staged / "mobile" / "app.kv").exists() and (staged / "mobile" / "screens" / "today.kv").exists()
    assert (staged / "shared" / "alert_policy.py").exists()
    # the compiled catalogs (the phone has no compiler), not their sources
    assert (staged / "mobile" / "locale" / "es" / "LC_MESSAGES" / "careloop.mo").exists()
    assert (staged / "shared" / "locale" / "es" / "LC_MESSAGES" / "shared.mo").exists()
    assert not list(staged.rglob("*.po"))
    assert {p.name for p in staged.iterdir()} == {"main.py", "mobile", "shared"}
    assert not list(staged.rglob("__pycache__")) and not list(staged.rglob("test_*.py"))
