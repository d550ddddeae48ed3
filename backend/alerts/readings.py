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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet

from backend.alerts.episodes import Reading
from backend.alerts.models import SourceType
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
        lab_rows = (
            LabResult.objects.filter(
                patient_id__in={r.patient_id for r in labs},
                analyte__in={r.analyte for r in labs},
                collected_at__gte=min(r.collected_at for r in labs),
                graded_at__isnull=False,
            )
            .only("id", "patient_id", "analyte", "value", "unit", "canonical_value", "grade", "collected_at")
            .order_by("collected_at")
        )
        for row in _with_grades(lab_rows, labs) if writes_grades else lab_rows:
            rule = policy_of(row.patient_id).labs.get(row.analyte)
            meets = None if row.grade is None or rule is None else rule.alert.fires(row.grade, frozenset())
            history.rows[(row.patient_id, row.analyte)].append((lab_reading(row), meets))
    if symptoms:
        symptom_rows = (
            SymptomReport.objects.filter(
                patient_id__in={r.patient_id for r in symptoms},
                symptom__in={r.symptom for r in symptoms},
                reported_at__gte=min(r.reported_at for r in symptoms),
                graded_at__isnull=False,
            )
            .only("id", "patient_id", "symptom", "answers", "grade", "reported_at")
            .order_by("reported_at")
        )
        for report in _with_grades(symptom_rows, symptoms) if writes_grades else symptom_rows:
            graded = _safely_graded(report)
            meets = None if graded is None else _meets(policy_of(report.patient_id), report.symptom, graded)
            history.rows[(report.patient_id, report.symptom)].append((symptom_reading(report, graded), meets))
    return history


R = TypeVar("R", LabResult, SymptomReport)


def _with_grades(rows: QuerySet[R], graded: Sequence[R]) -> list[R]:
    """`rows`, read by the statement that also writes the grades of `graded` (PostgreSQL)."""
    table = connection.ops.quote_name(rows.model._meta.db_table)
    sql, params = rows.query.sql_with_params()
    write = (  # the table's name; values are bound
        f'WITH "graded" AS (UPDATE {table} SET "grade" = "g"."grade" FROM unnest(%s::uuid[], %s::smallint[]) '  # noqa: S608
        f'AS "g"("id", "grade") WHERE {table}."id" = "g"."id") '
    )
    grades = {r.pk: r.grade for r in graded}
    found = list(rows.model.objects.raw(write + sql, [list(grades), list(grades.values()), *params]))
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
