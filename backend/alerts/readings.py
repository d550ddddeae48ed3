"""A stored reading as alerts see it: its words ("Platelets 22 ×10⁹/L", the one unit style the
queue, the patient page and the API share), whether it meets a clinic's policy, and what the label
says it holds.

Grading reads, for the analytes and symptoms of what it graded, the patient's readings from the
oldest of them on (one query each for labs and symptoms), to tell a backlog reading (a newer
reading no longer meets the policy: the alert is superseded) and the latest reading of each (which
renews or lifts the label's holds of the patient's episodes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet
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
    """The readings from the oldest graded one on, per (patient, analyte or symptom), in time
    order, each with whether it met the patient's clinic's policy (None: not known)."""

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


def history_read(
    *,
    labs: Sequence[LabResult],
    symptoms: Sequence[SymptomReport],
    policy_of: Callable[[UUID], AlertPolicy],
    writes_grades: bool = False,
) -> History:
    """The graded readings of the patients and analytes (symptoms) of `labs` and `symptoms` from
    the oldest of them on; graded already, so these rows are among them.

    `writes_grades` (PostgreSQL): each statement also stores the grades of its `labs` or `symptoms`
    (an `UPDATE` in its WITH clause; graded_at was set by the claim), saving grading a round trip.
    The statement reads the rows as they were before it, so those rows' grades are taken from here."""
    history = History()
    if labs:
        which = ({r.patient_id for r in labs}, {r.analyte for r in labs}, min(r.collected_at for r in labs))
        lab_rows = _with_grades(_LAB_HISTORY, which, labs) if writes_grades else _lab_history(*which)
        for row in lab_rows:
            rule = policy_of(row.patient_id).labs.get(row.analyte)
            meets = None if row.grade is None or rule is None else rule.alert.fires(row.grade, frozenset())
            history.rows[(row.patient_id, row.analyte)].append((lab_reading(row), meets))
    if symptoms:
        which = ({r.patient_id for r in symptoms}, {r.symptom for r in symptoms}, min(r.reported_at for r in symptoms))
        symptom_rows = _with_grades(_SYMPTOM_HISTORY, which, symptoms) if writes_grades else _symptom_history(*which)
        for report in symptom_rows:
            graded = _safely_graded(report)
            meets = None if graded is None else _meets(policy_of(report.patient_id), report.symptom, graded)
            history.rows[(report.patient_id, report.symptom)].append((symptom_reading(report, graded), meets))
    return history


R = TypeVar("R", LabResult, SymptomReport)

# Whose readings, of which analytes (symptoms), from when on.
_Which = tuple[Iterable[UUID], Iterable[str], datetime]
_LAB_FIELDS = ("id", "patient_id", "analyte", "value", "unit", "canonical_value", "grade", "collected_at")
_SYMPTOM_FIELDS = ("id", "patient_id", "symptom", "answers", "grade", "reported_at")


def _lab_history(patients: Iterable[UUID], analytes: Iterable[str], since: datetime) -> QuerySet[LabResult]:
    return (
        LabResult.objects.filter(
            patient_id__in=patients, analyte__in=analytes, collected_at__gte=since, graded_at__isnull=False
        )
        .only(*_LAB_FIELDS)
        .order_by("collected_at")
    )


def _symptom_history(patients: Iterable[UUID], symptoms: Iterable[str], since: datetime) -> QuerySet[SymptomReport]:
    return (
        SymptomReport.objects.filter(
            patient_id__in=patients, symptom__in=symptoms, reported_at__gte=since, graded_at__isnull=False
        )
        .only(*_SYMPTOM_FIELDS)
        .order_by("reported_at")
    )


def _unnest(values: list[str], of: str) -> RawSQL:
    return RawSQL(f"SELECT unnest(%s::{of}[])", [values])  # noqa: S611 - the type's name; values bound


# The same queries with their patients and keys bound as arrays: one SQL text whatever their number,
# compiled once per connection (PostgreSQL; the ORM built and compiled it on every grading task).
# Placeholders: no patient has this id, no analyte or symptom this name, no reading this time.
_NO_PATIENTS, _NO_KEYS = ["placeholder: patients"], ["placeholder: keys"]
_NO_TIME = datetime(1901, 1, 1, 0, 0, 1, 7, tzinfo=UTC)
_LAB_HISTORY = PreparedQuery(
    lambda patients, analytes, since: _lab_history(_unnest(patients, "uuid"), _unnest(analytes, "text"), since),
    _NO_PATIENTS,
    _NO_KEYS,
    _NO_TIME,
)
_SYMPTOM_HISTORY = PreparedQuery(
    lambda patients, symptoms, since: _symptom_history(_unnest(patients, "uuid"), _unnest(symptoms, "text"), since),
    _NO_PATIENTS,
    _NO_KEYS,
    _NO_TIME,
)


def _with_grades(history: PreparedQuery[R], which: _Which, graded: Sequence[R]) -> list[R]:
    """The history of `which` (PostgreSQL), read by the statement that also writes the grades of
    `graded`."""
    table = connection.ops.quote_name(graded[0]._meta.db_table)
    write = (  # the table's name; values are bound
        f'WITH "graded" AS (UPDATE {table} SET "grade" = "g"."grade" FROM unnest(%s::uuid[], %s::smallint[]) '  # noqa: S608
        f'AS "g"("id", "grade") WHERE {table}."id" = "g"."id") '
    )
    grades = {r.pk: r.grade for r in graded}
    patients, keys, since = which
    found = history.run(
        [str(p) for p in patients],
        sorted(keys),
        since,
        with_sql=write,
        with_params=[list(grades), list(grades.values())],
    )
    for row in found:
        if row.pk in grades:  # read as it was before the statement: its grade is the one just written
            row.grade = grades[row.pk]
    return found


def _safely_graded(report: SymptomReport) -> SymptomGrade | None:
    try:
        return symptom_graded(report)
    except (KeyError, TypeError, ValueError, ArithmeticError):  # answers stored before a schema change
        return None


def _meets(policy: AlertPolicy, symptom: str, graded: SymptomGrade) -> bool:
    # A fever meets the policy whatever the ANC says (it is then fever or febrile neutropenia).
    return evaluate_symptom(policy, symptom, graded, latest_anc=None) is not None
