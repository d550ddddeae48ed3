"""Alerts are episodes (contract §4): while an alert of a kind is open or acknowledged for a patient,
a further reading that meets the policy for that kind joins it instead of raising another.

Grading hands over the readings it graded, each with the alert it calls for (if any), and the
latest reading of each analyte or symptom it touched. Here, in grading's transaction:

1. the patient's open or acknowledged alerts, and those whose label holds are still in force, are
   locked (`SELECT … FOR UPDATE`, in id order so that two workers lock in the same order);
2. each reading joins its episode or starts a new one, in memory: the worst grade, severity and
   holds, the readings listed, the words of the reading that made it worst; a worse reading
   restarts escalation and is announced again;
3. the new episodes are inserted with `INSERT … ON CONFLICT DO NOTHING RETURNING id` against the
   `one_episode_per_kind` partial unique index (one statement says which went in). One that another
   worker inserted meanwhile is skipped by the database (PostgreSQL waits for that worker to
   commit), then locked and joined.

On PostgreSQL an episode's `readings`, which grows with every reading that joins, is neither read
nor rewritten: the lock reads which of this batch's readings it already lists (so a reading graded
twice is listed once), and the UPDATE appends the new ones in SQL (`readings || …`), so a join
costs the same whatever the episode's length (bench/grading_episodes.py). SQLite reads and
rewrites the list.

So two workers grading readings of one patient at once make one episode, whichever commits first:
the index decides, not a read followed by a write.

Holds: the label's holds of an episode follow the latest graded reading of each analyte or symptom
that held: a later reading that no longer meets the hold rule lifts it, and is recorded as having
done so. Resolving an alert does not lift its hold; a superseded alert never holds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils import timezone

from backend.alerts.models import UNRESOLVED, Alert
from backend.core.prepared import PreparedQuery
from backend.patients.models import CareStatus, Patient
from shared.alert_policy import BOTH, AlertCandidate, Severity

logger = logging.getLogger(__name__)

# A new episode another worker inserted first is joined on the next round; one more round covers an
# episode that was resolved in between. More than this means something is wrong: the task retries.
MAX_ROUNDS = 5

_UPDATED_FIELDS = [
    "grade",
    "severity",
    "hold_drugs",
    "title",
    "message",
    "patient_advice",
    "rule_source",
    "readings",
    "holds",
    "holds_in_force",
    "worsened",
    "worsened_at",
    "announced_at",
    "escalation_level",
    "next_escalation_at",
    "updated_at",
]


@dataclass(frozen=True)
class Reading:
    """A graded reading as an episode lists it. `hold_drugs`: what the label says this reading
    holds; `holds_known` is False when it could not be graded (it then neither holds nor lifts)."""

    patient_id: UUID
    source_type: str
    source_id: UUID
    key: str  # the analyte or symptom
    observed_at: datetime
    value: str  # "Platelets 22 ×10⁹/L", one unit style everywhere
    grade: int | None
    hold_drugs: tuple[str, ...] = ()
    holds_known: bool = True

    def ref(self) -> dict[str, object]:
        return {
            "type": self.source_type,
            "id": str(self.source_id),
            "value": self.value,
            "observed_at": api_time(self.observed_at),
        }


@dataclass(frozen=True)
class Raised:
    """A reading that meets the policy, the alert it calls for, and, for a backlog reading, the
    first newer reading of the same analyte or symptom that did not meet it."""

    reading: Reading
    candidate: AlertCandidate
    superseded_by: Reading | None = None


@dataclass
class EpisodesOutcome:
    raised: list[UUID]  # new alerts
    worsened: list[UUID]  # alerts a worse reading joined

    @property
    def to_announce(self) -> list[UUID]:
        return [*self.raised, *self.worsened]


def api_time(value: datetime) -> str:
    """A time as the API writes it (UTC, `Z`): the readings' times are stored so."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def reading_entry(reading: Reading, candidate: AlertCandidate) -> dict[str, object]:
    return {
        **reading.ref(),
        "key": reading.key,
        "grade": candidate.grade,
        "severity": candidate.severity.value,
        "hold_drugs": list(candidate.hold_drugs),
    }


def episodes_apply(
    *,
    raised: Sequence[Raised],
    latest: Mapping[tuple[UUID, str], Reading],
    now: datetime | None = None,
    paused: Iterable[UUID] | None = None,
) -> EpisodesOutcome:
    """Join or start the episodes of `raised` (in the caller's transaction), and bring every locked
    episode's holds up to the `latest` reading of each (patient, analyte or symptom). `paused`: the
    patients of `raised` who are not active, when the caller read them already (grading's claim)."""
    now = now or timezone.now()
    # A paused or discharged patient's readings are graded and kept, but raise or join no alert
    # (patients.care_status); they still bring holds up to date below (`latest`): data, not alerts.
    if paused is None:
        paused = (
            set(
                Patient.objects.filter(pk__in={r.reading.patient_id for r in raised})
                .exclude(care_status=CareStatus.ACTIVE)
                .values_list("pk", flat=True)
            )
            if raised
            else set()
        )
    skipped = set(paused)
    raised = [r for r in raised if r.reading.patient_id not in skipped]
    patients = {r.reading.patient_id for r in raised} | {patient for patient, _ in latest}
    if not patients:
        return EpisodesOutcome([], [])
    book = _Book(now, in_sql=appends_in_sql())
    if book.in_sql:
        book.load(_LOCKED.run([str(p) for p in patients], [str(r.reading.source_id) for r in raised]))
    else:
        book.load(_locked(Q(patient_id__in=patients) & _HELD_OR_OPEN))
    for item in sorted(raised, key=lambda r: r.reading.observed_at):
        book.add(item)
    book.follow(latest)
    book.save_changed()
    book.insert_new(latest)
    return EpisodesOutcome(book.raised, sorted(book.worsened_ids - set(book.raised)))


@transaction.atomic
def alert_raise(*, reading: Reading, candidate: AlertCandidate, now: datetime | None = None) -> EpisodesOutcome:
    """Raise an alert for one finding from outside grading (another app's assessment), or join the
    patient's open or acknowledged alert of its kind: the one way to make an alert that keeps to
    `one_episode_per_kind`. Announce `outcome.to_announce` once the transaction commits
    (backend.alerts.tasks.announce_alerts)."""
    return episodes_apply(raised=[Raised(reading, candidate)], latest={}, now=now)


def appends_in_sql() -> bool:
    """Whether episodes' readings are appended in SQL (PostgreSQL's jsonb) rather than rewritten."""
    return connection.vendor == "postgresql"


# Which of the batch's readings (%s: their ids) an episode lists already, read under its lock.
_LISTED_SQL = "ARRAY(SELECT e->>'id' FROM jsonb_array_elements(readings) e WHERE e->>'id' = ANY(%s))"
# The new entries (%s: a jsonb array, in time order) after the listed ones: appended when none is
# older than the last listed (the usual case), else the whole list sorted again (a backlog reading),
# stably as `sorted(..., key=_at)` sorts it.
_APPEND_SQL = """CASE
WHEN jsonb_array_length(readings) = 0
  OR (readings -> -1 ->> 'observed_at')::timestamptz <= (%s::jsonb -> 0 ->> 'observed_at')::timestamptz
THEN readings || %s::jsonb
ELSE (SELECT jsonb_agg(e ORDER BY (e ->> 'observed_at')::timestamptz, n)
      FROM jsonb_array_elements(readings || %s::jsonb) WITH ORDINALITY AS t(e, n))
END"""


# A patient's episodes that grading works on: open or acknowledged, or still holding a drug.
_HELD_OR_OPEN = Q(status__in=UNRESOLVED) | ~Q(holds_in_force=[])


def _episodes_locked(patients: list[str], listing: list[str]) -> QuerySet[Alert]:
    """The episodes of `patients`, locked, without their readings, each with `listed`: which of the
    readings of `listing` it lists (PostgreSQL)."""
    return (
        Alert.objects.select_for_update(of=("self",))
        .filter(Q(patient_id__in=RawSQL("SELECT unnest(%s::uuid[])", [patients])) & _HELD_OR_OPEN)
        .order_by("id")
        .defer("readings")
        .annotate(listed=RawSQL(_LISTED_SQL, [listing]))  # noqa: S611 constant SQL, bound values
    )


# Compiled once per connection (the ORM's compile was about a third of the task's CPU, bench 2);
# the arrays make one SQL text whatever the number of patients and readings.
_LOCKED = PreparedQuery(_episodes_locked, ["placeholder: patients"], ["placeholder: readings"])


def _locked(which: Q) -> list[Alert]:
    """The episodes, locked, with their readings (SQLite, and the rare join of another worker's)."""
    return list(Alert.objects.select_for_update(of=("self",)).filter(which).order_by("id"))


def _episode_key(alert: Alert) -> tuple[UUID, str, bool]:
    return alert.patient_id, alert.kind, alert.superseded


class _Book:
    """The episodes of a grading batch's patients, worked on in memory, then written."""

    def __init__(self, now: datetime, *, in_sql: bool = False) -> None:
        self.now = now
        self.in_sql = in_sql  # loaded episodes' readings are appended in SQL, not loaded
        self.appended: dict[UUID, list[dict[str, object]]] = {}  # per loaded episode, when in_sql
        self.episodes: dict[tuple[UUID, str, bool], Alert] = {}  # open or acknowledged
        self.by_patient: dict[UUID, dict[UUID, Alert]] = {}  # every loaded or new alert, per patient
        self.alerts: dict[UUID, Alert] = {}
        self.changed: set[UUID] = set()
        self.new: dict[UUID, Alert] = {}
        self.raised: list[UUID] = []
        self.worsened_ids: set[UUID] = set()

    def load(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.by_patient.setdefault(alert.patient_id, {})[alert.pk] = alert
            self.alerts[alert.pk] = alert
            if alert.status in UNRESOLVED:
                self.episodes[_episode_key(alert)] = alert

    def add(self, item: Raised) -> None:
        reading, superseded = item.reading, item.superseded_by is not None
        episode = self.episodes.get((reading.patient_id, item.candidate.kind, superseded))
        if episode is None:
            episode = _started(item, self.now)
            self.episodes[_episode_key(episode)] = episode
            self.by_patient.setdefault(reading.patient_id, {})[episode.pk] = episode
            self.alerts[episode.pk] = episode
            self.new[episode.pk] = episode
        elif self._join(episode, item):
            self.worsened_ids.add(episode.pk)
        if item.superseded_by is not None:
            _hold_follow(episode, item.superseded_by)  # a superseded alert never holds
        self.changed.add(episode.pk)

    def _join(self, episode: Alert, item: Raised) -> bool:
        """Add the reading to the episode; True if it made the episode worse (announced again)."""
        reading, candidate = item.reading, item.candidate
        if self._lists(episode, str(reading.source_id)):
            return False  # graded twice somehow: listed once
        entry = reading_entry(reading, candidate)
        if self._appends(episode):
            self.appended.setdefault(episode.pk, []).append(entry)
        else:
            episode.readings = sorted([*episode.readings, entry], key=_at)
        episode.updated_at = self.now
        grade = _worst_grade(episode.grade, candidate.grade)
        critical = Severity.CRITICAL in (episode.severity, candidate.severity)
        severity = Severity.CRITICAL.value if critical else str(episode.severity)
        holds = _drugs([*episode.hold_drugs, *candidate.hold_drugs])
        worse = (
            (grade or 0) > (episode.grade or 0) or severity != episode.severity or set(holds) != set(episode.hold_drugs)
        )
        if not episode.superseded:
            _hold_take(episode, reading)
        if not worse:
            return False
        episode.grade, episode.severity, episode.hold_drugs = grade, severity, holds
        # The words describe the worst reading.
        episode.title, episode.message = candidate.title, candidate.message
        episode.patient_advice, episode.rule_source = candidate.patient_advice, candidate.source[:300]
        if episode.superseded:  # history: never announced, never escalated
            return False
        if episode.pk in self.new:  # raised by this very batch: announced once, as it now stands
            return False
        episode.worsened += 1
        episode.worsened_at = self.now
        episode.announced_at = None
        episode.escalation_level, episode.next_escalation_at = 0, None  # escalation.py schedules it again
        return True

    def _appends(self, episode: Alert) -> bool:
        """Whether the episode was loaded without its readings (appended in SQL on save)."""
        return self.in_sql and episode.pk not in self.new and hasattr(episode, "listed")

    def _lists(self, episode: Alert, source_id: str) -> bool:
        if self._appends(episode):
            listed: list[str] = episode.listed or []
            return source_id in listed or any(e["id"] == source_id for e in self.appended.get(episode.pk, ()))
        return any(entry.get("id") == source_id for entry in episode.readings)

    def follow(self, latest: Mapping[tuple[UUID, str], Reading]) -> None:
        """Every loaded or new episode's holds follow the latest reading of what held them."""
        for (patient_id, key), reading in latest.items():
            for alert in self.by_patient.get(patient_id, {}).values():
                if key in alert.holds and not alert.superseded and _hold_follow(alert, reading):
                    alert.updated_at = self.now  # the queue's version and the phone's cursor move
                    self.changed.add(alert.pk)

    def save_changed(self) -> None:
        for pk in sorted(self.changed - set(self.new)):
            alert = self.alerts[pk]
            if self._appends(alert):
                _save_appending(alert, self.appended.get(pk, []))
            else:
                alert.save(update_fields=_UPDATED_FIELDS)

    def insert_new(self, latest: Mapping[tuple[UUID, str], Reading]) -> None:
        """Insert the new episodes; join the ones another worker's insert beat into that episode."""
        pending = sorted(self.new.values(), key=lambda a: (str(a.patient_id), a.kind, a.superseded))
        for _ in range(MAX_ROUNDS):
            if not pending:
                return
            inserted = _inserted(pending)
            self.raised.extend(a.pk for a in pending if a.pk in inserted and not a.superseded)
            pending = [a for a in pending if a.pk not in inserted]
            if pending:
                pending = self._join_winners(pending, latest)
        raise RuntimeError(f"{len(pending)} alerts could be neither inserted nor joined")

    def _join_winners(self, losers: list[Alert], latest: Mapping[tuple[UUID, str], Reading]) -> list[Alert]:
        """The new episodes whose insert was skipped: join each into the episode that won (locked
        now, committed by its worker); those whose winner is already resolved are tried again."""
        which = Q(pk__in=[])
        for alert in losers:
            which |= Q(patient_id=alert.patient_id, kind=alert.kind, superseded=alert.superseded)
        winners = {_episode_key(a): a for a in _locked(which & Q(status__in=UNRESOLVED))}
        retry = []
        for alert in losers:
            winner = winners.get(_episode_key(alert))
            if winner is None:
                if Alert.objects.filter(source_type=alert.source_type, source_id=alert.source_id).exists():
                    continue  # its first reading already raised an alert: nothing to do
                retry.append(alert)
                continue
            logger.info("alert %s joins %s, raised meanwhile by another worker", alert.pk, winner.pk)
            worse = False
            for entry in alert.readings:
                worse |= self._join(winner, _raised_again(alert, entry))
            for (patient_id, key), reading in latest.items():
                if patient_id == winner.patient_id and key in winner.holds and not winner.superseded:
                    _hold_follow(winner, reading)
            winner.save(update_fields=_UPDATED_FIELDS)
            if worse:
                self.worsened_ids.add(winner.pk)
        return retry


def _save_appending(alert: Alert, entries: list[dict[str, object]]) -> None:
    """One UPDATE of the episode's fields that appends `entries` to its readings in SQL (the ORM's
    `filter(pk=…).update(…)`, whose build and compile were a tenth of a grading task's CPU, written
    once: constant SQL, each value prepared by its field as the ORM prepares it)."""
    fields = _updated_fields()
    params: list[Any] = [field.get_db_prep_save(getattr(alert, field.attname), connection) for field in fields]
    if entries:
        added = json.dumps(sorted(entries, key=_at))
        params += [added] * 3
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(appends=bool(entries)), [*params, alert.pk])


@cache
def _updated_fields() -> list[Any]:
    return [Alert._meta.get_field(name) for name in _UPDATED_FIELDS if name != "readings"]


@cache
def _update_sql(*, appends: bool) -> str:
    q = connection.ops.quote_name
    sets = [f"{q(field.column)} = %s" for field in _updated_fields()]
    if appends:
        sets.append(f"{q('readings')} = {_APPEND_SQL}")
    return f"UPDATE {q(Alert._meta.db_table)} SET {', '.join(sets)} WHERE {q('id')} = %s"  # noqa: S608 - names


def _inserted(alerts: list[Alert]) -> set[UUID]:
    """Insert, skipping those the unique constraints refuse; the ids that went in, from the
    INSERT's own RETURNING (no SELECT after it)."""
    fields = [f for f in Alert._meta.local_concrete_fields if not f.generated]
    size = min(500, connection.ops.bulk_batch_size(fields, alerts) or 500)
    inserted: set[UUID] = set()
    for start in range(0, len(alerts), size):
        query = InsertQuery(Alert, on_conflict=OnConflict.IGNORE)
        query.insert_values(fields, alerts[start : start + size])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [Alert._meta.pk]  # what execute_sql would do, but every row
        ((sql, params),) = compiler.as_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted.update(Alert._meta.pk.to_python(row[0]) for row in cursor.fetchall())
    return inserted


def _started(item: Raised, now: datetime) -> Alert:
    reading, candidate = item.reading, item.candidate
    superseded = item.superseded_by is not None
    alert = Alert(
        patient_id=reading.patient_id,
        kind=candidate.kind,
        grade=candidate.grade,
        severity=candidate.severity.value,
        hold_drugs=list(candidate.hold_drugs),
        title=candidate.title,
        message=candidate.message,
        patient_advice=candidate.patient_advice,
        rule_source=candidate.source[:300],
        source_type=reading.source_type,
        source_id=reading.source_id,
        observed_at=reading.observed_at,
        readings=[reading_entry(reading, candidate)],
        superseded=superseded,
        created_at=now,
        updated_at=now,
        # History is shown, not announced: the sweeper's "never announced" check passes it by.
        announced_at=now if superseded else None,
    )
    _hold_take(alert, reading)
    return alert


def _raised_again(alert: Alert, entry: Mapping[str, object]) -> Raised:
    """One of a loser's readings, as it was raised, to join the winner with."""
    grade = entry.get("grade")
    candidate = AlertCandidate(
        alert.kind,
        grade if isinstance(grade, int) else None,
        Severity(str(entry.get("severity") or alert.severity)),
        tuple(str(d) for d in _listed(entry.get("hold_drugs"))),
        alert.title,
        alert.message,
        alert.patient_advice,
        alert.rule_source,
    )
    reading = Reading(
        alert.patient_id,
        str(entry["type"]),
        UUID(str(entry["id"])),
        str(entry.get("key") or ""),
        datetime.fromisoformat(str(entry["observed_at"])),
        str(entry.get("value") or ""),
        candidate.grade,
        candidate.hold_drugs,
    )
    return Raised(reading, candidate)


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _at(entry: Mapping[str, object]) -> datetime:
    return datetime.fromisoformat(str(entry["observed_at"]))


def _worst_grade(a: int | None, b: int | None) -> int | None:
    return max((g for g in (a, b) if g is not None), default=None)


def _drugs(drugs: Iterable[str]) -> list[str]:
    """A set of drugs in the label's order, each once."""
    found = set(drugs)
    return [d for d in BOTH if d in found] + sorted(found - set(BOTH))


def _hold_take(alert: Alert, reading: Reading) -> None:
    """A reading of the episode that holds drugs starts (or renews) its analyte's hold."""
    if reading.hold_drugs and reading.holds_known:
        current = alert.holds.get(reading.key)
        if current is None or _at(current) <= reading.observed_at:
            alert.holds = {
                **alert.holds,
                reading.key: {**reading.ref(), "drugs": list(reading.hold_drugs), "lifted": []},
            }
    elif reading.holds_known:
        _hold_follow(alert, reading)
    _holds_in_force(alert)


def _hold_follow(alert: Alert, reading: Reading) -> bool:
    """A later reading of an analyte or symptom that held this episode decides its hold now: it
    renews it, or lifts it (and is named as the reading that lifted it). True if anything changed."""
    current = alert.holds.get(reading.key)
    if current is None or not reading.holds_known or _at(current) >= reading.observed_at:
        return False
    drugs = [] if alert.superseded else list(reading.hold_drugs)
    lifted = [d for d in (current.get("drugs") or current.get("lifted") or []) if d not in drugs]
    alert.holds = {**alert.holds, reading.key: {**reading.ref(), "drugs": drugs, "lifted": lifted}}
    _holds_in_force(alert)
    return True


def _holds_in_force(alert: Alert) -> None:
    alert.holds_in_force = (
        [] if alert.superseded else _drugs(d for hold in alert.holds.values() for d in hold.get("drugs") or ())
    )
