"""A stored reading as alerts see it: its words ("Platelets 22 ×10⁹/L", the one unit style the
queue, the patient page and the API share), whether it meets a clinic's policy, and what the label
says it holds.

Grading reads, for the analytes and symptoms of what it graded, a bounded window of the patient's
readings (one query each for labs and symptoms): the newest, for the latest reading of each (which
renews or lifts the label's holds of the patient's episodes), and those after each reading that
raised an alert, to tell a backlog reading (a newer reading no longer meets the policy: the alert
is superseded).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from backend.alerts.episodes import Reading
from backend.alerts.models import SourceType
from backend.core.prepared import PreparedQuery
from backend.records.models import LabResult, SymptomReport
from shared.alert_policy import DEFAULT_POLICY, AlertPolicy, evaluate_symptom
from shared.analytes import ANALYTES
from shared.symptoms import SYMPTOMS, SymptomGrade, grade_symptom


def number_text(value: Decimal | float) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def lab_value_text(analyte: str, canonical_value: Decimal, reported_unit: str = "") -> str:
    """'Platelets 22 ×10⁹/L': the analyte's name and its value in the analyte's canonical unit as
    people read it, whatever unit the lab reported (22 K/µL and 22000 /µL alike), so that values
    compare at a glance in one unit style everywhere."""
    known = ANALYTES.get(analyte)
    if known is None:
        return f"{analyte.upper()} {number_text(canonical_value)} {reported_unit}".rstrip()
    unit = known.unit(known.canonical_unit)
    return f"{known.name} {number_text(canonical_value)} {unit.display if unit else known.canonical_unit}"


def symptom_value_text(symptom: str, graded: SymptomGrade) -> str:
    if graded.temperature_c is not None:
        return f"Temperature {number_text(graded.temperature_c)} °C"
    known = SYMPTOMS.get(symptom)
    name = known.ctcae_term if known else symptom.replace("_", " ").capitalize()
    details = ", ".join(sorted(f.replace("_", " ") for f in graded.flags))
    return f"{name} grade {graded.grade}" + (f" ({details})" if details else "")


def lab_holds(analyte: str, canonical_value: Decimal, grade: int) -> tuple[str, ...]:
    """What the NINLARO label says a lab value holds (its thresholds, which no clinic moves)."""
    rule = DEFAULT_POLICY.labs.get(analyte)
    if rule is None or not rule.hold_drugs:
        return ()
    if rule.hold_below is not None:
        return rule.hold_drugs if canonical_value < rule.hold_below else ()
    return rule.hold_drugs if rule.hold_at is not None and rule.hold_at.fires(grade, frozenset()) else ()


def symptom_holds(symptom: str, graded: SymptomGrade) -> tuple[str, ...]:
    rule = DEFAULT_POLICY.symptoms.get(symptom)
    if rule is None or rule.hold_at is None or graded.grade is None:
        return ()
    return rule.hold_drugs if rule.hold_at.fires(graded.grade, graded.flags) else ()


def holdable(source_type: str, key: str) -> bool:
    """Whether a reading of this analyte or symptom can hold a drug under the label."""
    rule = (DEFAULT_POLICY.labs if source_type == SourceType.LAB_RESULT else DEFAULT_POLICY.symptoms).get(key)
    return rule is not None and bool(rule.hold_drugs)


def symptom_graded(row: SymptomReport) -> SymptomGrade:
    answers = dict(row.answers)
    if "temperature_c" in answers:
        answers["temperature_c"] = Decimal(str(answers["temperature_c"]))
    return grade_symptom(row.symptom, answers)


def lab_reading(row: LabResult) -> Reading:
    """A graded lab row (its grade known) as an episode lists it."""
    grade = row.grade if row.grade is not None else 0
    return Reading(
        row.patient_id,
        SourceType.LAB_RESULT,
        row.id,
        row.analyte,
        row.collected_at,
        lab_value_text(row.analyte, row.canonical_value, row.unit),
        row.grade,
        lab_holds(row.analyte, row.canonical_value, grade),
        holds_known=row.grade is not None,
    )


def symptom_reading(row: SymptomReport, graded: SymptomGrade | None) -> Reading:
    """`graded`: None when the report could not be graded (it then neither holds nor lifts)."""
    return Reading(
        row.patient_id,
        SourceType.SYMPTOM_REPORT,
        row.id,
        row.symptom,
        row.reported_at,
        symptom_value_text(row.symptom, graded) if graded else row.symptom.replace("_", " ").capitalize(),
        graded.grade if graded else None,
        symptom_holds(row.symptom, graded) if graded else (),
        holds_known=graded is not None,
    )


@dataclass
class History:
    """Per (patient, analyte or symptom) of a graded batch, in time order, the readings grading
    needs (see `history_read`), each with whether it met the patient's clinic's policy (None: not
    known)."""

    rows: dict[tuple[UUID, str], list[tuple[Reading, bool | None]]] = field(default_factory=lambda: defaultdict(list))

    def superseding(self, reading: Reading) -> Reading | None:
        """The first newer reading of the same analyte or symptom that did not meet the policy."""
        for later, meets in self.rows.get((reading.patient_id, reading.key), ()):
            if later.observed_at > reading.observed_at and meets is False:
                return later
        return None

    def latest(self) -> dict[tuple[UUID, str], Reading]:
        """The latest reading of each analyte or symptom that can hold a drug, whose holds are known."""
        found: dict[tuple[UUID, str], Reading] = {}
        for key, rows in self.rows.items():
            known = [reading for reading, _ in rows if reading.holds_known]
            if known and holdable(known[-1].source_type, key[1]):
                found[key] = known[-1]
        return found


#: What grading reads of each (patient, analyte or symptom) it graded, so that the work is bounded by
#: the batch, not by how long the patient has been logging (a batch read every reading from its
#: oldest on: the soak's grading pools grew with the data, bench/README "round 8"):
#: - the newest LATEST_ROWS, for the latest reading whose holds are known (holdable keys only);
#: - the first AFTER_ROWS after each reading that raised an alert, for the first newer one that no
#:   longer meets the policy (a superseded alert).
#: Either, when inconclusive (that many unknown in a row; that many still meeting the policy), is
#: followed by the pair's rows read whole: exact whatever the data, and rare.
LATEST_ROWS = 3
AFTER_ROWS = 32


R = TypeVar("R", LabResult, SymptomReport)

_LAB_FIELDS = ("id", "patient_id", "analyte", "value", "unit", "canonical_value", "grade", "collected_at")
_SYMPTOM_FIELDS = ("id", "patient_id", "symptom", "answers", "grade", "reported_at")


@dataclass(frozen=True)
class _Kind:
    model: type[LabResult] | type[SymptomReport]
    key: str  # the analyte's or symptom's column
    time: str  # the observation's column
    source_type: str
    fields: tuple[str, ...]


_LABS = _Kind(LabResult, "analyte", "collected_at", SourceType.LAB_RESULT, _LAB_FIELDS)
_SYMPTOMS = _Kind(SymptomReport, "symptom", "reported_at", SourceType.SYMPTOM_REPORT, _SYMPTOM_FIELDS)


def history_read(
    *,
    labs: Sequence[LabResult],
    symptoms: Sequence[SymptomReport],
    policy_of: Callable[[UUID], AlertPolicy],
    raised: Sequence[LabResult | SymptomReport] = (),
    writes_grades: bool = False,
) -> History:
    """What grading needs of the patients and analytes (symptoms) of `labs` and `symptoms`: the
    latest reading of each, and after each of `raised` (readings that raised an alert) the first
    that no longer met the policy. Graded already, so these rows are among them.

    `writes_grades` (PostgreSQL): each kind's statement also stores the grades of its `labs` or
    `symptoms` (an `UPDATE` in its WITH clause; graded_at was set by the claim). The statement reads
    the rows as they were before it, so those rows' grades are taken from here."""
    history = History()

    def lab_entry(row: LabResult) -> _Entry:
        rule = policy_of(row.patient_id).labs.get(row.analyte)
        meets = None if row.grade is None or rule is None else rule.alert.fires(row.grade, frozenset())
        return lab_reading(row), meets

    def symptom_entry(report: SymptomReport) -> _Entry:
        graded = _safely_graded(report)
        meets = None if graded is None else _meets(policy_of(report.patient_id), report.symptom, graded)
        return symptom_reading(report, graded), meets

    if labs:
        raised_labs = [r for r in raised if isinstance(r, LabResult)]
        history.rows.update(_entries(_LABS, labs, raised_labs, writes_grades, lab_entry))
    if symptoms:
        raised_symptoms = [r for r in raised if isinstance(r, SymptomReport)]
        history.rows.update(_entries(_SYMPTOMS, symptoms, raised_symptoms, writes_grades, symptom_entry))
    return history


_Pair = tuple[UUID, str]
_Entry = tuple[Reading, bool | None]
_After = tuple[UUID, str, datetime]


def _entries(
    kind: _Kind, graded: Sequence[R], raised: Sequence[R], writes_grades: bool, entry: Callable[[R], _Entry]
) -> dict[_Pair, list[_Entry]]:
    """`history_read`'s rows of one kind, per pair, in (time, id) order."""
    holding = sorted(
        {pair for pair in map(partial(_pair, kind), graded) if holdable(kind.source_type, pair[1])}, key=str
    )
    after = sorted({(*_pair(kind, r), getattr(r, kind.time)) for r in raised}, key=str)
    grades = {r.pk: r.grade for r in graded}
    if writes_grades:
        rows, windowed = _windows_writing(kind, holding, after, grades), True
    else:  # SQLite: every row of each pair from when it matters
        rows, windowed = _since(kind, graded, raised), False
    entries = _by_pair(kind, rows, grades, entry)
    whole = _inconclusive(entries, holding, after, windowed=windowed)
    if whole:  # rare: those pairs read whole (after the statement above, so their grades are stored)
        entries.update(_by_pair(kind, _pairs_read(kind, dict.fromkeys(whole)), grades, entry))
    return entries


def _pair(kind: _Kind, row: LabResult | SymptomReport) -> _Pair:
    return row.patient_id, getattr(row, kind.key)


def _by_pair(
    kind: _Kind, rows: Iterable[R], grades: dict[UUID, int | None], entry: Callable[[R], _Entry]
) -> dict[_Pair, list[_Entry]]:
    found: dict[_Pair, list[_Entry]] = defaultdict(list)
    for row in rows:
        if row.pk in grades:  # read as it was before the statement: its grade is the one just written
            row.grade = grades[row.pk]
        found[_pair(kind, row)].append(entry(row))
    return found


def _inconclusive(
    entries: dict[_Pair, list[_Entry]], holding: Sequence[_Pair], after: Sequence[_After], *, windowed: bool
) -> set[_Pair]:
    """Pairs whose rows read did not settle what grading asks of them. Windows: the newest
    LATEST_ROWS all of unknown holds, or the first AFTER_ROWS after a raised reading all still
    meeting the policy. Rows from a reading on (`_since`): no reading of known holds among them."""
    whole = set()
    for pair in holding:
        newest = entries.get(pair, [])[-LATEST_ROWS:]
        cut = len(newest) == LATEST_ROWS or not windowed  # older rows may hold the latest known
        if cut and not any(reading.holds_known for reading, _ in newest):
            whole.add(pair)
    for patient_id, key, at in after if windowed else ():
        later = [meets for reading, meets in entries.get((patient_id, key), []) if reading.observed_at > at]
        if len(later) >= AFTER_ROWS and False not in later[:AFTER_ROWS]:
            whole.add((patient_id, key))
    return whole


def _since(kind: _Kind, graded: Sequence[R], raised: Sequence[R]) -> list[R]:
    """(SQLite, in process) In one query, every row of each pair from its newest graded reading on
    (holdable keys: that reading's holds are known, so the latest known is among them) or from its
    oldest raised one on (everything after it)."""
    since: dict[_Pair, datetime] = {}
    for row in graded:  # holdable keys: from the newest graded reading on
        pair, at = _pair(kind, row), getattr(row, kind.time)
        if holdable(kind.source_type, pair[1]):
            since[pair] = max(since.get(pair, at), at)
    for row in raised:  # and from the oldest that raised an alert on
        pair, at = _pair(kind, row), getattr(row, kind.time)
        since[pair] = min(since.get(pair, at), at)
    return _pairs_read(kind, since)


def _pairs_read(kind: _Kind, since: Mapping[_Pair, datetime | None]) -> list[Any]:
    """In one query, the graded rows of each pair from its time on (None: all of them), in
    (time, id) order."""
    if not since:
        return []
    which = Q(pk__in=[])
    for (patient_id, key), at in sorted(since.items(), key=str):
        which |= Q(patient_id=patient_id, **{kind.key: key}, **({} if at is None else {f"{kind.time}__gte": at}))
    found = kind.model.objects.filter(which, graded_at__isnull=False).only(*kind.fields)
    return list(found.order_by(kind.time, "id"))


def _windows_query(
    kind: _Kind,
    patients: list[str],
    keys: list[str],
    after_patients: list[str],
    after_keys: list[str],
    after_at: list[datetime],
) -> QuerySet[Any]:
    """Both windows of every pair in one query (PostgreSQL): a LATERAL index scan of each, bounded by
    its LIMIT, so the cost follows the batch whatever the patients' histories."""
    quote = connection.ops.quote_name
    table, key, time = quote(kind.model._meta.db_table), quote(kind.key), quote(kind.time)
    window = (  # the table's and columns' names; values are bound
        f'CROSS JOIN LATERAL (SELECT "r"."id" FROM {table} "r" WHERE "r"."patient_id" = "w"."patient_id" '  # noqa: S608
        f'AND "r".{key} = "w"."key" AND "r"."graded_at" IS NOT NULL'
    )
    windows = RawSQL(  # noqa: S611 - the names above and the windows' sizes; values bound
        f'SELECT "h"."id" FROM unnest(%s::uuid[], %s::text[]) AS "w"("patient_id", "key") {window} '  # noqa: S608
        f'ORDER BY "r".{time} DESC, "r"."id" DESC LIMIT {LATEST_ROWS}) AS "h" UNION '
        f'SELECT "h"."id" FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[]) AS "w"("patient_id", "key", "at") '
        f'{window} AND "r".{time} > "w"."at" ORDER BY "r".{time}, "r"."id" LIMIT {AFTER_ROWS}) AS "h"',
        [patients, keys, after_patients, after_keys, after_at],
    )
    return kind.model.objects.filter(pk__in=windows).only(*kind.fields).order_by(kind.time, "id")


# Compiled once per connection, the pairs and times bound as arrays. Placeholders: no patient has
# this id, no analyte or symptom this name, no reading this time.
_NO_TIME = datetime(1901, 1, 1, 0, 0, 1, 7, tzinfo=UTC)
_WINDOWS = {
    kind.model: PreparedQuery(
        partial(_windows_query, kind),
        ["placeholder: patients"],
        ["placeholder: keys"],
        ["placeholder: raised patients"],
        ["placeholder: raised keys"],
        [_NO_TIME],
    )
    for kind in (_LABS, _SYMPTOMS)
}


def _windows_writing(
    kind: _Kind, holding: Sequence[_Pair], after: Sequence[_After], grades: dict[UUID, int | None]
) -> list[Any]:
    """The windows (PostgreSQL), read by the statement that also writes `grades`."""
    table = connection.ops.quote_name(kind.model._meta.db_table)
    write = (  # the table's name; values are bound
        f'WITH "graded" AS (UPDATE {table} SET "grade" = "g"."grade" FROM unnest(%s::uuid[], %s::smallint[]) '  # noqa: S608
        f'AS "g"("id", "grade") WHERE {table}."id" = "g"."id") '
    )
    return _WINDOWS[kind.model].run(
        [str(p) for p, _ in holding],
        [k for _, k in holding],
        [str(p) for p, _, _ in after],
        [k for _, k, _ in after],
        [at for _, _, at in after],
        with_sql=write,
        with_params=[[str(pk) for pk in grades], list(grades.values())],
    )


def _safely_graded(report: SymptomReport) -> SymptomGrade | None:
    try:
        return symptom_graded(report)
    except (KeyError, TypeError, ValueError, ArithmeticError):  # answers stored before a schema change
        return None


def _meets(policy: AlertPolicy, symptom: str, graded: SymptomGrade) -> bool:
    # A fever meets the policy whatever the ANC says (it is then fever or febrile neutropenia).
    return evaluate_symptom(policy, symptom, graded, latest_anc=None) is not None
