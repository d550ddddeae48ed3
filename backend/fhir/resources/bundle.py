"""R4 `Bundle`s: a `searchset` of resources (each already checked by its own module) with its
`self` and `next` links, and a `transaction-response`/`batch-response`. The shell is checked by
fhirclient's Bundle model without its entries: they are checked once, where they are built."""

from __future__ import annotations

from backend.fhir.resources.base import Json, checked


def searchset(*, entries: list[tuple[str, Json]], total: int, self_url: str, next_url: str | None) -> Json:
    """`entries`: (fullUrl, resource) in order."""
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    bundle = checked({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links})
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = [
            {"fullUrl": url, "resource": resource, "search": {"mode": "match"}} for url, resource in entries
        ]
    return bundle


def response_bundle(kind: str, responses: list[Json]) -> Json:
    """`kind`: transaction-response or batch-response; one `response` per request entry, in order."""
    bundle: Json = {"resourceType": "Bundle", "type": kind}
    if responses:  # FHIR JSON has no empty arrays
        bundle["entry"] = [{"response": r} for r in responses]
    return checked(bundle)
