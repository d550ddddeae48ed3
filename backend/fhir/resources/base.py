"""Every resource leaves through fhirclient's R4 models (fhirclient 4.x, FHIR 4.0.1): parsed
strictly (an unknown element or a value of the wrong type raises) and serialised by the model,
which checks the required elements. A mapping bug is a FHIRValidationError here, never an invalid
resource on the wire."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fhirclient.models.fhirabstractresource import FHIRAbstractResource
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from backend.fhir.codes import URN

Json = dict[str, Any]


def checked(resource: Json) -> Json:
    """`resource` as fhirclient's R4 model of its resourceType reads and writes it."""
    model = FHIRElementFactory.instantiate(resource["resourceType"], None)
    assert isinstance(model, FHIRAbstractResource)
    model.update_with_json(resource)  # strict: raises FHIRValidationError on any mismatch
    out: Json = model.as_json()
    return out


def instant(moment: datetime) -> str:
    """A FHIR dateTime/instant: seconds and a zone are always written."""
    return moment.isoformat(timespec="seconds")


def decimal(value: Decimal) -> float | int:
    """A JSON number for a FHIR decimal (the models take int or float)."""
    exact = value.normalize()
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def uuid_identifier(row_id: UUID) -> Json:
    """CareLoop's own id of a record, as an identifier that any system can resolve back to it."""
    return {"system": URN, "value": f"urn:uuid:{row_id}"}


def reference(resource_type: str, row_id: object, display: str | None = None) -> Json:
    ref: Json = {"reference": f"{resource_type}/{row_id}"}
    if display:
        ref["display"] = display
    return ref
