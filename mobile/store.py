"""The phone's own database (standard-library SQLite): every entry the patient made, keyed by the
UUID made on the phone; which of them still wait to be sent (the outbox); the server's cursor and
what the last sync brought back (alerts, regimen, reminders); the session and settings.

An entry is written and committed before anything tries to send it, and it is never deleted by a
sync: accepted entries stay for the trend charts, rejected ones stay until the patient has read
why. One connection is shared by the UI thread and the sync thread behind a lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"

SECTIONS = ("lab_results", "symptom_reports", "dose_logs", "marker_results")

_R = TypeVar("_R")

# Each step moves the schema one version up; PRAGMA user_version records how far a phone got.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE entries (
        id TEXT PRIMARY KEY,
        section TEXT NOT NULL,
        item TEXT NOT NULL,
        at TEXT NOT NULL,
        at_utc TEXT NOT NULL,
        state TEXT NOT NULL,
        errors TEXT,
        local_alert TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        dismissed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX entries_outbox ON entries (created_at) WHERE state = 'pending';
    CREATE INDEX entries_by_time ON entries (section, at_utc);
    CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        source_id TEXT,
        created_at TEXT NOT NULL
    );
    """,
)


@dataclass(frozen=True)
class Entry:
    id: str
    section: str
    item: dict[str, Any]  # exactly what is (or was) sent
    at: str  # collected_at / reported_at / taken_at, ISO 8601 with offset
    state: str
    errors: dict[str, list[str]] | None
    local_alert: dict[str, Any] | None  # the phone's own evaluation, shown at once
    attempts: int
    dismissed: bool
    created_at: str


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        # check_same_thread=False: the lock below serialises the UI and sync threads instead.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        # FULL: an entry the patient saw saved survives a power cut or a killed app. WAL: a commit
        # is one sync of the log, not the rollback journal's several (a 10,000-entry backlog is 20
        # rounds of a few commits each; bench 7), and the UI thread reads while sync writes.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._depth = 0  # transactions open on this connection (one real one; inner ones join it)
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; inside `transaction()` it joins the open one (committed with it)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
            self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several writes committed together or not at all (one sync answer: its settled entries,
        alerts and cursor), in one commit."""
        with self._tx():
            yield

    def _migrate(self) -> None:
        with self._lock:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    # ---- key/value ------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def put(self, key: str, value: str | None) -> None:
        with self._lock:
            if value is None:
                self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get(key)
        return default if raw is None else json.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        self.put(key, None if value is None else json.dumps(value, sort_keys=True))

    def put_many(self, values: Mapping[str, str | None]) -> None:
        with self._tx() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- session --------------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        return self.get("token")

    @property
    def cursor(self) -> str | None:
        return self.get("cursor")

    def save_enrollment(self, *, token: str, patient: Mapping[str, Any], clinic: Mapping[str, Any]) -> None:
        regimen = patient.get("regimen") or {}
        self.put_many(
            {
                "token": token,
                "patient": json.dumps(dict(patient), sort_keys=True),
                "clinic": json.dumps(dict(clinic), sort_keys=True),
                "regimen": json.dumps(dict(regimen), sort_keys=True),
                # The person's language at the clinic (blank: not chosen, the phone's is used).
                "language": str(patient.get("language") or ""),
                "language_dirty": None,
                "signed_out": None,
                "cursor": None,
            }
        )

    def is_enrolled(self) -> bool:
        return self.token is not None

    def has_entries(self) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is not None

    # ---- entries (history and outbox) -----------------------------------------------------------

    def add_entry(
        self,
        *,
        entry_id: str,
        section: str,
        item: Mapping[str, Any],
        at: str,
        created_at: str,
        local_alert: Mapping[str, Any] | None = None,
    ) -> None:
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")
        with self._tx() as db:
            db.execute(
                "INSERT INTO entries (id, section, item, at, at_utc, state, local_alert, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry_id,
                    section,
                    json.dumps(dict(item), sort_keys=True),
                    at,
                    _utc_text(at),
                    PENDING,
                    None if local_alert is None else json.dumps(dict(local_alert), sort_keys=True),
                    created_at,
                ),
            )

    def outbox(self, limit: int, max_bytes: int | None = None) -> list[Entry]:
        """Entries not yet accepted, oldest first: at most `limit`, and no more than `max_bytes` of
        item JSON (but always the first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM entries WHERE state = ? ORDER BY created_at, id LIMIT ?", (PENDING, limit)
            ).fetchall()
        if max_bytes is not None:
            rows = _within(rows, max_bytes, lambda row: len(row["item"]))
        return [_entry(r) for r in rows]

    def outbox_items(self, limit: int, max_bytes: int | None = None) -> list[tuple[str, str, str]]:
        """What sync sends of `outbox(limit, max_bytes)`: (id, section, the item's JSON text as
        stored), without decoding each item."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, section, item FROM entries WHERE state = ? ORDER BY created_at, id LIMIT ?",
                (PENDING, limit),
            ).fetchall()
        found = [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
        return found if max_bytes is None else _within(found, max_bytes, lambda row: len(row[2]))

    def pending_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM entries WHERE state = ?", (PENDING,)).fetchone()[0])

    def import_entries(
        self,
        section: str,
        entries: Iterable[tuple[str, Mapping[str, Any], str]],
        *,
        created_at: str,
        meta: Mapping[str, str | None] | None = None,
    ) -> int:
        """Store entries the server already holds (id, item, at) as sent: never in the outbox, and
        an id already on this phone is left as it is. `meta` is written in the same transaction
        (how far an import got). → how many were new."""
        if section not in SECTIONS:
            raise ValueError(f"unknown section {section!r}")
        inserted = 0
        with self._tx() as db:
            for entry_id, item, at in entries:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO entries (id, section, item, at, at_utc, state, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        entry_id,
                        section,
                        json.dumps(dict(item), sort_keys=True),
                        at,
                        _utc_text(at),
                        ACCEPTED,
                        created_at,
                    ),
                )
                inserted += cursor.rowcount
            for key, value in (meta or {}).items():
                if value is None:
                    db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return inserted

    def count_attempt(self, ids: Iterable[str]) -> None:
        with self._tx() as db:
            db.executemany("UPDATE entries SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in ids])

    def settle(self, *, accepted: Iterable[str], rejected: Mapping[str, Mapping[str, Any]]) -> None:
        """Apply one sync answer. Only pending entries move: a late duplicate answer changes nothing."""
        with self._tx() as db:
            db.executemany(
                "UPDATE entries SET state = ?, errors = NULL WHERE id = ? AND state = ?",
                [(ACCEPTED, i, PENDING) for i in accepted],
            )
            db.executemany(
                "UPDATE entries SET state = ?, errors = ? WHERE id = ? AND state = ?",
                [(REJECTED, json.dumps(dict(e), sort_keys=True), i, PENDING) for i, e in rejected.items()],
            )

    def settle_round(
        self, sent: Iterable[str], *, accepted: Iterable[str], rejected: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """`count_attempt(sent)` and `settle(...)` in one UPDATE per entry (a round of 2,000 entries
        otherwise looks each up twice): every entry sent counts an attempt, and only a pending one
        moves. SQLite evaluates each CASE with the row's values from before the UPDATE."""
        answered: dict[str, tuple[str, str | None]] = {i: (ACCEPTED, None) for i in accepted}
        for i, e in rejected.items():
            answered[i] = (REJECTED, json.dumps(dict(e), sort_keys=True))
        with self._tx() as db:
            db.executemany(
                "UPDATE entries SET attempts = attempts + 1,"
                " state = CASE WHEN state = ? THEN ? ELSE state END,"
                " errors = CASE WHEN state = ? THEN ? ELSE errors END WHERE id = ?",
                [(PENDING, state, PENDING, errors, i) for i, (state, errors) in answered.items()],
            )
            db.executemany(
                "UPDATE entries SET attempts = attempts + 1 WHERE id = ?",
                [(i,) for i in sent if i not in answered],
            )

    def entries(self, section: str | None = None, *, since: datetime | None = None) -> list[Entry]:
        """Entries not rejected, in the order they happened."""
        query = "SELECT * FROM entries WHERE state != ?"
        args: list[Any] = [REJECTED]
        if section is not None:
            query += " AND section = ?"
            args.append(section)
        if since is not None:
            query += " AND at_utc >= ?"
            args.append(since.astimezone(UTC).isoformat())
        with self._lock:
            rows = self._db.execute(query + " ORDER BY at_utc, created_at", args).fetchall()
        return [_entry(r) for r in rows]

    def entry(self, entry_id: str) -> Entry | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else _entry(row)

    def rejected(self, *, include_dismissed: bool = False) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM entries WHERE state = ? AND dismissed <= ? ORDER BY created_at DESC",
                (REJECTED, 1 if include_dismissed else 0),
            ).fetchall()
        return [_entry(r) for r in rows]

    def dismiss(self, entry_id: str) -> None:
        """The patient has read why the server refused this entry."""
        with self._lock:
            self._db.execute("UPDATE entries SET dismissed = 1 WHERE id = ? AND state = ?", (entry_id, REJECTED))

    # ---- alerts from the server -----------------------------------------------------------------

    def upsert_alerts(self, alerts: Iterable[Mapping[str, Any]]) -> int:
        count = 0
        with self._tx() as db:
            for alert in alerts:
                if not isinstance(alert, Mapping) or not isinstance(alert.get("id"), str):
                    continue
                source = alert.get("source")
                source_id = source.get("id") if isinstance(source, Mapping) else None
                db.execute(
                    "INSERT OR REPLACE INTO alerts (id, body, status, source_id, created_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        alert["id"],
                        json.dumps(dict(alert), sort_keys=True),
                        str(alert.get("status") or "open"),
                        source_id,
                        str(alert.get("created_at") or ""),
                    ),
                )
                count += 1
        return count

    def alerts(self) -> list[dict[str, Any]]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM alerts ORDER BY created_at DESC").fetchall()
        return [json.loads(r[0]) for r in rows]

    def alert_for(self, entry_id: str) -> dict[str, Any] | None:
        """The server's alert for an entry: the one it raised, or the one it joined (an alert is an
        episode listing its readings; an entry id is a UUID, so it can be looked for in the body)."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM alerts WHERE source_id = ? OR body LIKE ? ORDER BY source_id = ? DESC",
                (entry_id, f'%"id": "{entry_id}"%', entry_id),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    # ---- sign out -------------------------------------------------------------------------------

    def wipe(self) -> None:
        """Everything goes: session, entries (sent or not), alerts, settings."""
        with self._tx() as db:
            for table in ("meta", "entries", "alerts"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names, no input


def _within(rows: list[_R], max_bytes: int, size: Callable[[_R], int]) -> list[_R]:
    """The first rows whose sizes add up to at most `max_bytes`, and always the first row."""
    total = 0
    for n, row in enumerate(rows):
        total += size(row)
        if total > max_bytes and n:
            return rows[:n]
    return rows


def _utc_text(at: str) -> str:
    """Sortable UTC text of an ISO time with an offset (entries are checked for one before saving)."""
    return datetime.fromisoformat(at).astimezone(UTC).isoformat()


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        id=row["id"],
        section=row["section"],
        item=json.loads(row["item"]),
        at=row["at"],
        state=row["state"],
        errors=json.loads(row["errors"]) if row["errors"] else None,
        local_alert=json.loads(row["local_alert"]) if row["local_alert"] else None,
        attempts=int(row["attempts"]),
        dismissed=bool(row["dismissed"]),
        created_at=row["created_at"],
    )
