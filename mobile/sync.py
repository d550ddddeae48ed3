"""The phone's side of contract §3.

Rules this follows (style.md §9 rule 12):
1. The outbox is the store's pending entries; an entry leaves it only when the server names its
   id in `accepted` or `rejected`. A lost answer means the same items go again: the server
   accepts a replay and changes nothing, so a retry is always safe.
2. Rejected entries keep the server's reasons and stay visible until the patient dismisses them.
3. The server is authoritative for alerts: they are upserted by id from every answer, and the
   cursor it returns is sent back next time so it only sends what changed.
3a. A phone enrolled with nothing on it (a new phone) fetches the patient's past readings once,
   page by page after a sync, and keeps them as already sent: they never enter the outbox, an id
   already on the phone is left alone, and an import cut short resumes where it stopped.
4. Network trouble is never an error the patient must fix: entries wait, and the runner retries
   with exponential backoff. An answer that says "no" (401, 400) is shown in plain words.

`SyncEngine` does one round trip and is what the tests drive; `SyncRunner` owns the background
thread that decides when. Neither imports Kivy.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mobile import strings as S
from mobile.api import ApiClient, ApiError, NotAvailable, RawItems, Unreachable
from mobile.config import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    FAST_ROUND_S,
    MAX_ROUNDS,
    RESUME_S,
    SLOW_ROUND_S,
    SYNC_BATCH,
    SYNC_BATCH_BYTES,
    SYNC_EVERY_S,
)
from mobile.reminders import TIME_FIELDS
from mobile.store import SECTIONS, Store
from shared.sync_schema import MAX_ITEMS_PER_SYNC

# The most items one request may carry: the server refuses a whole sync above its cap.
SYNC_BATCH_MAX = MAX_ITEMS_PER_SYNC

# The care team's changes to the reminder plan (antiviral drug, nadir draws) are fetched this often.
PLAN_REFRESH = timedelta(hours=6)

# The history import: {kind: "" (from the newest) or the next page's cursor} while some kind is
# left to fetch; absent once done, or when the phone had entries of its own at enrollment.
HISTORY_KEY = "history_import"
HISTORY_PAGE = 200  # rows per request: as SYNC_BATCH, one request stays small on a slow link
HISTORY_PAGES_PER_SYNC = 25  # so a long history cannot hold the sync thread: the rest after the next sync

# GET /readings/?kind= → the store's section, the item's time, the fields sync sends (what is kept).
HISTORY_KINDS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    (
        "lab",
        "lab_results",
        "collected_at",
        frozenset({"id", "analyte", "value", "unit", "collected_at", "reference_low", "reference_high"}),
    ),
    ("symptom", "symptom_reports", "reported_at", frozenset({"id", "symptom", "answers", "reported_at"})),
    ("dose", "dose_logs", "taken_at", frozenset({"id", "drug", "status", "taken_at"})),
)


def history_import_start(store: Store) -> None:
    """After enrollment: a phone with no entries fetches the patient's past readings (once)."""
    if not store.has_entries():
        store.put_json(HISTORY_KEY, {kind: "" for kind, *_ in HISTORY_KINDS})


def _history_entry(
    row: Mapping[str, Any], at_field: str, fields: Collection[str]
) -> tuple[str, dict[str, Any], str] | None:
    """(id, the item as sync sends it, its time), or None for a row the phone could not file."""
    entry_id, at = row.get("id"), row.get(at_field)
    if not isinstance(entry_id, str) or not entry_id or not isinstance(at, str):
        return None
    try:
        if datetime.fromisoformat(at).tzinfo is None:
            return None
    except ValueError:
        return None
    return entry_id, {k: v for k, v in row.items() if k in fields}, at


logger = logging.getLogger(__name__)


class SignedOut(Exception):
    """The server no longer knows this phone's token (revoked, or the patient was re-enrolled)."""


@dataclass(frozen=True)
class SyncStatus:
    pending: int
    last_ok: datetime | None
    last_error: str | None
    running: bool = False
    retry_at: datetime | None = None
    signed_out: bool = False


@dataclass(frozen=True)
class RoundResult:
    sent: int
    accepted: int
    rejected: int
    alerts: int
    more: bool  # entries still waiting (more than one batch, or new ones made meanwhile)


class SyncEngine:
    def __init__(
        self,
        store: Store,
        api: ApiClient,
        *,
        now: Callable[[], datetime] | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.api = api
        self.now = now or (lambda: datetime.now(UTC))
        self.timer = timer  # how long a round trip took: the next round's size
        self.history_page = HISTORY_PAGE
        self._batch: int | None = None  # the next round's size; None: SYNC_BATCH (a fresh start)

    @property
    def batch_size(self) -> int:
        """Items the next round sends at most (config.py: SYNC_BATCH, grown on a fast link)."""
        return min(self._batch or SYNC_BATCH, SYNC_BATCH_MAX)

    def _pace(self, seconds: float, sent: int) -> None:
        """Size the next round by how long this one's request took. A round smaller than the size
        (the outbox's tail) says nothing about a full one, unless it was slow already."""
        size = self.batch_size
        if seconds > SLOW_ROUND_S:
            self._batch = max(SYNC_BATCH, size // 2)
        elif seconds < FAST_ROUND_S and sent >= size:
            self._batch = min(SYNC_BATCH_MAX, size * 2)

    def status(self, *, running: bool = False, retry_at: datetime | None = None) -> SyncStatus:
        last_ok = self.store.get("last_sync_ok")
        return SyncStatus(
            pending=self.store.pending_count(),
            last_ok=datetime.fromisoformat(last_ok) if last_ok else None,
            last_error=self.store.get("last_sync_error"),
            running=running,
            retry_at=retry_at,
            signed_out=self.store.get("signed_out") is not None,
        )

    def sync_once(self) -> RoundResult:
        """One request: send up to `batch_size` waiting entries, apply the answer.

        Raises Unreachable (try later), SignedOut, or ApiError (the request as a whole was refused);
        each is also recorded as the last error for the sync bar.
        """
        token = self.store.token
        if token is None:
            raise SignedOut()
        self.api.token = token
        batch = self.store.outbox_items(self.batch_size, max_bytes=SYNC_BATCH_BYTES)
        body: dict[str, Any] = {"cursor": self.store.cursor}
        for section in SECTIONS:
            items = RawItems(item for _, in_section, item in batch if in_section == section)
            if items:
                body[section] = items
        started = self.timer()
        try:
            answer = self._post(body)
        except Unreachable as exc:
            self._batch = None  # a timeout or a dropped line: the next try is a small round again
            self._failed(S.SYNC_ERROR_OFFLINE if exc.status is None else S.SYNC_ERROR_SERVER, exc, batch)
            raise
        except SignedOut as exc:
            self.store.put("signed_out", self.now().isoformat())
            self._failed(S.SYNC_ERROR_SIGNED_OUT, exc, batch)
            raise
        except ApiError as exc:
            self._failed(S.sync_error_refused(exc.message), exc, batch)
            raise
        self._pace(self.timer() - started, len(batch))
        result = self._apply(answer, {entry_id for entry_id, _, _ in batch})
        if not result.more:
            # Once the outbox is drained, not after every round: a phone back from weeks offline
            # sends its backlog without a plan, history and response request per batch.
            self._send_language()
            self._exchange_plan()
            self._import_history()
            self._fetch_response()
        return result

    def _fetch_response(self) -> None:
        """After a sync: keep the patient's IMWG response for 'Is my treatment working?', which
        then works offline. Never fails the sync: offline, refused or an older server, the last
        answer kept stays."""
        patient = self.store.get_json("patient") or {}
        patient_id = patient.get("id") if isinstance(patient, dict) else None
        if not isinstance(patient_id, str):
            return
        try:
            answer = self.api.response(patient_id)
        except (NotAvailable, Unreachable, ApiError) as exc:
            logger.info("response not fetched: %s", exc)
            return
        self.store.put_many(
            {"response": json.dumps(answer, sort_keys=True), "response_fetched_at": self.now().isoformat()}
        )

    def _import_history(self) -> None:
        """After a sync, while a history import is due: fetch the next pages of past readings and
        file them as sent. Never fails the sync: offline, refused or an older server, the import
        stays due and goes on after a later sync, from the page it stopped at."""
        progress = self.store.get_json(HISTORY_KEY)
        if not isinstance(progress, dict):
            return
        pages = 0
        for kind, section, at_field, fields in HISTORY_KINDS:
            while kind in progress and pages < HISTORY_PAGES_PER_SYNC:
                try:
                    found, following = self.api.readings(
                        kind, cursor=progress[kind] or None, page_size=self.history_page
                    )
                except (NotAvailable, Unreachable, ApiError) as exc:
                    logger.info("history import paused: %s", exc)
                    return
                pages += 1
                progress = {k: v for k, v in progress.items() if k != kind}
                if following is not None:
                    progress[kind] = following
                entries = [e for e in (_history_entry(row, at_field, fields) for row in found) if e is not None]
                self.store.import_entries(
                    section,
                    entries,
                    created_at=self.now().isoformat(),
                    meta={HISTORY_KEY: json.dumps(progress, sort_keys=True) if progress else None},
                )

    def _send_language(self) -> None:
        """After a sync: a language chosen on this phone while offline goes to the clinic, which
        then writes the person's messages in it. Never fails the sync."""
        dirty = self.store.get("language_dirty")
        if not dirty:
            return
        try:
            self.api.me_update(language=dirty)
        except (NotAvailable, Unreachable):
            return  # an older server, or the line dropped: after the next sync
        except ApiError as exc:
            logger.info("language refused: %s", exc.message)
        if self.store.get("language_dirty") == dirty:
            self.store.put("language_dirty", None)

    def _exchange_plan(self) -> None:
        """After a sync: send the times the patient changed, or now and then fetch the plan, so the
        server reminds (and tells helpers) at the times the phone shows. Never fails the sync."""
        dirty = self.store.get("reminder_plan_dirty")
        fetched = self.store.get("reminder_plan_fetched_at")
        stale = fetched is None or self.now() - datetime.fromisoformat(fetched) > PLAN_REFRESH
        if not dirty and not stale:
            return
        try:
            if dirty:
                mine = self.store.get_json("reminder_plan") or {}
                answer = self.api.reminder_plan_update(
                    {k: v for k, v in mine.items() if k in (*TIME_FIELDS, "antiviral_times")}
                )
            else:
                answer = self.api.reminder_plan()
        except (NotAvailable, Unreachable):
            return  # an older server, or the line dropped: try again after the next sync
        except ApiError as exc:
            # The server refused the times: its plan stands, and the patient is told why.
            logger.info("reminder plan refused: %s", exc.message)
            self.store.put_many({"reminder_plan_dirty": None, "reminder_plan_fetched_at": None})
            return
        if self.store.get("reminder_plan_dirty") != dirty:
            return  # changed again meanwhile: the next sync sends the newer times
        self.store.put_many(
            {
                "reminder_plan": json.dumps(answer, sort_keys=True),
                "reminder_plan_dirty": None,
                "reminder_plan_fetched_at": self.now().isoformat(),
            }
        )

    def sync_until_drained(self, max_rounds: int | None = None) -> RoundResult:
        """Rounds until the outbox is empty (or `max_rounds`, MAX_ROUNDS by default, so a flood
        cannot hold the thread; the runner then comes back at once rather than after its interval)."""
        result = self.sync_once()
        for _ in range((max_rounds or MAX_ROUNDS) - 1):
            if not result.more:
                break
            result = self.sync_once()
        return result

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.api.sync(body)
        except ApiError as exc:
            if exc.status == 401:
                raise SignedOut() from exc
            if exc.status == 400 and "cursor" in exc.errors and body.get("cursor") is not None:
                # A cursor from another server or an old format: start over; upserts make it harmless.
                self.store.put("cursor", None)
                return self.api.sync({**body, "cursor": None})
            raise

    def _apply(self, answer: Mapping[str, Any], sent: set[str]) -> RoundResult:
        accepted = [i for i in answer.get("accepted") or [] if isinstance(i, str) and i in sent]
        rejected: dict[str, Mapping[str, Any]] = {}
        for row in answer.get("rejected") or []:
            if isinstance(row, Mapping) and row.get("id") in sent:
                errors = row.get("errors")
                rejected[str(row["id"])] = errors if isinstance(errors, Mapping) else {"detail": [str(errors)]}
        alerts = answer.get("alerts") or []
        updates: dict[str, str | None] = {
            "last_sync_ok": self.now().isoformat(),
            "last_sync_error": None,
        }
        if isinstance(answer.get("cursor"), str):
            updates["cursor"] = answer["cursor"]
        # alert_policy: the clinic's; lab_context: the patient's sex and baselines; both for Journal
        # care_status: paused or discharged, the phone stops its own reminders and says so (Today).
        for key in ("regimen", "reminders", "alert_policy", "lab_context", "care_status"):
            if key in answer and answer[key] is not None:
                updates[key] = json.dumps(answer[key], sort_keys=True)
        if isinstance(answer.get("server_time"), str):
            updates["server_time"] = answer["server_time"]
        # The person's language as the clinic knows it (changed on another phone, or by a nurse),
        # unless a choice made on this phone still waits to be sent.
        if isinstance(answer.get("language"), str) and not self.store.get("language_dirty"):
            updates["language"] = answer["language"]
        # One commit for the whole answer: the cursor never moves past alerts not stored, and a
        # round costs one sync of the disk, not three.
        with self.store.transaction():
            # The attempt is counted with its outcome: no commit of its own before sending.
            self.store.settle_round(sent, accepted=accepted, rejected=rejected)
            alert_count = self.store.upsert_alerts(alerts if isinstance(alerts, list) else [])
            self.store.put_many(updates)
        unanswered = sent - set(accepted) - set(rejected)
        if unanswered:
            # The server must name every item; if it did not, they stay pending and go again.
            logger.warning("sync answer left %d item(s) unanswered; they will be sent again", len(unanswered))
        more = self.store.pending_count() > 0 and len(sent) > len(unanswered)
        return RoundResult(len(sent), len(accepted), len(rejected), alert_count, more)

    def _failed(self, message: str, exc: Exception, batch: Sequence[tuple[str, str, str]] = ()) -> None:
        logger.info("sync failed: %s", exc)
        with self.store.transaction():
            self.store.count_attempt([entry_id for entry_id, _, _ in batch])
            self.store.put("last_sync_error", message)


class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half random, so many phones
    coming back online together do not all retry in the same second."""

    def __init__(
        self,
        base: float = BACKOFF_BASE_S,
        cap: float = BACKOFF_CAP_S,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.base = base
        self.cap = cap
        self.jitter = jitter

    def delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** (failures - 1))
        return ceiling / 2 + self.jitter() * ceiling / 2


class SyncRunner:
    """The background sync thread: syncs when asked (start, new entry, tap), every `interval`
    seconds when all is well, and after a failure again after `backoff.delay(failures)`.

    `on_status` is called from this thread: the app wraps it with `@mainthread`.
    """

    def __init__(
        self,
        engine: SyncEngine,
        on_status: Callable[[SyncStatus], None],
        *,
        interval: float = SYNC_EVERY_S,
        backoff: Backoff | None = None,
    ) -> None:
        self.engine = engine
        self.on_status = on_status
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="careloop-sync", daemon=True)
            self._thread.start()
            self._wake.set()  # sync on start

    def request(self) -> None:
        """Sync now (a new entry, or the patient tapped the sync bar)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        delay = self.interval
        while not self._stop.is_set():
            self._wake.wait(timeout=delay)
            if self._stop.is_set():
                break
            self._wake.clear()
            delay = self.run_once()

    def run_once(self) -> float:
        """Sync now; return the seconds until the next try (the interval, or a backoff)."""
        self.on_status(self.engine.status(running=True))
        try:
            result = self.engine.sync_until_drained()
        except SignedOut:
            self.failures = 0
            self.on_status(self.engine.status())
            return self.interval
        except (Unreachable, ApiError):
            self.failures += 1
            delay = self.backoff.delay(self.failures)
            retry_at = self.engine.now() + timedelta(seconds=delay)
            self.on_status(self.engine.status(retry_at=retry_at))
            return delay
        except Exception:  # a bug must not kill the thread: entries would silently stop leaving
            logger.exception("sync crashed; retrying later")
            self.failures += 1
            self.engine.store.put("last_sync_error", S.SYNC_ERROR_UNEXPECTED)
            return self.backoff.delay(self.failures)
        self.failures = 0
        self.on_status(self.engine.status())
        return RESUME_S if result.more else self.interval
