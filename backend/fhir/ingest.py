"""`POST /fhir/` (contract §6): a `transaction` or `batch` Bundle of laboratory Observations, as a
clinic's lab system sends them.

Each entry becomes the same lab item a phone syncs (shared.sync_schema) and goes through the very
path of a sync: backend.records.services.sync_ingest stores it ungraded and
backend.alerts.dispatch.grading_enqueue_on_commit hands it to the grading task once the
transaction commits, so a lab-feed result is graded and alerted exactly as a synced one. Its
source is stored with it (LabResult.source "lab_feed", passed to sync_ingest for the whole
batch, no query more) and written to the audit trail ("lab feed"). A response
marker (serum M-protein, a free light chain: contract §6's LOINC codes) is stored as the care
team's markers are (backend.response.services.markers_record: its response recomputed once the
transaction commits).

The Observation's `identifier` names the result: CareLoop's id for it is a UUID made from the
clinic and the identifier (or the identifier itself, when it is a `urn:uuid:`). The same identifier
again is a conditional create that matches: `200 OK`, nothing stored or changed.

`transaction`: all or nothing: any invalid entry and nothing is stored; the answer is one
OperationOutcome naming each bad entry and element. `batch`: each entry on its own (FHIR R4
RESTful API, "Batch/Transaction"), an invalid one answered in its own `response.outcome`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from backend.accounts.models import User
from backend.alerts.dispatch import grading_enqueue_on_commit
from backend.audit.services import audit_record
from backend.core.errors import ApplicationError
from backend.fhir.codes import ANALYTE_BY_LOINC, LOINC, MARKER_LOINC, MARKER_UNIT_BY_UCUM, UCUM, UNIT_BY_UCUM, URN
from backend.fhir.http import FhirError
from backend.fhir.resources.base import Json, instant
from backend.fhir.resources.bundle import response_bundle
from backend.fhir.resources.operation_outcome import Issue, operation_outcome
from backend.fhir.selectors import fhir_patients
from backend.records.models import LabResult, LabSource
from backend.records.services import sync_ingest
from backend.response.models import MarkerResult
from backend.response.services import markers_record
from shared.markers import parse_marker_item
from shared.sync_schema import MAX_ITEMS_PER_SYNC, ItemError, parse_lab_item

LAB_FEED = "lab feed"
ACCEPTED_STATUSES = ("final", "amended", "corrected")
# CareLoop's ids of lab-feed results: uuid5 of the clinic and the lab's identifier in this namespace.
IDENTIFIER_NAMESPACE = uuid.UUID("6f1c3c52-3f0e-4b8e-9c55-2a3f1d7f0b11")
# A sync item's fields, and where they came from in the Observation.
_FIELD_PATHS = {
    "id": "identifier",
    "analyte": "code",
    "value": "valueQuantity.value",
    "unit": "valueQuantity.code",
    "collected_at": "effectiveDateTime",
    "reference_low": "referenceRange[0].low.value",
    "reference_high": "referenceRange[0].high.value",
}
_STATUS_TEXT = {
    200: "200 OK",
    201: "201 Created",
    400: "400 Bad Request",
    404: "404 Not Found",
    409: "409 Conflict",
    422: "422 Unprocessable Entity",
}


@dataclass
class _Refusal:
    status: int
    issues: list[Issue]


@dataclass
class _Entry:
    index: int
    patient_ref: str
    identifier: tuple[str, str]  # (system, value)
    item: dict[str, Any]  # the sync lab item, without its id until the clinic is known
    fingerprint: str = ""  # of its content (shared.sync_schema), to tell a resend from a correction
    row_id: uuid.UUID | None = None
    refusal: _Refusal | None = None
    status: int = 0  # 201 stored now, 200 stored before
    issues: list[Issue] = field(default_factory=list)
    marker: bool = False  # a response marker (backend.response), not a lab result


def bundle_ingest(*, user: User, body: object, now: datetime) -> Json:
    entries_raw, kind = _bundle_entries(body)
    entries = [_parse_entry(i, raw, now) for i, raw in enumerate(entries_raw)]
    _resolve_patients(user, entries)
    _match_identifiers(user, entries)
    if kind == "transaction":
        bad = [e for e in entries if e.refusal is not None]
        if bad:
            first = bad[0].refusal
            assert first is not None
            raise FhirError(first.status, [issue for e in bad if e.refusal for issue in e.refusal.issues])
        with transaction.atomic():  # the audit commits with what it records
            _store(user, [e for e in entries if e.status == 0], all_or_nothing=True, now=now)
            _audit(user, entries, kind)
    else:
        _store(user, [e for e in entries if e.refusal is None and e.status == 0], all_or_nothing=False, now=now)
        _audit(user, entries, kind)
    return response_bundle(f"{kind}-response", [_response(e, now) for e in entries])


def _bundle_entries(body: object) -> tuple[Sequence[object], str]:
    if not isinstance(body, Mapping) or body.get("resourceType") != "Bundle":
        raise FhirError(400, [Issue("structure", "The body must be a FHIR Bundle.", "Bundle")])
    kind = body.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError(400, [Issue("not-supported", "Bundle.type must be transaction or batch.", "Bundle.type")])
    entries = body.get("entry", [])
    if not isinstance(entries, list):
        raise FhirError(400, [Issue("structure", "Bundle.entry must be a list.", "Bundle.entry")])
    if len(entries) > MAX_ITEMS_PER_SYNC:
        raise FhirError(400, [Issue("too-costly", f"At most {MAX_ITEMS_PER_SYNC} entries per Bundle.", "Bundle.entry")])
    return entries, str(kind)


class _Bad(Exception):
    def __init__(self, status: int, code: str, text: str, path: str) -> None:
        super().__init__(text)
        self.refusal = _Refusal(status, [Issue(code, text, path)])


def _parse_entry(index: int, raw: object, now: datetime) -> _Entry:
    at = f"Bundle.entry[{index}]"
    try:
        return _entry_of(index, raw, now, at)
    except _Bad as bad:
        entry = _Entry(index, "", ("", ""), {})
        entry.refusal = bad.refusal
        return entry


def _get(node: object, key: str, path: str, kind: type | tuple[type, ...] = dict, required: bool = True) -> Any:
    value = node.get(key) if isinstance(node, Mapping) else None
    if value is None:
        if required:
            raise _Bad(400, "required", f"{path}.{key} is required.", f"{path}.{key}")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _Bad(400, "structure", f"{path}.{key} has the wrong type.", f"{path}.{key}")
    return value


def _entry_of(index: int, raw: object, now: datetime, at: str) -> _Entry:
    if not isinstance(raw, Mapping):
        raise _Bad(400, "structure", f"{at} must be an object.", at)
    # FHIR requires `request` in a transaction or batch (bdl-3); without one, a POST is what a lab
    # feed means, and any other request is refused.
    request = _get(raw, "request", at, required=False) or {"method": "POST", "url": "Observation"}
    method = _get(request, "method", f"{at}.request", str)
    url = _get(request, "url", f"{at}.request", str)
    if method != "POST" or url.strip("/") != "Observation":
        raise _Bad(400, "not-supported", "Only POST Observation entries are accepted.", f"{at}.request")
    res = f"{at}.resource"
    resource = _get(raw, "resource", at)
    if resource.get("resourceType") != "Observation":
        raise _Bad(400, "not-supported", "Only Observation resources are accepted.", f"{res}.resourceType")
    status = _get(resource, "status", res, str)
    if status not in ACCEPTED_STATUSES:
        raise _Bad(
            422, "business-rule", f"Observation.status must be one of {', '.join(ACCEPTED_STATUSES)}.", f"{res}.status"
        )
    marker = _marker(resource, res)
    if marker is not None:
        return _marker_entry(index, resource, res, marker, now)
    analyte = _analyte(resource, res)
    subject = _get(_get(resource, "subject", res), "reference", f"{res}.subject", str)
    identifier = _identifier(resource, res)
    quantity = _get(resource, "valueQuantity", res)
    value = _get(quantity, "value", f"{res}.valueQuantity", (int, float))
    if quantity.get("comparator") is not None:  # "<0.1" is not 0.1: it cannot be graded as one
        text = "A value with a comparator cannot be graded: send the measured value."
        raise _Bad(422, "business-rule", text, f"{res}.valueQuantity.comparator")
    unit = _unit(quantity, f"{res}.valueQuantity", analyte)
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),  # a stand-in for the check below; the real id needs the clinic
        "analyte": analyte.key,
        "value": value,
        "unit": unit,
        "collected_at": _get(resource, "effectiveDateTime", res, str),
    }
    ranges = _get(resource, "referenceRange", res, list, required=False)
    if ranges:
        if not isinstance(ranges[0], Mapping):
            raise _Bad(400, "structure", "A referenceRange must be an object.", f"{res}.referenceRange[0]")
        for end in ("low", "high"):
            bound = _get(ranges[0], end, f"{res}.referenceRange[0]", required=False)
            if bound is not None:
                where = f"{res}.referenceRange[0].{end}"
                if bound.get("code") is not None and _unit(bound, where, analyte) != unit:
                    raise _Bad(422, "business-rule", "The range must be in the value's unit.", f"{where}.code")
                item[f"reference_{end}"] = _get(bound, "value", where, (int, float))
    try:  # the sync's own checks: plausible value, unit mix-ups, time not in the future, ...
        parsed = parse_lab_item(item, now=now)
    except ItemError as exc:
        name, reasons = next(iter(exc.errors.items()))
        raise _Bad(422, "business-rule", " ".join(reasons), f"{res}.{_FIELD_PATHS.get(name, name)}") from None
    return _Entry(index, subject, identifier, item, parsed.fingerprint())


def _analyte(resource: Mapping[str, Any], res: str) -> Any:
    codings = _get(_get(resource, "code", res), "coding", f"{res}.code", list)
    loinc = [c.get("code") for c in codings if isinstance(c, Mapping) and c.get("system") == LOINC]
    for code in loinc:
        if code in ANALYTE_BY_LOINC:
            return ANALYTE_BY_LOINC[code]
    known = ", ".join(sorted([*ANALYTE_BY_LOINC, *MARKER_LOINC]))
    raise _Bad(422, "code-invalid", f"No LOINC code CareLoop accepts ({known}).", f"{res}.code.coding")


def _marker(resource: Mapping[str, Any], res: str) -> str | None:
    """The response marker this Observation's LOINC code names, if it names one."""
    codings = _get(_get(resource, "code", res), "coding", f"{res}.code", list)
    loinc = [c.get("code") for c in codings if isinstance(c, Mapping) and c.get("system") == LOINC]
    return next((MARKER_LOINC[code] for code in loinc if code in MARKER_LOINC), None)


def _marker_entry(index: int, resource: Mapping[str, Any], res: str, marker: str, now: datetime) -> _Entry:
    """A response marker's entry: checked as a marker item of contract §5 (shared.markers)."""
    subject = _get(_get(resource, "subject", res), "reference", f"{res}.subject", str)
    identifier = _identifier(resource, res)
    quantity = _get(resource, "valueQuantity", res)
    value = _get(quantity, "value", f"{res}.valueQuantity", (int, float))
    if quantity.get("comparator") is not None:
        text = "A value with a comparator cannot be assessed: send the measured value."
        raise _Bad(422, "business-rule", text, f"{res}.valueQuantity.comparator")
    if quantity.get("system") != UCUM:
        raise _Bad(400, "required", f"{res}.valueQuantity.system must be {UCUM}.", f"{res}.valueQuantity.system")
    code = _get(quantity, "code", f"{res}.valueQuantity", str)
    unit = MARKER_UNIT_BY_UCUM.get(code)
    if unit is None:
        fits = ", ".join(MARKER_UNIT_BY_UCUM)
        raise _Bad(
            422, "code-invalid", f"UCUM {code!r} is not a unit of this marker ({fits}).", f"{res}.valueQuantity.code"
        )
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),  # a stand-in for the check below; the real id needs the clinic
        "marker": marker,
        "value": value,
        "unit": unit,
        "collected_at": _get(resource, "effectiveDateTime", res, str),
    }
    try:
        parsed = parse_marker_item(item, now=now)
    except ItemError as exc:
        name, reasons = next(iter(exc.errors.items()))
        path = {"marker": "code"}.get(name, _FIELD_PATHS.get(name, name))
        raise _Bad(422, "business-rule", " ".join(reasons), f"{res}.{path}") from None
    return _Entry(index, subject, identifier, item, parsed.fingerprint(), marker=True)


def _unit(quantity: Mapping[str, Any], where: str, analyte: Any) -> str:
    if quantity.get("system") != UCUM:
        raise _Bad(400, "required", f"{where}.system must be {UCUM}.", f"{where}.system")
    code = _get(quantity, "code", where, str)
    key = UNIT_BY_UCUM.get(code)
    if key is None or analyte.unit(key) is None:
        fits = ", ".join(ucum for ucum, k in UNIT_BY_UCUM.items() if analyte.unit(k) is not None)
        raise _Bad(422, "code-invalid", f"UCUM {code!r} is not a unit of {analyte.name} ({fits}).", f"{where}.code")
    return key


def _identifier(resource: Mapping[str, Any], res: str) -> tuple[str, str]:
    identifiers = _get(resource, "identifier", res, list)
    for ident in identifiers:
        if isinstance(ident, Mapping) and isinstance(ident.get("value"), str) and ident["value"].strip():
            system = ident.get("system")
            return (system if isinstance(system, str) else "", ident["value"])
    raise _Bad(400, "required", "An identifier with a value is required.", f"{res}.identifier")


def _resolve_patients(user: User, entries: list[_Entry]) -> None:
    """Each entry's patient, of the caller's clinic; any other reference is not found (404)."""
    wanted: dict[str, uuid.UUID] = {}
    for entry in entries:
        ref = entry.patient_ref
        if entry.refusal is None and ref.startswith("Patient/"):
            try:
                wanted[ref] = uuid.UUID(ref.removeprefix("Patient/"))
            except ValueError:
                pass
    found = set(fhir_patients(user).filter(pk__in=set(wanted.values())).values_list("pk", flat=True))
    for entry in entries:
        if entry.refusal is None and wanted.get(entry.patient_ref) not in found:
            text = f"No patient {entry.patient_ref!r} in your clinic."
            entry.refusal = _Refusal(404, [Issue("not-found", text, f"Bundle.entry[{entry.index}].resource.subject")])


def _match_identifiers(user: User, entries: list[_Entry]) -> None:
    """CareLoop's id for each result; a result stored before is matched (200, nothing changes)."""
    seen: dict[uuid.UUID, int] = {}
    for entry in entries:
        if entry.refusal is not None:
            continue
        system, value = entry.identifier
        row_id = _row_id(user, system, value)
        entry.row_id = row_id
        entry.item["id"] = str(row_id)
        if row_id in seen:
            text = f"The same identifier as Bundle.entry[{seen[row_id]}]."
            entry.refusal = _Refusal(
                400, [Issue("duplicate", text, f"Bundle.entry[{entry.index}].resource.identifier")]
            )
        seen.setdefault(row_id, entry.index)
    live = [e for e in entries if e.refusal is None]
    labs = LabResult.objects.filter(id__in=[e.row_id for e in live if not e.marker])
    markers = MarkerResult.objects.filter(id__in=[e.row_id for e in live if e.marker])
    stored = {
        row_id: (owner, digest)
        for rows in (labs, markers)
        for row_id, owner, digest in rows.values_list("id", "patient_id", "fingerprint")
    }
    for entry in live:
        owner, digest = stored.get(entry.row_id, (None, ""))  # type: ignore[arg-type]
        if owner is None:
            continue
        if f"Patient/{owner}" == entry.patient_ref:
            entry.status = 200
            if digest != entry.fingerprint:
                text = "A result with this identifier is stored with other content; it was not changed."
                where = f"Bundle.entry[{entry.index}].resource"
                entry.issues.append(Issue("business-rule", text, where, severity="warning"))
        else:
            text = "This identifier already names another patient's result."
            entry.refusal = _Refusal(409, [Issue("conflict", text, f"Bundle.entry[{entry.index}].resource.identifier")])


def _row_id(user: User, system: str, value: str) -> uuid.UUID:
    if system == URN and value.startswith("urn:uuid:"):
        try:
            return uuid.UUID(value.removeprefix("urn:uuid:"))
        except ValueError:
            pass
    return uuid.uuid5(IDENTIFIER_NAMESPACE, f"{user.clinic_id}\n{system}\n{value}")


def _store(user: User, entries: list[_Entry], *, all_or_nothing: bool, now: datetime) -> None:
    """Through the sync's own path, one sync_ingest per patient; grading queued on commit."""
    by_patient: dict[str, list[_Entry]] = defaultdict(list)
    for entry in entries:
        by_patient[entry.patient_ref].append(entry)
    patients = {
        f"Patient/{p.pk}": p
        for p in fhir_patients(user).filter(pk__in=[ref.removeprefix("Patient/") for ref in by_patient])
    }
    for ref, everything in by_patient.items():
        patient = patients[ref]
        _store_markers(user, patient, [e for e in everything if e.marker], all_or_nothing=all_or_nothing, now=now)
        group = [e for e in everything if not e.marker]
        if not group:
            continue
        result = sync_ingest(
            patient=patient,
            sections={"lab_results": [e.item for e in group]},
            now=now,
            lab_source=LabSource.LAB_FEED,
        )
        rejected = {r["id"]: r for r in result.rejected}
        new = {str(i) for i in result.new_lab_ids}
        for entry in group:
            row = str(entry.row_id)
            if row in rejected:
                text = "Not stored: " + "; ".join(" ".join(v) for v in rejected[row]["errors"].values())
                issue = Issue("conflict", text, f"Bundle.entry[{entry.index}].resource.identifier")
                if all_or_nothing:
                    raise FhirError(409, [issue])  # rolls the transaction back
                entry.refusal = _Refusal(409, [issue])
            else:
                entry.status = 201 if row in new else 200
        grading_enqueue_on_commit(lab_ids=result.new_lab_ids, symptom_ids=[])


def _store_markers(user: User, patient: Any, entries: list[_Entry], *, all_or_nothing: bool, now: datetime) -> None:
    """The lab feed's response markers, as the care team's (their response recomputed on commit)."""
    if not entries:
        return
    try:
        _, new = markers_record(patient=patient, body=[e.item for e in entries], user=user, now=now)
    except ApplicationError:  # an id stored before with other content (the checks ran already)
        issues = [
            Issue("conflict", "Not stored: this identifier names another marker result.", _where(e)) for e in entries
        ]
        if all_or_nothing:
            raise FhirError(409, issues) from None
        for entry, issue in zip(entries, issues, strict=True):
            entry.refusal = _Refusal(409, [issue])
        return
    created = {str(i) for i in new}
    for entry in entries:
        entry.status = 201 if str(entry.row_id) in created else 200


def _where(entry: _Entry) -> str:
    return f"Bundle.entry[{entry.index}].resource.identifier"


def _audit(user: User, entries: list[_Entry], kind: str) -> None:
    """One row per patient: what the lab feed sent for them, stored now or matched."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        if entry.refusal is None:
            counts[entry.patient_ref][0 if entry.status == 201 else 1] += 1
    for ref, (stored, matched) in counts.items():
        audit_record(
            actor=user,
            action="create",
            resource="lab_result",
            patient_ids=[uuid.UUID(ref.removeprefix("Patient/"))],
            detail=f"{LAB_FEED}, FHIR {kind}: {stored} stored, {matched} already stored",
        )


def _response(entry: _Entry, now: datetime) -> Json:
    if entry.refusal is not None:
        return {
            "status": _STATUS_TEXT.get(entry.refusal.status, str(entry.refusal.status)),
            "outcome": operation_outcome(entry.refusal.issues),
        }
    response: Json = {
        "status": _STATUS_TEXT[entry.status],
        "location": f"Observation/{entry.row_id}",
        "etag": 'W/"1"',
        "lastModified": instant(now),
    }
    if entry.issues:
        response["outcome"] = operation_outcome(entry.issues)
    return response
