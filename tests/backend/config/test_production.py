"""Specification: a production configuration passes Django's deploy checks with no warning, HTTPS is
on unless turned off, and `make check-prod` refuses placeholders and laptop settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from backend.config.production_check import configuration_problems, read_env_file

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "deploy" / "systemd" / "careloop.env.example"


def production_env_file(tmp_path: Path, **changes: str) -> Path:
    """The shipped example with its placeholders filled in, as an operator would."""
    text = EXAMPLE.read_text()
    key = secrets.token_urlsafe(50)
    text = text.replace("DJANGO_SECRET_KEY=CHANGE-ME-to-50-random-characters", f"DJANGO_SECRET_KEY={key}")
    text = text.replace("careloop:CHANGE-ME@", "careloop:s3cret@")
    text += "".join(f"{key}={value}\n" for key, value in changes.items())
    path = tmp_path / "careloop.env"
    path.write_text(text)
    return path


def check_prod(path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "backend.config.production_check", str(path)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def settings_under(env: dict[str, str]) -> dict[str, object]:
    """The security settings Django would run with under exactly this environment."""
    code = (
        "from django.conf import settings as s;"
        "print(repr({k: getattr(s, k, None) for k in ('SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE',"
        " 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER')}))"
    )
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "backend.config.settings"}
    out = (
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup();" + code],
            cwd=REPO,
            env={**full, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return eval(out)  # noqa: S307 - our own repr of a dict of plain values


def test_https_is_on_when_nothing_says_otherwise() -> None:
    values = settings_under({})
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no header is trusted unless named


def test_make_run_turns_https_off_and_the_proxy_header_is_named_by_the_environment() -> None:
    assert settings_under({"CARELOOP_HTTPS": "0"})["SECURE_SSL_REDIRECT"] is False
    assert settings_under({"CARELOOP_HTTPS": "0"})["SECURE_HSTS_SECONDS"] == 0
    header = settings_under({"CARELOOP_PROXY_SSL_HEADER": "X-Forwarded-Proto"})["SECURE_PROXY_SSL_HEADER"]
    assert header == ("HTTP_X_FORWARDED_PROTO", "https")


def test_the_launcher_serves_plain_http() -> None:
    from backend.launcher import child_env

    assert child_env("redis://x", REPO / "var")["CARELOOP_HTTPS"] == "0"


def test_the_documented_production_variables_pass_check_deploy(tmp_path: Path) -> None:
    result = check_prod(production_env_file(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_example_as_shipped_is_refused_for_its_placeholders() -> None:
    result = check_prod(EXAMPLE)
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY still holds a placeholder" in result.stdout
    assert "DATABASE_URL still holds a placeholder" in result.stdout


def test_plain_http_fails_the_deploy_check(tmp_path: Path) -> None:
    result = check_prod(production_env_file(tmp_path, CARELOOP_HTTPS="0"))
    assert result.returncode == 1
    assert "CARELOOP_HTTPS is off" in result.stdout
    assert "security.W008" in result.stdout  # Django's own: no SSL redirect
    assert "security.W012" in result.stdout  # session cookie not Secure


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("DJANGO_DEBUG=1", "DJANGO_DEBUG is on"),
        ("DATABASE_URL=sqlite:///var/x.sqlite3", "DATABASE_URL is not PostgreSQL"),
        ("CARELOOP_WEBAUTHN_RP_ID=localhost", "CARELOOP_WEBAUTHN_RP_ID is not the dashboard's host name"),
        ("CARELOOP_WEBAUTHN_ORIGINS=http://careloop.example.org", "CARELOOP_WEBAUTHN_ORIGINS is not"),
    ],
)
def test_laptop_settings_are_refused(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "e.env"
    path.write_text(line + "\n")
    assert any(p.startswith(problem) for p in configuration_problems(read_env_file(path)))
