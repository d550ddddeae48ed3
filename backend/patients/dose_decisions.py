"""The care team's dose decisions: the patient's dose history, and the label's suggestion when a
hold ends (shared.dose_modification). The nurse decides; CareLoop records, audits, and the phone
shows the new dose from its next sync (the sync answer's `regimen`, services.regimen_today)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.events import regimen_changed
from backend.patients.models import DoseDecision, Patient
from shared import regimen
from shared.dose_modification import Suggestion, Toxicity, suggest_after_hold

Action = DoseDecision.Action
#: The drugs a decision may name, and the Patient field holding each one's current dose.
DOSE_FIELDS = {
    regimen.Drug.IXAZOMIB.value: "ixazomib_mg",
    regimen.Drug.LENALIDOMIDE.value: "lenalidomide_mg",
    regimen.Drug.DEXAMETHASONE.value: "dexamethasone_mg",
}
REDUCIBLE = (regimen.Drug.IXAZOMIB.value, regimen.Drug.LENALIDOMIDE.value)
MAX_DELAY_DAYS = 28
CHANGED_SINCE = "Another decision was recorded since you opened this page: check the dose history, then decide again."
TOXICITIES = tuple(t.value for t in Toxicity)


@dataclass(frozen=True)
class DecisionInput:
    action: str
    drug: str = ""
    toxicity: str = ""
    grade: int | None = None
    delay_days: int | None = None
    reason: str = ""
    suggested: str = ""
    subject: str = ""
    # How many decisions the nurse saw when she decided (the page's or a GET's count): a decision
    # recorded in between (a second click, a colleague) makes this one refused, not applied twice.
    seen: int | None = None


def _validate(data: DecisionInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.action not in Action.values:
        errors["action"] = [f"Must be one of: {', '.join(Action.values)}."]
    allowed = REDUCIBLE if data.action == Action.REDUCE else ("", *DOSE_FIELDS)
    if data.drug not in allowed:
        names = ", ".join(d or '"" (the whole regimen)' for d in allowed)
        errors["drug"] = [f"Must be one of: {names}."]
    if data.action == Action.DELAY_CYCLE:
        if data.drug:
            errors["drug"] = ["A cycle delay applies to the whole regimen: leave the drug empty."]
        if data.delay_days is None or not 1 <= data.delay_days <= MAX_DELAY_DAYS:
            errors["delay_days"] = [f"Must be a whole number of days, 1 to {MAX_DELAY_DAYS}."]
    elif data.delay_days is not None:
        errors["delay_days"] = ["Only a cycle delay has a number of days."]
    if data.toxicity not in ("", *TOXICITIES):
        errors["toxicity"] = [f"Must be one of: {', '.join(TOXICITIES)}, or empty."]
    if data.grade is not None and not 0 <= data.grade <= 4:
        errors["grade"] = ["Must be a CTCAE grade, 0 to 4."]
    for name, limit in (("reason", 500), ("suggested", 300), ("subject", 80)):
        if len(getattr(data, name)) > limit:
            errors[name] = [f"At most {limit} characters."]
    if errors:
        raise ApplicationError(errors)


@transaction.atomic
def dose_decision_record(
    *, patient: Patient, data: DecisionInput, decided_by: User, now: datetime | None = None
) -> list[DoseDecision]:
    """Record a decision and apply it to the patient's current doses in the same transaction; one
    row per drug it changes (a stop of the whole regimen is a row per drug still given).

    * resume_same: no dose changes (the hold ends at the dose in force);
    * reduce: ixazomib or lenalidomide one level down its ladder (refused at the lowest level:
      the label's next step is to stop, which the nurse records as such);
    * stop: the drug (or, with no drug, every IRd drug) goes to 0 mg; its reminders stop;
    * delay_cycle: day 1 of the cycle about to start (the next one on or after today, or the one
      already delayed) moves that many days later, and every later cycle with it
      (backend.patients.calendar); the reminders are re-planned.
    * hold: the drug (or, with no drug, every drug still given) is on hold at its dose
      (Patient.held_drugs): its reminders say so, until a resume, reduction or stop of it.
    Audited; the phone sees the new doses from its next sync."""
    _validate(data)
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if data.seen is not None and DoseDecision.objects.filter(patient=locked).count() != data.seen:
        raise ApplicationError({"seen": [CHANGED_SINCE]}, status=409)
    effective_on = now.astimezone(ZoneInfo(locked.timezone)).date()
    changes: list[tuple[str, Decimal | None, Decimal | None]] = []  # drug, from, to
    if data.action == Action.REDUCE:
        current = getattr(locked, DOSE_FIELDS[data.drug])
        if current == 0:
            raise ApplicationError({"drug": [f"{data.drug} is stopped; there is no dose to reduce."]})
        try:
            lower = regimen.next_lower_dose(regimen.Drug(data.drug), current)
        except ValueError as exc:  # a dose set outside the ladder (e.g. by hand): say so, never a 500
            raise ApplicationError({"drug": [f"{data.drug} {_mg(current)} mg is not a dose level."]}) from exc
        if lower is None:
            message = f"{data.drug} {_mg(current)} mg is the lowest dose level: the label's next step is to stop."
            raise ApplicationError({"action": [message]})
        changes.append((data.drug, current, lower))
    elif data.action == Action.STOP:
        for drug, field in DOSE_FIELDS.items():
            if data.drug in ("", drug) and getattr(locked, field) != 0:
                changes.append((drug, getattr(locked, field), Decimal(0)))
        if not changes:
            raise ApplicationError({"drug": ["Already stopped."]})
    elif data.action == Action.HOLD:
        # Every drug named (none: the whole regimen) that is still given and not already on hold.
        for drug, field in DOSE_FIELDS.items():
            if data.drug in ("", drug) and getattr(locked, field) != 0 and drug not in locked.held_drugs:
                changes.append((drug, getattr(locked, field), getattr(locked, field)))
        if not changes:
            stopped = data.drug and getattr(locked, DOSE_FIELDS[data.drug]) == 0
            raise ApplicationError({"drug": ["Stopped: there is nothing to hold." if stopped else "Already on hold."]})
    elif data.drug:
        current = getattr(locked, DOSE_FIELDS[data.drug])
        changes.append((data.drug, current, current))
    else:
        changes.append(("", None, None))
    rows = [
        DoseDecision(
            patient=locked,
            action=data.action,
            drug=drug,
            from_mg=from_mg,
            to_mg=to_mg,
            delay_days=data.delay_days,
            toxicity=data.toxicity,
            grade=data.grade,
            reason=data.reason,
            suggested=data.suggested,
            subject=data.subject,
            decided_by=decided_by,
            decided_at=now,
            effective_on=effective_on,
        )
        for drug, from_mg, to_mg in changes
    ]
    DoseDecision.objects.bulk_create(rows)
    changed = [DOSE_FIELDS[drug] for drug, from_mg, to_mg in changes if drug and from_mg != to_mg]
    for drug, from_mg, to_mg in changes:
        if drug and from_mg != to_mg:
            setattr(locked, DOSE_FIELDS[drug], to_mg)
    held = _held_after(locked.held_drugs, data, [drug for drug, _, _ in changes])
    if held != locked.held_drugs:
        locked.held_drugs = held
        changed.append("held_drugs")
    if changed:
        locked.save(update_fields=changed)
    if changed or data.action == Action.DELAY_CYCLE:
        # Reminders: a stopped drug's stop; a delayed cycle's dose and draw days move.
        regimen_changed.send(sender=Patient, patient=locked, now=now)
    audit_record(
        actor=decided_by,
        action="create",
        resource="dose_decision",
        patient_ids=[locked.pk],
        object_id=",".join(str(r.pk) for r in rows),
        detail="; ".join(f"{data.action} {d or 'regimen'} {_mg(f)}->{_mg(t)}" for d, f, t in changes),
    )
    for field in changed:
        setattr(patient, field, getattr(locked, field))
    return rows


def _held_after(held: list[str], data: DecisionInput, drugs: list[str]) -> list[str]:
    """The drugs on hold after the decision: a hold adds its drugs; a resume, a reduction or a stop
    of a drug (or of the whole regimen) ends its hold; a cycle delay leaves holds as they are."""
    if data.action == Action.HOLD:
        return [d for d in DOSE_FIELDS if d in held or d in drugs]
    if data.action == Action.DELAY_CYCLE:
        return list(held)
    return [d for d in held if data.drug and d != data.drug]


def dose_history(patient: Patient) -> list[DoseDecision]:
    return list(DoseDecision.objects.filter(patient=patient).select_related("decided_by").order_by("decided_at", "pk"))


def last_reduced_for(history: list[DoseDecision], toxicity: Toxicity) -> regimen.Drug | None:
    """The drug reduced the last time this toxicity (or, for the overlapping ones, any of them)
    led to a reduction: the label alternates from there."""
    from shared.dose_modification import OVERLAPPING

    group = OVERLAPPING if toxicity in OVERLAPPING else frozenset({toxicity})
    for decision in reversed(history):
        if decision.action == Action.REDUCE and decision.toxicity in group and decision.drug in REDUCIBLE:
            return regimen.Drug(decision.drug)
    return None


#: The rows the patient page shows: the hold's cause, the grade and pain that pick the table's row.
SUGGESTION_ROWS: tuple[tuple[str, Toxicity, int, bool], ...] = (
    ("Platelets < 30 ×10⁹/L, recovered", Toxicity.THROMBOCYTOPENIA, 4, False),
    ("ANC < 0.5 ×10⁹/L, recovered", Toxicity.NEUTROPENIA, 4, False),
    ("Rash grade 2-3, now ≤ grade 1", Toxicity.RASH, 3, False),
    ("Neuropathy grade 1 with pain or grade 2", Toxicity.NEUROPATHY, 2, False),
    ("Neuropathy grade 2 with pain or grade 3", Toxicity.NEUROPATHY, 3, False),
    ("Other non-hematologic grade 3-4", Toxicity.OTHER, 3, False),
)


def suggestions_for(patient: Patient, history: list[DoseDecision]) -> list[tuple[str, Toxicity, Suggestion]]:
    """The label's next doses for each kind of hold, from the patient's current doses and history.
    Empty when a reducible drug is stopped (the table no longer applies as written)."""
    if patient.ixazomib_mg == 0 or patient.lenalidomide_mg == 0:
        return []
    found = []
    for label, toxicity, grade, painful in SUGGESTION_ROWS:
        try:
            s = suggest_after_hold(
                toxicity=toxicity,
                grade=grade,
                painful=painful,
                ixazomib_mg=patient.ixazomib_mg,
                lenalidomide_mg=patient.lenalidomide_mg,
                last_reduced=last_reduced_for(history, toxicity),
            )
        except ValueError:  # a dose outside the ladder: the table says nothing about it
            return []
        found.append((label, toxicity, s))
    return found


def dose_on(history: list[DoseDecision], drug: str, current_mg: Decimal, day: date) -> Decimal:
    """The dose of `drug` in force on `day`: the first decision's `from_mg` before it, each
    decision's `to_mg` from its `effective_on`; with no decision, the current dose."""
    relevant = [d for d in history if d.drug == drug and d.from_mg is not None]
    if not relevant:
        return current_mg
    dose = relevant[0].from_mg
    for decision in relevant:
        if decision.effective_on > day:
            break
        dose = decision.to_mg
    assert dose is not None
    return dose


def _mg(dose: Decimal | None) -> str:
    return "-" if dose is None else format(dose.normalize(), "f")
