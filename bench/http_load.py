"""A small, cheap HTTP/1.1 load generator: raw sockets on loopback, prebuilt request bytes, keep-alive
when the server allows it (gunicorn's sync workers close after each response, so those reconnect).

It shares the machine's two cores with the server, so it is kept as lean as Python allows and
reports its own CPU time: a figure is only comparable with its baseline measured the same way.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.report import percentile


def build_request(
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    host: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> bytes:
    payload = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
    if body is not None:
        lines.append("Content-Type: application/json")
    if payload or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.connects = 0

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connects += 1
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send one prebuilt request, return (status, body)."""
        for attempt in (0, 1):
            if self.sock is None:
                self.sock = self._open()
            try:
                self.sock.sendall(raw)
                return self._read()
            except (ConnectionError, _Closed):
                # A kept-alive connection the server had already closed: retry once on a new one.
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> tuple[int, bytes]:
        assert self.sock is not None
        sock = self.sock
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise _Closed()
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = -1
        chunked = close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            body, rest = self._read_chunked(rest)
        elif length >= 0:
            while len(rest) < length:
                chunk = sock.recv(max(65536, length - len(rest)))
                if not chunk:
                    raise _Closed()
                rest += chunk
            body = rest[:length]
        else:  # read to close
            parts = [rest]
            while chunk := sock.recv(65536):
                parts.append(chunk)
            body, close = b"".join(parts), True
        if close:
            self.close()
        return status, body

    def _read_chunked(self, buf: bytes) -> tuple[bytes, bytes]:
        assert self.sock is not None
        body = []
        while True:
            while b"\r\n" not in buf:
                buf += self._recv()
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf += self._recv()
            if size == 0:
                # trailer section ends with an empty line
                while not buf.startswith(b"\r\n") and b"\r\n\r\n" not in buf:
                    buf += self._recv()
                return b"".join(body), b""
            body.append(buf[:size])
            buf = buf[size + 2 :]

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise _Closed()
        return chunk


class _Closed(Exception):
    pass


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""
    connects: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.ms(50), 2),
            "p95_ms": round(self.ms(95), 2),
            "p99_ms": round(self.ms(99), 2),
            "client_cpu_share": round(self.client_cpu_seconds / self.seconds, 2) if self.seconds else 0,
        }


def run_load(
    host: str,
    port: int,
    streams: Sequence[Iterator[bytes]],
    *,
    duration: float | None = None,
    expect: tuple[int, ...] = (200,),
    warmup: int = 0,
) -> LoadResult:
    """Closed loop: one thread and one connection per stream; each sends its next request as soon
    as the previous answer is in, until its stream is exhausted or `duration` seconds pass.
    `warmup` requests per stream are sent first and not counted."""
    result = LoadResult()
    lock = threading.Lock()
    deadline = [0.0]
    started = [0.0, 0.0]  # perf_counter, process_time

    def start() -> None:
        # Runs once, before any thread passes the gate: the clock and the deadline are set before
        # the first timed request reads them. Set after the gate, as they were, a thread could read
        # deadline 0 and stop before its first request: what fits bench 6's "DRF APIView, no auth"
        # row printing 0 req/s with 0 errors in one run.
        started[:] = [time.perf_counter(), time.process_time()]
        deadline[0] = started[0] + (duration or 0)

    start_gate = threading.Barrier(len(streams) + 1, action=start)

    def worker(stream: Iterator[bytes]) -> None:
        conn = Connection(host, port)
        local: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        first_error = ""
        try:
            for _ in range(warmup):
                raw = next(stream, None)
                if raw is None:
                    break
                conn.request(raw)
        except Exception as exc:
            first_error = f"warmup: {exc!r}"
        start_gate.wait()
        perf = time.perf_counter
        for raw in stream:
            t0 = perf()
            if duration is not None and t0 >= deadline[0]:
                break
            try:
                status, body = conn.request(raw)
            except Exception as exc:
                errors += 1
                first_error = first_error or repr(exc)
                conn.close()
                continue
            local.append(perf() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if status not in expect:
                errors += 1
                if not first_error:
                    first_error = f"HTTP {status}: {body[:300]!r}"
        conn.close()
        with lock:
            result.latencies.extend(local)
            result.errors += errors
            result.connects += conn.connects
            for k, v in statuses.items():
                result.statuses[k] = result.statuses.get(k, 0) + v
            result.first_error = result.first_error or first_error

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in streams]
    for t in threads:
        t.start()
    start_gate.wait()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started[0]
    result.client_cpu_seconds = time.process_time() - started[1]
    result.requests = len(result.latencies)
    return result


def repeat(raw: bytes) -> Iterator[bytes]:
    while True:
        yield raw


def one(host: str, port: int, raw: bytes) -> tuple[int, Any]:
    conn = Connection(host, port)
    try:
        status, body = conn.request(raw)
    finally:
        conn.close()
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body
