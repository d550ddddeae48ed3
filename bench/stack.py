"""The real stack for benchmarks: a dedicated PostgreSQL database on the local server, a dedicated
redis-server on a free port, and the production processes started from the Procfile's own lines
(gunicorn with 2 workers, a Celery worker), all on loopback.

Nothing here touches the `test` database or the shared Redis on 6379: the bench database
(`careloop_bench` by default) is dropped and created afresh, and the Redis is ours alone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# The same small process helpers as the integration tier: one copy, there.
from tests.integration.stack import free_port, redis_server_binary, wait_until

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = REPO / "bench" / "results"

# The server that owns the bench database; its `postgres` database is used only to create/drop it.
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "careloop_bench")


def scale() -> float:
    """BENCH_SCALE shrinks (or grows) every size: 0.1 for a quick look, 1 for the figures."""
    try:
        value = float(os.environ.get("BENCH_SCALE", "1"))
    except ValueError:
        value = 1.0
    return max(value, 0.001)


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, round(n * scale()))


def _url_with_db(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def db_url() -> str:
    return _url_with_db(PG_ADMIN_URL, DB_NAME)


def pg_dsn(url: str | None = None) -> str:
    """psycopg takes postgres:// URLs as they are."""
    return url or db_url()


def ensure_postgres() -> None:
    """Start the local cluster the way .ci/run does, if it is not answering."""
    if _pg_ready():
        return
    clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if clusters and shutil.which("pg_ctlcluster"):
        print(f"bench: starting PostgreSQL {clusters[-1]}", flush=True)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"], check=False)
    wait_until(_pg_ready, 30, "PostgreSQL to answer", interval=0.5)


def _pg_ready() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def database_recreate() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def database_drop() -> None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"bench: could not drop {DB_NAME}: {exc}", file=sys.stderr)


class Proc:
    def __init__(self, name: str, command: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        log = self.log_path.open("ab")
        # `sh -c` as a supervisor would run a Procfile line; its own process group, so stop() ends
        # the whole tree (gunicorn's master and workers, Celery's pool) and nothing else.
        self.process = subprocess.Popen(
            ["sh", "-c", self.command],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        """The process group's members (for py-spy)."""
        if self.process is None:
            return []
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True, check=False)
        return [int(p) for p in out.stdout.split()]

    def stop(self, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        except ProcessLookupError:
            pass


def procfile_line(name: str) -> str:
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise KeyError(f"no {name}: line in Procfile")


class Env:
    """One benchmark run's stack. Everything starts lazily and stops in stop()."""

    def __init__(self, label: str = "bench") -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = RESULTS / f"{label}-{stamp}"
        (self.log_dir / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT lives under the var dir
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.db_url = db_url()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.db_url,
                "REDIS_URL": self.redis_url,
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DJANGO_DEBUG": "0",
                "CARELOOP_HTTPS": "0",  # plain http://127.0.0.1, as `make run`
                "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
                "CARELOOP_VAR_DIR": str(self.log_dir),
                "CARELOOP_LOG_LEVEL": "WARNING",
                "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONPATH": str(REPO),
            }
        )
        self.env = env
        self._redis: Proc | None = None
        self._web: Proc | None = None
        self._workers: dict[str, Proc] = {}
        self._started = False
        self._workers_started = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Env:
        if self._started:
            return self
        ensure_postgres()
        t0 = time.perf_counter()
        database_recreate()
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=self.env, check=True
        )
        print(f"bench: database {DB_NAME} created and migrated in {time.perf_counter() - t0:.1f}s", flush=True)
        self._redis = Proc(
            "redis",
            shlex.join(
                [
                    redis_server_binary(),
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ]
            ),
            self.env,
            self.log_dir,
        ).start()
        wait_until(self._redis_ping, 10, "redis to answer")
        for key in (
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "CARELOOP_VAR_DIR",
            "DJANGO_DEBUG",
            "CARELOOP_HTTPS",
            "DJANGO_SECRET_KEY",
            "CARELOOP_LOG_LEVEL",
        ):
            os.environ[key] = self.env[key]
        import django

        django.setup()
        self._started = True
        return self

    def stop(self) -> None:
        self.worker_stop()
        for proc in (self._web, self._redis):
            if proc is not None:
                proc.stop()
        self._web = self._redis = None
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may never have been set up
            pass
        if os.environ.get("BENCH_KEEP_DB") != "1":
            database_drop()

    def __enter__(self) -> Env:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- processes ---------------------------------------------------------------------------
    def web(self) -> str:
        """gunicorn exactly as the Procfile's `web:` line runs it, with 2 workers."""
        if self._web is None or not self._web.alive():
            env = dict(self.env, WEB_CONCURRENCY="2", BIND=f"127.0.0.1:{self.web_port}")
            self._web = Proc("web", procfile_line("web"), env, self.log_dir).start()
            wait_until(lambda: self._status("/bench/plain/") == 200, 60, "gunicorn to serve")
        return self.base_url

    def web_pids(self) -> list[int]:
        return self._web.pids() if self._web else []

    def worker(self, concurrency: int = 1, line: str = "worker") -> None:
        """A Celery worker as the Procfile's `worker:` (grading) or `notifier:` (messages, reminders)
        line runs it, with `concurrency` processes, plus the bench's no-op task."""
        running = self._workers.get(line)
        if running is not None and running.alive():
            return
        variable = "NOTIFY_CONCURRENCY" if line == "notifier" else "CELERY_CONCURRENCY"
        env = dict(self.env, **{variable: str(concurrency)})
        command = procfile_line(line) + f" --include bench.tasks --hostname bench-{line}-{self.web_port}@%h"
        self._workers_started += 1  # a log per start, so per-task figures are this start's own
        proc = Proc(f"{line}-{self._workers_started}", command, env, self.log_dir).start()
        self._workers[line] = proc
        wait_until(lambda: "ready." in proc.log(), 60, f"the Celery {line} to be ready")

    def worker_log(self) -> str:
        return "".join(proc.log() for proc in self._workers.values())

    def worker_stop(self) -> None:
        for proc in self._workers.values():
            proc.stop()
        self._workers.clear()

    def redis_flush(self) -> None:
        import redis

        redis.Redis.from_url(self.redis_url).flushall()

    def _redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _status(self, path: str) -> int:
        from bench.http_load import Connection

        try:
            conn = Connection("127.0.0.1", self.web_port, timeout=2)
            status, _ = conn.request(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            conn.close()
            return status
        except OSError:
            return 0
