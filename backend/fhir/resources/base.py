"""Every resource leaves through fhirclient's R4 models (fhirclient 4.x, FHIR 4.0.1): parsed
strictly (an unknown element or a value of the wrong type raises) and serialised by the model,
which checks the required elements. A mapping bug is a FHIRValidationError here, never an invalid
resource on the wire.

The model costs about 0.47 ms a resource, 25 times the mapping itself: a `$everything` of two years
(~2,000 resources) would spend a second in it. So each *shape* of resource is checked by the model
the first time this process meets it, and a resource of a shape checked before is answered as
built: its values are of the types already checked and are formatted by the same functions
(`instant`, `decimal`, ...).

A shape is either found by walking the resource (its element paths and JSON types), or, on the
hot paths of `$everything` and the searches, named by the mapping as its *variant*: the optional
parts it included, which are all a resource of that mapping can differ by. Walking 2,000 resources
cost 9 ms of a 75 ms `$everything` (bench/README.md, bench 8); a variant is one small tuple. The
tests (tests/backend/fhir/resources/test_variants.py) build every variant of every mapping and
check it by the model, the walk and the npm validator."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fhirclient.models.fhirabstractresource import FHIRAbstractResource
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from backend.fhir.codes import URN

Json = dict[str, Any]


_CHECKED_SHAPES: set[tuple[object, ...]] = set()
_MAX_SHAPES = 4096  # a bound on memory: past it, every new shape is checked every time


def checked(resource: Json, variant: tuple[object, ...] | None = None) -> Json:
    """`resource`, checked by fhirclient's R4 model of its resourceType (see the module docstring).
    `variant`: the mapping's own name of this resource's shape, instead of walking it; it must
    tell apart every difference of elements and JSON types the mapping can produce."""
    shape = _shape(resource) if variant is None else (resource["resourceType"], *variant)
    if shape in _CHECKED_SHAPES:
        return resource
    model_check(resource)
    if len(_CHECKED_SHAPES) < _MAX_SHAPES:
        _CHECKED_SHAPES.add(shape)
    return resource


def model_check(resource: Json) -> Json:
    """`resource` as fhirclient's R4 model of its resourceType reads and writes it; raises
    FHIRValidationError on an unknown element, a wrong type or a missing required element."""
    model = FHIRElementFactory.instantiate(resource["resourceType"], None)
    assert isinstance(model, FHIRAbstractResource)
    model.update_with_json(resource)  # strict
    out: Json = model.as_json()
    return out


def _shape(resource: Json) -> tuple[object, ...]:
    """The element names and JSON types of `resource`, in order, nested (each list item on its
    own, so that one shape is exactly one set of paths and types)."""
    out: list[object] = []
    _walk(resource, out)
    return tuple(out)


def _walk(value: object, out: list[object]) -> None:
    kind = type(value)
    if kind is dict:
        out.append("{")
        for key, item in value.items():  # type: ignore[attr-defined]
            out.append(key)
            _walk(item, out)
        out.append("}")
    elif kind is list:
        out.append("[")
        for item in value:  # type: ignore[attr-defined]
            _walk(item, out)
        out.append("]")
    else:
        out.append(kind)


def instant(moment: datetime | str) -> str:
    """A FHIR dateTime/instant: seconds and a zone are always written. A string is one the
    database already wrote so (backend.fhir.sql_text, on the long reads)."""
    return moment if isinstance(moment, str) else moment.isoformat(timespec="seconds")


def decimal(value: Decimal) -> float | int:
    """A JSON number for a FHIR decimal (the models take int or float)."""
    exact = value.normalize()
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def uuid_identifier(row_id: UUID | str) -> Json:
    """CareLoop's own id of a record, as an identifier that any system can resolve back to it."""
    return {"system": URN, "value": f"urn:uuid:{row_id}"}


def reference(resource_type: str, row_id: object, display: str | None = None) -> Json:
    ref: Json = {"reference": f"{resource_type}/{row_id}"}
    if display:
        ref["display"] = display
    return ref
