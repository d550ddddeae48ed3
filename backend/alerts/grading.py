"""Grade stored readings and raise their alerts, in bulk and exactly once.

Whoever grades (the per-batch task right after a sync, which also takes readings still waiting for
their own tasks, or the sweeper later) claims the rows first: `SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL, the write lock of an IMMEDIATE transaction on SQLite, and `graded_at IS NULL` in the
filter on both. A row is graded by whoever claims it; a
second grader finds nothing to do. The unique constraint on the alert's source is the last guard:
one reading raises at most one alert even if everything above failed.

A reading that meets the policy joins its patient's open or acknowledged alert of its kind, or
starts one (backend.alerts.episodes, race-free through a partial unique index); a backlog reading,
one that a newer reading of the same analyte or symptom no longer meeting the policy follows,
raises a superseded alert: history for a nurse to review (backend.alerts.readings).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from backend.accounts.models import Clinic
from backend.alerts.episodes import Raised, episodes_apply
from backend.alerts.fever_context import fever_nadir_days
from backend.alerts.readings import History, history_read, lab_reading, symptom_graded, symptom_reading
from backend.alerts.review import REVIEW, REVIEW_NEEDED, review_raise
from backend.core.prepared import PreparedQuery
from backend.patients.models import CareStatus, Patient
from backend.records.baselines import lab_contexts, local_day
from backend.records.models import LabResult, SymptomReport
from shared.alert_policy import (
    DEFAULT_POLICY,
    AlertCandidate,
    AlertPolicy,
    PolicyError,
    evaluate_lab,
    evaluate_symptom,
    latest_anc_in_window,
    with_overrides,
)
from shared.lab_context import LabContext
from shared.lab_values import parse_lab_value

SWEEP_BATCH = 500
#: Waiting readings a grading task claims besides its own, per kind (`Waiting.count`). Under load
#: each sync queues a task; one that grades what the others wait for leaves them nothing but a claim
#: that finds no row, so one worker keeps up (bench 2 beside 50 phones). Bounded, to keep a task short.
COALESCE_BATCH = 200


@dataclass(frozen=True)
class Waiting:
    """Other ungraded readings a grading task takes besides its own: at most `count` of each kind it
    was given, oldest first, received within `within` of now: the syncs whose own tasks are still
    queued. An older backlog (readings stored while Redis was away) is the sweeper's: taken oldest
    first by every task, it made each new reading's task grade 400 old ones before its own alert
    (bench 2 after bench 1's ungraded rows: 559 ms a task, alerts a minute late)."""

    count: int
    within: timedelta


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradingOutcome:
    graded: int
    alerts_raised: list[UUID]  # new alerts to announce (a superseded one is never announced)
    alerts_worsened: list[UUID] = field(default_factory=list)  # episodes a worse reading joined: announced again
    more_waiting: bool = False  # a kind's waiting readings filled their batch: more may wait

    @property
    def to_announce(self) -> list[UUID]:
        return [*self.alerts_raised, *self.alerts_worsened]

    def __add__(self, other: GradingOutcome) -> GradingOutcome:
        return GradingOutcome(
            self.graded + other.graded,
            [*self.alerts_raised, *other.alerts_raised],
            [*self.alerts_worsened, *other.alerts_worsened],
            self.more_waiting or other.more_waiting,
        )


def policy_for(clinic: Clinic) -> AlertPolicy:
    """The clinic's stricter policy; the label's defaults if its overrides are somehow invalid
    (they are checked on save), so a bad setting can never stop grading."""
    if not clinic.alert_policy:
        return DEFAULT_POLICY
    try:
        return with_overrides(DEFAULT_POLICY, clinic.alert_policy)
    except PolicyError:
        logger.exception("clinic %s has an invalid alert policy; using the defaults", clinic.pk)
        return DEFAULT_POLICY


def readings_grade(
    *, lab_ids: Sequence[UUID] = (), symptom_ids: Sequence[UUID] = (), also: Waiting | None = None
) -> GradingOutcome:
    """Grade the given readings if nobody has yet (the per-sync task); and, with `also`, other
    recent ungraded readings of the kinds given (labs, symptoms) that no other grader holds."""
    return _grade(
        list(lab_ids),
        list(symptom_ids),
        limit=None,
        # Only kinds the task was given: a task of one kind adds no statement for the other.
        waiting=(also if lab_ids else None, also if symptom_ids else None),
    )


def ungraded_sweep(*, older_than: timedelta, now: datetime | None = None, limit: int = SWEEP_BATCH) -> GradingOutcome:
    """Grade readings that nobody graded in time, e.g. because Redis was down when they arrived."""
    cutoff = (now or timezone.now()) - older_than
    return _grade(Q(received_at__lte=cutoff), Q(received_at__lte=cutoff), limit=limit)


def ungraded_one_by_one(
    *, older_than: timedelta, now: datetime | None = None, limit: int = SWEEP_BATCH
) -> tuple[GradingOutcome, list[UUID]]:
    """After a sweep's batch failed as a whole (a fault beyond one row's grading, which raises a
    review alert instead): the same oldest readings graded one at a time, so that the one that
    fails its batch holds back no other. One that fails alone twice (once more, so that a passing
    fault, a deadlock, does not take its grade) goes to a nurse as a review alert on a path of its
    own (backend.alerts.review), or, if even that fails, stays ungraded for the next sweep.
    → what was graded and raised, and the ids that failed alone."""
    cutoff = (now or timezone.now()) - older_than
    older = Q(received_at__lte=cutoff)
    return _one_by_one({LabResult: older, SymptomReport: older}, limit)


def waiting_one_by_one(
    waiting: Waiting, *, labs: bool, symptoms: bool, now: datetime | None = None
) -> tuple[GradingOutcome, list[UUID]]:
    """After a grading task's batch with its waiting readings failed as a whole: those readings
    one at a time, as the sweeper does with its own (`ungraded_one_by_one`). Their syncs may have
    queued no task (one was queued already), so none would take them before the sweeper."""
    since = Q(received_at__gte=(now or timezone.now()) - waiting.within)
    kinds = {LabResult: labs, SymptomReport: symptoms}
    return _one_by_one({model: since for model, given in kinds.items() if given}, waiting.count)


def _one_by_one(which: dict[type[Any], Q], limit: int) -> tuple[GradingOutcome, list[UUID]]:
    total = GradingOutcome(0, [])
    failed: list[UUID] = []
    for model, found in which.items():
        kind = "lab_ids" if model is LabResult else "symptom_ids"
        waiting = model.objects.filter(found, graded_at__isnull=True).order_by("received_at")
        for reading_id in waiting.values_list("pk", flat=True)[:limit]:
            try:
                total += _alone(kind, reading_id)
            except Exception:
                failed.append(reading_id)
                total += GradingOutcome(0, _reviewed(model, reading_id))
    return total, failed


def _alone(kind: str, reading_id: UUID) -> GradingOutcome:
    try:
        return readings_grade(**{kind: [reading_id]})
    except Exception:
        logger.exception("could not grade %s alone; trying once more", reading_id)
    return readings_grade(**{kind: [reading_id]})


def _reviewed(model: type[LabResult] | type[SymptomReport], reading_id: UUID) -> list[UUID]:
    """The review alert of a reading that failed alone (→ to announce); logged, never raised."""
    logger.exception("could not grade %s %s even alone; raising a review alert", model.__name__, reading_id)
    try:
        return review_raise(model, reading_id)
    except Exception:
        logger.exception("could not raise a review alert for %s %s; it stays ungraded", model.__name__, reading_id)
        return []


M = TypeVar("M", LabResult, SymptomReport)


def marks_in_claim() -> bool:
    """Whether the claim marks its rows graded in its own statement (PostgreSQL's `UPDATE …
    RETURNING` in a WITH), and the grades go with the history's statement (readings.history_read);
    SQLite claims, then marks in an UPDATE of its own."""
    return connection.vendor == "postgresql"


def _claimed(model: type[M]) -> PreparedQuery[M]:
    # The rows the claim's WITH clause ("claimed") updated, with their patient and clinic (the
    # pre-statement snapshot: graded_at reads NULL, which _grade sets on the instances). Compiled
    # once per connection.
    return PreparedQuery(
        lambda: (
            model.objects.select_related("patient__clinic")
            .filter(pk__in=RawSQL('SELECT "id" FROM "claimed"', ()))
            .order_by("received_at")
        )
    )


_CLAIMED: dict[type[Any], PreparedQuery[Any]] = {LabResult: _claimed(LabResult), SymptomReport: _claimed(SymptomReport)}


def _own(model: type[M], ids: list[str]) -> QuerySet[M, dict[str, Any]]:
    """The task's own rows (`ids`) that nobody graded nor holds, as the claim's first CTE."""
    return (
        model.objects.filter(pk__in=RawSQL("SELECT unnest(%s::uuid[])", [ids]), graded_at__isnull=True)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("received_at")
        .values("pk")
    )


# The claim's CTEs, compiled once per connection (PostgreSQL), their values bound: the ORM built
# and compiled both on every task (≈ 0.3 ms of CPU, bench 2), for SQL that differs only in them.
# Placeholders: no reading has this id, none was received at this instant.
_NO_IDS = ["placeholder: own ids"]
_NO_TIME = datetime(1901, 1, 1, 0, 0, 1, 5, tzinfo=UTC)
_OWN: dict[type[Any], PreparedQuery[Any]] = {
    model: PreparedQuery(partial(_own, model), _NO_IDS) for model in (LabResult, SymptomReport)
}
_WAITING: dict[tuple[type[Any], int], PreparedQuery[Any]] = {}


def _waiting_sql(model: type[M], waiting: Waiting, now: datetime) -> tuple[str, list[Any]]:
    """`_waiting`'s SQL and values, compiled once per model and count (its LIMIT is in the SQL)."""
    prepared = _WAITING.get((model, waiting.count))
    if prepared is None:
        prepared = _WAITING[(model, waiting.count)] = PreparedQuery(partial(_waiting, model, waiting.count), _NO_TIME)
    plan = prepared.plan()
    return plan.sql, plan.bind(now - waiting.within)


def _waiting(model: type[M], count: int, since: datetime) -> QuerySet[M, UUID]:
    """The oldest `count` ungraded rows received since `since` that no other grader holds (a range
    of the partial index on ungraded rows)."""
    return (
        model.objects.filter(graded_at__isnull=True, received_at__gte=since)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("received_at")
        .values_list("pk", flat=True)[:count]
    )


def _claim(
    model: type[M], which: Q | list[UUID], limit: int | None, now: datetime, waiting: Waiting | None = None
) -> list[M]:
    """Lock, mark and read the rows of `which` (a task's ids, or the sweeper's filter) that nobody
    graded nor holds, with `waiting` rows besides."""
    if isinstance(which, list) and not which:  # no ids given: nothing to claim, no statement
        return []
    if not marks_in_claim():
        # SQLite: the IMMEDIATE transaction already holds the write lock, nobody else claims.
        found = Q(pk__in=which) if isinstance(which, list) else which
        if waiting:
            found |= Q(pk__in=_waiting(model, waiting.count, now - waiting.within))
        rows = (
            model.objects.filter(found, graded_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("received_at")
        )
        # The patient and clinic ride along in the claim's own query (only the reading is locked):
        # two round trips fewer per task, on the commit -> alert path (bench 2).
        rows = rows.select_related("patient__clinic")
        return list(rows[:limit] if limit else rows)
    # One statement locks (SKIP LOCKED), marks graded_at and reads the rows with their patient and
    # clinic: the rows stay locked until grading commits, and if it fails the mark rolls back with
    # everything else, so the sweeper grades them later (bench 2: one round trip fewer).
    if isinstance(which, list):  # a task's own rows: the SQL compiled once, the ids bound
        plan = _OWN[model].plan()
        sql, params = plan.sql, plan.bind([str(pk) for pk in which])
    else:
        rows = (
            model.objects.filter(which, graded_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("received_at")
            .values("pk")
        )
        sql, params = (rows[:limit] if limit else rows).query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    if not waiting:
        return _CLAIMED[model].run(
            # The table's name and the ORM's compiled SQL; values are bound.
            with_sql=f'WITH "claimed" AS (UPDATE {table} SET "graded_at" = %s WHERE "id" IN ({sql}) RETURNING "id") ',  # noqa: S608
            with_params=[now, *params],
        )
    # Each set is locked in its own CTE (PostgreSQL allows no FOR UPDATE inside a UNION), then
    # joined on the primary key: never a scan of the table, whatever its size. The CTEs name their
    # column: the ORM calls it "pk", and an unknown "id" would silently mean the outer row's own.
    more, more_params = _waiting_sql(model, waiting, now)
    return _CLAIMED[model].run(
        with_sql=(  # the table's name and the ORM's compiled SQL; values are bound
            f'WITH "own"("id") AS ({sql}), "waiting"("id") AS ({more}), '  # noqa: S608
            f'"claimed" AS (UPDATE {table} SET "graded_at" = %s WHERE "id" IN '
            '(SELECT "id" FROM "own" UNION SELECT "id" FROM "waiting") RETURNING "id") '
        ),
        with_params=[*params, *more_params, now],
    )


def _grade(
    lab_filter: Q | list[UUID],
    symptom_filter: Q | list[UUID],
    *,
    limit: int | None,
    waiting: tuple[Waiting | None, Waiting | None] = (None, None),
) -> GradingOutcome:
    now = timezone.now()
    with transaction.atomic():
        labs = _claim(LabResult, lab_filter, limit, now, waiting[0])
        symptoms = _claim(SymptomReport, symptom_filter, limit, now, waiting[1])
        if not labs and not symptoms:
            return GradingOutcome(0, [])
        policies: dict[int, AlertPolicy] = {}
        clinic_of = {r.patient_id: r.patient.clinic for r in [*labs, *symptoms]}
        raised: list[tuple[LabResult | SymptomReport, AlertCandidate]] = []
        patients: dict[UUID, Patient] = {lab.patient_id: lab.patient for lab in labs}
        contexts = lab_contexts(patients.values(), analytes={lab.analyte for lab in labs})
        for lab in labs:
            patient = patients[lab.patient_id]
            context = (contexts[patient.pk], local_day(patient, lab.collected_at))
            candidate = _safely(_grade_lab_row, lab, _policy(policies, clinic_of[lab.patient_id]), context)
            lab.graded_at = now
            if candidate:
                raised.append((lab, candidate))
        ancs = _recent_ancs(symptoms)
        nadir_days = fever_nadir_days(symptoms)
        for report in symptoms:
            policy = _policy(policies, clinic_of[report.patient_id])
            candidate = _safely(
                _grade_symptom_row, report, policy, ancs.get(report.patient_id, []), nadir_days.get(report.pk)
            )
            report.graded_at = now
            if candidate:
                raised.append((report, candidate))
        in_sql = marks_in_claim()
        if not in_sql:
            _mark_graded(LabResult, labs, now)
            _mark_graded(SymptomReport, symptoms, now)
        # Every row with a grade is in these lists, so on PostgreSQL the history's statements write
        # every grade (a row without one keeps the NULL it was stored with).
        history = history_read(
            labs=[r for r in labs if r.grade is not None],
            symptoms=[r for r in symptoms if r.grade is not None or r.symptom == "fever"],
            policy_of=lambda patient_id: _policy(policies, clinic_of[patient_id]),
            raised=[row for row, candidate in raised if candidate.kind != REVIEW_NEEDED],
            writes_grades=in_sql,
        )
        outcome = episodes_apply(
            raised=[_raised(row, c, history) for row, c in raised],
            latest=history.latest(),
            now=now,
            # The claim read each patient (select_related): no SELECT of their care status again.
            paused={r.patient_id for r in [*labs, *symptoms] if r.patient.care_status != CareStatus.ACTIVE},
        )
    full = any(w is not None and len(rows) >= w.count for w, rows in zip(waiting, (labs, symptoms), strict=True))
    return GradingOutcome(len(labs) + len(symptoms), outcome.raised, outcome.worsened, more_waiting=full)


def _raised(row: LabResult | SymptomReport, candidate: AlertCandidate, history: History) -> Raised:
    """The reading as its episode lists it; a backlog reading (a newer one no longer meets the
    policy) raises a superseded alert. One that could not be graded is neither."""
    if candidate.kind == REVIEW_NEEDED:
        reading = lab_reading(row) if isinstance(row, LabResult) else symptom_reading(row, None)
        return Raised(replace(reading, grade=None, hold_drugs=(), holds_known=False), candidate)
    reading = lab_reading(row) if isinstance(row, LabResult) else symptom_reading(row, symptom_graded(row))
    return Raised(replace(reading, hold_drugs=candidate.hold_drugs), candidate, history.superseding(reading))


def _mark_graded(model: type[M], rows: Sequence[M], now: datetime) -> None:
    """One UPDATE per distinct grade (a handful), instead of bulk_update's CASE per row."""
    by_grade: dict[int | None, list[UUID]] = defaultdict(list)
    for row in rows:
        by_grade[row.grade].append(row.pk)
    for grade, ids in by_grade.items():
        model.objects.filter(pk__in=ids).update(grade=grade, graded_at=now)


def _safely(
    grader: Callable[..., AlertCandidate | None], row: LabResult | SymptomReport, *args: Any
) -> AlertCandidate | None:
    """Grade one row; if it cannot be graded, ask a nurse to look rather than retry forever.

    One unreadable row must not stop the rest of its batch nor stall the sweeper, which takes the
    oldest rows first; and when in doubt, alert."""
    try:
        return grader(row, *args)
    except Exception:
        logger.exception("could not grade %s %s; raising a review alert", type(row).__name__, row.pk)
        row.grade = None
        return REVIEW


def _policy(cache: dict[int, AlertPolicy], clinic: Clinic) -> AlertPolicy:
    if clinic.pk not in cache:
        cache[clinic.pk] = policy_for(clinic)
    return cache[clinic.pk]


def _grade_lab_row(row: LabResult, policy: AlertPolicy, context: tuple[LabContext, date]) -> AlertCandidate | None:
    """Graded with the patient's sex and baseline (records.baselines), as the phone grades it."""
    lab = parse_lab_value(row.analyte, row.value, row.unit, row.reference_low, row.reference_high)
    grade = context[0].grade(lab, context[1])
    row.grade = grade.grade
    return evaluate_lab(policy, lab, grade)


def _grade_symptom_row(
    row: SymptomReport, policy: AlertPolicy, ancs: list[tuple[datetime, Decimal]], nadir_day: int | None = None
) -> AlertCandidate | None:
    grade = symptom_graded(row)
    row.grade = grade.grade
    latest = latest_anc_in_window(policy, row.reported_at, ancs) if grade.temperature_c is not None else None
    return evaluate_symptom(policy, row.symptom, grade, latest_anc=latest, nadir_day=nadir_day)


def _recent_ancs(reports: Iterable[SymptomReport]) -> dict[UUID, list[tuple[datetime, Decimal]]]:
    """The ANCs of each fever report's own window before it, fetched in one query (stored rows
    include this batch's). Each its own: one back-dated fever in a batch made the span from it to the
    newest fever every fever patient's, a read that grew with their histories (bench/README round 8)."""
    fevers = [r for r in reports if r.symptom == "fever"]
    if not fevers:
        return {}
    window = max(DEFAULT_POLICY.fever.anc_window, timedelta(days=7))
    which = Q(pk__in=[])
    for patient_id, at in sorted({(r.patient_id, r.reported_at) for r in fevers}, key=str):
        which |= Q(patient_id=patient_id, collected_at__range=(at - window, at))
    found: dict[UUID, list[tuple[datetime, Decimal]]] = defaultdict(list)
    rows = LabResult.objects.filter(which, analyte="anc").values_list("patient_id", "collected_at", "canonical_value")
    for patient_id, at, value in rows:
        found[patient_id].append((at, value))
    return found
