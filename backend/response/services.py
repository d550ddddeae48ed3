"""Store marker results (contract §5): checked one by one, stored in one transaction, idempotent by
the client's id, and handed to the recompute once committed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Clinic, User
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.patients.models import Patient
from backend.response.dispatch import recompute_enqueue_on_commit
from backend.response.events import test_interval_changed
from backend.response.models import SERUM_THRESHOLDS, ClinicResponseSettings, EnteredBy, MarkerResult
from shared.markers import MarkerItem, parse_marker_item
from shared.response_tests import EVERY_CYCLES_CHOICES
from shared.sync_schema import MAX_ITEMS_PER_SYNC, ItemError

ID_REUSED = "This id was already used for a different entry: make a new id for a new entry."
SECTION = "marker_results"


@dataclass
class MarkerIngest:
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    new_ids: list[UUID] = field(default_factory=list)


def _row(item: MarkerItem, patient: Patient, entered_by: str, user: User | None, now: datetime) -> MarkerResult:
    v = item.value
    return MarkerResult(
        id=item.id,
        patient_id=patient.pk,
        fingerprint=item.fingerprint(),
        marker=v.marker.key,
        value=v.value,
        unit=v.unit.key if v.unit else "",
        canonical_value=v.canonical,
        text=v.text or "",
        method=v.method or "",
        sensitivity=v.sensitivity or "",
        reference_low=v.reference_low,
        reference_high=v.reference_high,
        collected_at=item.collected_at,
        received_at=now,
        entered_by=entered_by,
        entered_by_user=user,
    )


def _store(
    items: Sequence[tuple[str, MarkerItem]], patient: Patient, entered_by: str, user: User | None, now: datetime
) -> tuple[list[UUID], dict[str, list[str]]]:
    """Insert the new ones; return the ids inserted and, per id as sent, why an item is refused
    (an id stored before with other content or for another patient). Call inside a transaction."""
    firsts: dict[UUID, MarkerItem] = {}
    for _, item in items:
        firsts.setdefault(item.id, item)
    before = set(MarkerResult.objects.filter(id__in=list(firsts)).values_list("id", flat=True))
    fresh = [_row(i, patient, entered_by, user, now) for key, i in sorted(firsts.items()) if key not in before]
    MarkerResult.objects.bulk_create(fresh, ignore_conflicts=True)
    stored = dict(
        (row_id, (digest, owner))
        for row_id, digest, owner in MarkerResult.objects.filter(id__in=list(firsts)).values_list(
            "id", "fingerprint", "patient_id"
        )
    )
    refused = {sent: [ID_REUSED] for sent, item in items if stored.get(item.id) != (item.fingerprint(), patient.pk)}
    new = [row.id for row in fresh if stored.get(row.id) == (row.fingerprint, patient.pk)]
    return new, refused


def markers_record(*, patient: Patient, body: object, user: User, now: datetime) -> tuple[list[str], list[UUID]]:
    """The care team's markers: one item or a list. All or nothing: any bad item answers 400 with
    its errors (for a list, one entry per item, `{}` for the good ones) and nothing is stored."""
    single = isinstance(body, Mapping)
    raw_items = [body] if single else body
    if not isinstance(raw_items, list) or not raw_items:
        raise ApplicationError({"non_field_errors": ["Send one marker item or a non-empty list of them."]})
    if len(raw_items) > MAX_ITEMS_PER_SYNC:
        raise ApplicationError({"non_field_errors": [f"At most {MAX_ITEMS_PER_SYNC} items at once."]})
    parsed: list[tuple[str, MarkerItem] | None] = []
    errors: list[dict[str, list[str]]] = []
    for raw in raw_items:
        try:
            item = parse_marker_item(raw, now=now)
        except ItemError as exc:
            parsed.append(None)
            errors.append(exc.errors)
            continue
        parsed.append((cast(Mapping[str, str], raw)["id"], item))
        errors.append({})
    good = [p for p in parsed if p is not None]
    if len(good) == len(parsed):
        with transaction.atomic():
            new, refused = _store(good, patient, EnteredBy.CARE_TEAM, user, now)
            if refused:
                transaction.set_rollback(True)
            else:
                recompute_enqueue_on_commit(patient_ids=[patient.pk] if new else [])
                audit_record(
                    actor=user,
                    action="create",
                    resource="marker_result",
                    patient_ids=[patient.pk],
                    detail=f"{len(new)} new of {len(good)}",
                )
                return [sent for sent, _ in good], new
        errors = [{"id": refused[sent]} if sent in refused else {} for sent, _ in good]
    if single:
        raise ApplicationError(errors[0])
    raise _ItemsError(errors)


class _ItemsError(ApplicationError):
    """400 with `{"errors": [per item]}` (contract §2: "or a list per item")."""

    def __init__(self, errors: list[dict[str, list[str]]]) -> None:
        super().__init__({str(i): e for i, e in enumerate(errors) if e})
        self.errors = errors  # type: ignore[assignment]


def markers_sync_ingest(*, patient: Patient, raw_items: Sequence[object], now: datetime) -> MarkerIngest:
    """The phone's sync section `marker_results`: each bad item rejected alone (contract §3)."""
    result = MarkerIngest()
    good: list[tuple[str, MarkerItem]] = []
    for raw in raw_items:
        try:
            item = parse_marker_item(raw, now=now)
        except ItemError as exc:
            result.rejected.append({"id": exc.item_id, "section": SECTION, "errors": exc.errors})
            continue
        good.append((cast(Mapping[str, str], raw)["id"], item))
    if not good:
        return result
    with transaction.atomic():
        new, refused = _store(good, patient, EnteredBy.PATIENT, patient.user, now)
        recompute_enqueue_on_commit(patient_ids=[patient.pk] if new else [])
    for sent, _ in good:
        if sent in refused:
            result.rejected.append({"id": sent, "section": SECTION, "errors": {"id": refused[sent]}})
        else:
            result.accepted.append(sent)
    result.new_ids = new
    return result


def response_settings_for(clinic_id: int) -> ClinicResponseSettings:
    found = ClinicResponseSettings.objects.filter(clinic_id=clinic_id).first()
    return found or ClinicResponseSettings(clinic_id=clinic_id)


def response_settings_update(
    *, clinic: Clinic, user: User, serum_measurable: object = None, test_every_cycles: object = None
) -> ClinicResponseSettings:
    """Change the serum threshold (1.0 or 0.5 g/dL) and/or the responders' test interval (1-3
    cycles); the fields left out keep their value. Audited; a new threshold recomputes every patient."""
    errors: dict[str, list[str]] = {}
    wanted: Decimal | None = None
    if serum_measurable is not None:
        try:
            wanted = Decimal(str(serum_measurable)) if not isinstance(serum_measurable, bool) else None
        except ArithmeticError:
            wanted = None
        if wanted not in [value for value, _ in SERUM_THRESHOLDS]:
            errors["serum_measurable"] = ["Must be 1.0 or 0.5 (g/dL)."]
    every: int | None = None
    if test_every_cycles is not None:
        if type(test_every_cycles) is int and test_every_cycles in EVERY_CYCLES_CHOICES:
            every = test_every_cycles
        else:
            errors["test_every_cycles"] = ["Must be 1, 2 or 3 (cycles)."]
    if serum_measurable is None and test_every_cycles is None:
        errors["non_field_errors"] = ["Send serum_measurable and/or test_every_cycles."]
    if errors:
        raise ApplicationError(errors)
    with transaction.atomic():
        current = response_settings_for(clinic.pk)
        before = (current.serum_measurable, current.test_every_cycles)
        current.serum_measurable = wanted if wanted is not None else current.serum_measurable
        current.test_every_cycles = every if every is not None else current.test_every_cycles
        current.updated_by = user
        current.save()
        audit_record(
            actor=user,
            action="update",
            resource="clinic_response_settings",
            patient_ids=[None],
            object_id=str(clinic.pk),
            detail=f"serum_measurable {before[0]} -> {current.serum_measurable}; "
            f"test_every_cycles {before[1]} -> {current.test_every_cycles}",
        )
        if before[1] != current.test_every_cycles:
            test_interval_changed.send(sender=ClinicResponseSettings, clinic_id=clinic.pk, now=timezone.now())
        if before[0] != current.serum_measurable:
            ids = list(Patient.objects.filter(clinic_id=clinic.pk).values_list("pk", flat=True))
            recompute_enqueue_on_commit(patient_ids=ids)
    return current
