"""Check a production configuration before a release: `make check-prod ENV_FILE=/etc/careloop/careloop.env`.

Reads the environment file the systemd units read (KEY=value lines), refuses placeholders left from
deploy/systemd/careloop.env.example and settings that only suit a laptop, then runs Django's
`manage.py check --deploy --fail-level WARNING` with exactly that environment: any warning fails.
Exits 0 when the configuration is fit for production, 1 with the reasons when not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def read_env_file(path: Path) -> dict[str, str]:
    """systemd EnvironmentFile= syntax: KEY=value per line, # comments, optional quotes."""
    env: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def configuration_problems(env: dict[str, str]) -> list[str]:
    """What Django's deploy checks do not see: placeholders and laptop-only choices."""
    problems = [f"{key} still holds a placeholder (CHANGE-ME)" for key, value in env.items() if "CHANGE-ME" in value]
    for key in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
        if not env.get(key):
            problems.append(f"{key} is not set")
    if env.get("DATABASE_URL") and not env["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL is not PostgreSQL (SQLite is for a laptop)")
    off = {"0", "false", "no", "off"}
    if env.get("DJANGO_DEBUG", "").strip().lower() not in off | {""}:
        problems.append("DJANGO_DEBUG is on")
    if env.get("CARELOOP_HTTPS", "").strip().lower() in off:
        problems.append("CARELOOP_HTTPS is off (plain HTTP is for `make run`)")
    # Staff passkeys belong to one host name; the laptop default (localhost) would make them fail.
    if env.get("CARELOOP_WEBAUTHN_RP_ID", "localhost") == "localhost":
        problems.append("CARELOOP_WEBAUTHN_RP_ID is not the dashboard's host name (passkeys would not work)")
    origins = [o.strip() for o in env.get("CARELOOP_WEBAUTHN_ORIGINS", "").split(",") if o.strip()]
    if not origins or not all(o.startswith("https://") for o in origins):
        problems.append("CARELOOP_WEBAUTHN_ORIGINS is not the dashboard's https:// origin")
    return problems


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` in a clean environment: the file's variables, nothing of this shell's."""
    clean = {"PATH": os.environ.get("PATH", ""), **env}
    if "PYTHONPATH" in os.environ:  # a worktree's code, as the caller runs it
        clean.setdefault("PYTHONPATH", os.environ["PYTHONPATH"])
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=REPO, env=clean, capture_output=True, text=True, check=False)  # noqa: S603


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m backend.config.production_check ENV_FILE", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    env = read_env_file(path)
    problems = configuration_problems(env)
    result = deploy_check(env)
    for problem in problems:
        print(f"{path}: {problem}")
    # Django's own report (warnings and errors) is on stderr, its "no issues" line on stdout.
    report = "\n".join(line for line in (result.stdout + result.stderr).splitlines() if " INFO " not in line)
    print(report)
    if problems or result.returncode != 0:
        print("NOT fit for production", file=sys.stderr)
        return 1
    print(f"{path}: fit for production")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
